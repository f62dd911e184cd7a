/**
 * `loadgate k8s render`: the manifests for the k6-operator. There is no cluster here: the files
 * are checked against the TestRun schema written down from the operator's CRD (lib/k8s/schema.ts)
 * and their structure read back with the `yaml` library; then the runners' command lines are
 * rebuilt as the operator builds them (test/k8s/operator.ts) and run with plain k6 against the
 * reference API on loopback, from the ConfigMap's files and the container env alone, and their
 * result files merged with `loadgate analyze`.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, k6Status, setK6Status } from '../../lib/k6/runner.ts';
import {
  ConfigMapSchema,
  KustomizationSchema,
  PersistentVolumeClaimSchema,
  PodSchema,
  TestRunSchema,
  type TestRun,
} from '../../lib/k8s/schema.ts';
import { testRunName } from '../../lib/k8s/render.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { REFERENCE_PASSWORD } from '../../lib/shared/reference-api.ts';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, ROOT, tempOut } from '../run/helpers.ts';
import { readAnalysisFile, summaryCounts, waitFor } from '../segments/helpers.ts';
import { expandCommand, resolveEnv, runnerCommand, segmentFragments } from './operator.ts';

const SENTINEL = 'Sentinel-Secret-9f3a1c';
let target: RunningTarget;
let dir: string;
let stderr: string;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  dir = join(await tempOut('loadgate-k8s-'), 'render');
  const r = await cli(
    [
      'k8s',
      'render',
      '--parallelism',
      '3',
      '--scenario',
      'journey',
      '--profile',
      'smoke',
      '--threshold-set',
      'phase1',
      '--duration-scale',
      '0.5',
      '--rps',
      '200',
      '--target',
      target.url,
      '--namespace',
      'loadtest',
      '--out',
      dir,
    ],
    // Set while rendering: it must not end up in any file.
    { env: { LOADGATE_PASSWORD: SENTINEL } },
  );
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe(dir);
  stderr = r.stderr;
});
afterAll(async () => {
  await target?.close();
});

async function docs(file: string): Promise<unknown[]> {
  const all = parseAllDocuments(await readFile(join(dir, file), 'utf8'));
  for (const d of all) expect(d.errors, file).toEqual([]);
  return all.map((d) => d.toJS() as unknown);
}
async function one(file: string): Promise<unknown> {
  const list = await docs(file);
  expect(list, file).toHaveLength(1);
  return list[0];
}

describe('loadgate k8s render', () => {
  it('writes a kustomization of a ConfigMap, a TestRun and a results claim, each valid against its schema', async () => {
    expect((await readdir(dir)).sort()).toEqual([
      'collect.yaml',
      'configmap.yaml',
      'kustomization.yaml',
      'plan.json',
      'results-pvc.yaml',
      'testrun.yaml',
    ]);
    const k = KustomizationSchema.parse(await one('kustomization.yaml'));
    expect(k.namespace).toBe('loadtest');
    expect(k.resources).toEqual(['configmap.yaml', 'testrun.yaml', 'results-pvc.yaml']);
    const kinds = await Promise.all(k.resources.map(async (f) => ((await one(f)) as { kind: string }).kind));
    expect(kinds).toEqual(['ConfigMap', 'TestRun', 'PersistentVolumeClaim']);
    TestRunSchema.parse(await one('testrun.yaml'));
    ConfigMapSchema.parse(await one('configmap.yaml'));
    PersistentVolumeClaimSchema.parse(await one('results-pvc.yaml'));
    PodSchema.parse(await one('collect.yaml'));
  });

  it('the TestRun: k6.io/v1alpha1, parallelism, the ConfigMap script, k6 arguments, env with secrets by secretKeyRef', async () => {
    const t = TestRunSchema.parse(await one('testrun.yaml'));
    const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as Plan;
    expect(t.apiVersion).toBe('k6.io/v1alpha1');
    expect(t.kind).toBe('TestRun');
    expect(t.metadata).toMatchObject({ name: testRunName(plan), namespace: 'loadtest' });
    expect(t.spec.parallelism).toBe(3);
    expect(t.spec.script).toEqual({ configMap: { name: t.metadata.name, file: 'flow.js' } });
    const args = (t.spec.arguments ?? '').split(' ');
    expect(args).toContain('--no-usage-report');
    expect(args.join(' ')).toContain('--out json=/results/raw.$(LOADGATE_RUNNER).ndjson.gz');
    expect(args.join(' ')).toContain('--summary-export /results/summary.$(LOADGATE_RUNNER).json');
    expect(args.join(' ')).toContain(`--tag testid=${plan.runId}`);
    const env = t.spec.runner?.env ?? [];
    const byName = new Map(env.map((e) => [e.name, e]));
    expect(byName.get('K6_NO_USAGE_REPORT')?.value).toBe('true');
    expect(byName.get('K6_AUTO_EXTENSION_RESOLUTION')?.value).toBe('false');
    expect(byName.get('LOADGATE_PLAN')?.value).toBe('./plan.json');
    // The journey logs in: its password comes from the Secret, by reference only.
    expect(plan.env).toContain('LOADGATE_PASSWORD');
    for (const name of plan.env) {
      expect(byName.get(name), name).toEqual({ name, valueFrom: { secretKeyRef: { name: `${t.metadata.name}-secrets`, key: name } } });
    }
    // The initializer gets the same env (the operator hands it to `k6 archive` as -e), without the volume.
    expect(t.spec.initializer?.env).toEqual(env);
    expect(t.spec.initializer?.volumes).toBeUndefined();
    expect(t.spec.runner?.volumeMounts).toEqual([{ name: 'results', mountPath: '/results' }]);
    expect(t.spec.runner?.volumes).toEqual([{ name: 'results', persistentVolumeClaim: { claimName: `${t.metadata.name}-results` } }]);
    expect(stderr).toContain(
      `kubectl create secret generic ${t.metadata.name}-secrets -n loadtest --from-literal=LOADGATE_PASSWORD="$LOADGATE_PASSWORD"`,
    );
  });

  it('the ConfigMap holds the lean bundle and the plan (the bundle links no source map)', async () => {
    const c = ConfigMapSchema.parse(await one('configmap.yaml'));
    expect(Object.keys(c.data).sort()).toEqual(['flow.js', 'plan.json']);
    expect(c.data['flow.js']).not.toContain('sourceMappingURL');
    expect(c.data['flow.js']).toBe(await readFile(join(ROOT, 'dist/run/flow.js'), 'utf8'));
    expect(c.data['plan.json']).toBe(await readFile(join(dir, 'plan.json'), 'utf8'));
  });

  it('no secret value appears in any file', async () => {
    for (const f of await readdir(dir)) {
      const text = await readFile(join(dir, f), 'utf8');
      expect(text, f).not.toContain(SENTINEL);
      expect(text, f).not.toContain(REFERENCE_PASSWORD);
    }
  });

  it('the schema refuses what the CRD does not have: a misspelt field, a missing parallelism, two script sources', async () => {
    const t = TestRunSchema.parse(await one('testrun.yaml'));
    const bad = (over: (x: Record<string, unknown>) => void) => {
      const copy = structuredClone(t) as unknown as { spec: Record<string, unknown> };
      over(copy.spec);
      return TestRunSchema.safeParse(copy).success;
    };
    expect(bad(() => undefined)).toBe(true);
    expect(bad((s) => (s['paralelism'] = 3))).toBe(false);
    expect(bad((s) => delete s['parallelism'])).toBe(false);
    expect(bad((s) => (s['script'] = { configMap: { name: 'x' }, localFile: '/test.js' }))).toBe(false);
    expect(bad((s) => ((s['runner'] as Record<string, unknown>)['envv'] = []))).toBe(false);
    expect(TestRunSchema.safeParse({ ...t, apiVersion: 'k6.io/v1' }).success).toBe(false);
  });

  it("the bundle in the ConfigMap runs with plain k6 as the operator's runners run it, and their files merge with loadgate analyze", async () => {
    const t: TestRun = TestRunSchema.parse(await one('testrun.yaml'));
    const c = ConfigMapSchema.parse(await one('configmap.yaml'));
    // The ConfigMap mounted at /test, the results claim at /results: two local directories.
    const root = await tempOut('loadgate-k8s-pods-');
    const scriptDir = join(root, 'test');
    const results = join(root, 'results');
    await mkdir(scriptDir);
    await mkdir(results);
    for (const [k, v] of Object.entries(c.data)) await writeFile(join(scriptDir, k), v);
    const k6 = join(ROOT, '.tools/k6/v2.2.0/k6');
    const secrets = { [`${t.metadata.name}-secrets`]: { LOADGATE_PASSWORD: REFERENCE_PASSWORD } };

    const runners = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const podName = `${t.metadata.name}-${i}-x${i}y${i}z`;
        const env = resolveEnv(t.spec.runner?.env ?? [], { secrets, podName });
        const address = `127.0.0.1:${await freePort()}`;
        const cmd = expandCommand(runnerCommand(t, i, '0.0.0.0:6565'), env).map((a) =>
          a
            .replace(/^\/test\//, `${scriptDir}/`)
            .replace(/=\/results\//, `=${results}/`)
            .replace(/^\/results\//, `${results}/`)
            .replace('--address=0.0.0.0:6565', `--address=${address}`),
        );
        expect(cmd.slice(0, 5)).toEqual(['k6', 'run', '--quiet', ...segmentFragments(i, 3)]);
        const child = spawn('setpriv', ['--pdeathsig', 'SIGINT', '--', k6, ...cmd.slice(1)], {
          // The container's env, nothing of this process's (but where to find programs).
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
          // Not the script's directory: LOADGATE_PLAN=./plan.json is resolved from the script.
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((r) => child.once('close', r));
        return { address, exited, out: () => out, podName };
      }),
    );
    // The starter: once every runner is initialised and paused, resume them all.
    for (const r of runners)
      await waitFor(`runner at ${r.address}`, async () => ((await k6Status(r.address))?.status ?? 0) >= 4 || null, 60_000);
    for (const r of runners) expect(await setK6Status(r.address, { paused: false })).toBe(true);
    const codes = await Promise.all(runners.map((r) => r.exited));
    expect(codes, runners.map((r) => r.out()).join('\n')).toEqual([0, 0, 0]);

    const files = (await readdir(results)).sort();
    expect(files).toEqual(runners.flatMap((r) => [`raw.${r.podName}.ndjson.gz`, `summary.${r.podName}.json`]).sort());

    // `loadgate analyze <rendered directory> <collected results>`: the plan from the first, one segment per runner file.
    const a = await cli(['analyze', dir, results, '--quiet']);
    expect(a.code, a.stderr).toBe(0);
    const analysis = await readAnalysisFile(dir);
    expect(analysis.segments?.count).toBe(3);
    expect(analysis.segments?.list.map((s) => s.files[0]?.split('/').pop())).toEqual(runners.map((r) => `raw.${r.podName}.ndjson.gz`));
    const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as Plan;
    const names = plan.endpoints.map((e) => e.name);
    const sum = new Map<string, number>();
    for (const r of runners) {
      for (const [e, n] of await summaryCounts(join(results, `summary.${r.podName}.json`), names)) sum.set(e, (sum.get(e) ?? 0) + n);
    }
    // Each runner's setup() logs in the session pool (plan.sessionPool) before the load: k6's
    // summaries count those logins, the analysis keeps them apart.
    const pool = Object.values(plan.sessionPool ?? {}).reduce((a, b) => a + b, 0);
    expect(pool).toBeGreaterThan(0);
    for (const e of names) {
      const setupLogins = e === 'auth.login' ? runners.length * pool : 0;
      expect(analysis.endpoints.find((x) => x.name === e)?.total.requests ?? 0, e).toBe((sum.get(e) ?? 0) - setupLogins);
    }
    // Smoke: 5 % of 200 RPS for 10 s, about 100 requests.
    expect(analysis.totals.requests).toBeGreaterThan(60);
    // The logins worked with the password from the "Secret": no auth failures.
    expect(analysis.endpoints.find((e) => e.name === 'auth.login')?.total.outcomes.http4xx).toBe(0);
    for (const r of runners) expect(await readFile(join(results, `summary.${r.podName}.json`), 'utf8')).not.toContain(REFERENCE_PASSWORD);
  });
});
