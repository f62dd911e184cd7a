/** The config → plan → manifests step of `loadgate k8s render` (lib/cli/commands/k8s.ts parses the flags). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ensureBundle } from '../../build/bundle.ts';
import { UsageError } from '../contract/errors.ts';
import type { Config } from '../config/schema.ts';
import { pinnedK6Version } from '../k6/locate.ts';
import { PlanSchema, type Plan } from '../contract/plan.ts';
import { newRunId, validateNames } from '../run/run.ts';
import { chooseThresholdSet } from '../run/targets.ts';
import { buildPlan, PlanError } from '../plan/build.ts';
import { renderK8s, testRunName, writeK8s, type Rendered } from './render.ts';

export interface RenderForConfig {
  config: Config;
  scenario: string;
  profile: string;
  phase: string | null;
  parallelism: number;
  namespace: string | null;
  out: string | null;
  image: string | null;
  secret: string | null;
  resultsClaim: string | null;
  storageClass: string | null;
  influx: string | null;
  separate: boolean;
  now?: () => Date;
  log: (line: string) => void;
}

export async function renderK8sForConfig(o: RenderForConfig): Promise<Rendered & { dir: string; plan: Plan }> {
  const now = o.now ?? (() => new Date());
  const { scenario, profile } = validateNames(o.scenario, o.profile, o.config);
  const thresholds = chooseThresholdSet(o.config, o.phase);
  const runId = newRunId(now(), scenario, profile);
  let plan: Plan;
  try {
    plan = PlanSchema.parse(
      buildPlan({ config: o.config, scenario, profile, phase: o.phase, runId, now: now().toISOString(), thresholds }),
    );
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
  const host = new URL(plan.baseUrl).hostname;
  if (host === 'localhost' || host.startsWith('127.') || host === '[::1]') {
    o.log(
      `warning: the target ${plan.baseUrl} is a loopback address: each runner Pod would load itself; pass --target with the address the Pods reach`,
    );
  }
  const script = await ensureBundle('flow', 'run');
  const k6Version = await pinnedK6Version();
  const rendered = renderK8s({
    plan,
    bundle: await readFile(script, 'utf8'),
    parallelism: o.parallelism,
    namespace: o.namespace,
    image: o.image ?? `grafana/k6:${k6Version.replace(/^v/, '')}`,
    secretName: o.secret ?? `${testRunName(plan)}-secrets`,
    resultsClaim: o.resultsClaim,
    storageClass: o.storageClass,
    influxUrl: o.influx,
    separate: o.separate,
  });
  const dir = resolve(o.out ?? resolve(o.config.outDir, `k8s-${rendered.name}`));
  await writeK8s(dir, rendered);
  o.log(`k6-operator TestRun ${rendered.name}: ${scenario}/${profile}, parallelism ${o.parallelism}, against ${plan.baseUrl} → ${dir}`);
  return { ...rendered, next: rendered.next.map((l) => l.replaceAll('<this directory>', dir)), dir, plan };
}
