/**
 * Harness overhead: the `journey` flow through the general request model (dist/run/flow.js, what
 * `loadgate run` hands to k6, reading the plan from LOADGATE_PLAN; a header on every request,
 * expected statuses in k6's responseCallback, body checks) against a hand-written plain k6 script
 * doing the same requests with the same headers and checks, counted the same way (bench/plain-journey.js), with the same executor (constant-vus),
 * the same k6 and the same outputs, alternating in one run against the reference API
 * (phase3, in its own process). Prints iterations/s and k6's peak RSS for each, and the ratios.
 * Also prints the bundle build time and sizes.
 *
 *   npm run bench:overhead            (ROUNDS=3 VUS=10 DURATION=20s by default; BUNDLE=<path> runs another build of dist/run/flow.js)
 *
 * Like with like, asserted from the output files: the same endpoints in the same proportions,
 * the same check samples per request (k6's checks and body mismatches: none on a healthy target),
 * the same tag keys on every request sample, and the same k6 options that every `loadgate run` sets: the production
 * threshold set's k6 thresholds (one per endpoint and target), the system tags and the summary
 * statistics, given to both sides by one k6 `--config` file. The readiness checks beside the
 * load are off (the plain script sends no such requests).
 *
 * Goals: throughput ratio ≥ 0.95 and memory ratio ≤ 1.1 (medians); the bench exits 1 when one
 * is missed, and 2 when the two sides did not do the same work.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bundleScenarios, ROOT, runBundlePath } from '../build/bundle.ts';
import { resolveConfig } from '../lib/config/load.ts';
import { locateK6 } from '../lib/k6/locate.ts';
import { buildPlan } from '../lib/plan/build.ts';
import { findSet } from '../thresholds/sets.ts';
import { BODY_MISMATCH_METRIC } from '../lib/shared/defaults.ts';
import { REFERENCE_PASSWORD } from '../lib/shared/reference-api.ts';
import { timedK6 } from './k6-timed.ts';
import { median } from './stats.ts';
import { startTargetProcess } from './target-process.ts';

const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const VUS = Number(process.env['VUS'] ?? 10);
const DURATION = process.env['DURATION'] ?? '20s';
/** The harness's side: the run bundle, or another build of it (BUNDLE=path, e.g. an older commit's, for a before/after). */
const BUNDLE = process.env['BUNDLE'] ?? runBundlePath('flow');

interface Sample {
  itersPerS: number;
  rssMiB: number;
  reqs: number;
  iterations: number;
  checks: number;
  names: Record<string, number>;
  /** The tag keys of the request samples, each distinct set once. */
  tagKeys: string[];
  /** The thresholds k6 evaluated, as `metric: expression` (from its summary export). */
  thresholds: string[];
}

/** Requests per endpoint name, and the distinct tag-key sets of the request samples, from the run's raw output. */
async function samplesOf(file: string): Promise<{ names: Record<string, number>; tagKeys: string[] }> {
  const text = gunzipSync(await readFile(file)).toString('utf8');
  const names: Record<string, number> = {};
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"metric":"http_reqs","type":"Point"')) continue;
    const p = JSON.parse(line) as { data: { tags: Record<string, string> } };
    // setup()'s session logins are no load request (the analysis keeps them apart).
    if (p.data.tags['group'] === '::setup') continue;
    const name = p.data.tags['name'] ?? '?';
    names[name] = (names[name] ?? 0) + 1;
    keys.add(Object.keys(p.data.tags).sort().join(','));
  }
  return { names, tagKeys: [...keys].sort() };
}

async function runK6(k6: string, script: string, env: Record<string, string>, dir: string, tag: string, config: string): Promise<Sample> {
  const summary = join(dir, `${tag}-summary.json`);
  // No run-wide tags: under `loadgate run` the harness puts neither its run tags nor a stage tag on
  // its samples (they stay in plan.json), so both sides must emit the same tag sets, checked below.
  const stderr = await timedK6(
    'MAXRSS_KB=%M',
    k6,
    [
      'run',
      '--quiet',
      '--no-usage-report',
      '--config',
      config,
      '--out',
      `json=${join(dir, `${tag}.ndjson.gz`)}`,
      '--summary-export',
      summary,
      script,
    ],
    { ...process.env, K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false', ...env },
  );
  const rssKb = Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
  const s = JSON.parse(await readFile(summary, 'utf8')) as {
    metrics: Record<string, { rate?: number; count?: number; passes?: number; fails?: number; thresholds?: Record<string, boolean> }>;
  };
  const thresholds = Object.entries(s.metrics)
    .flatMap(([m, v]) => Object.keys(v.thresholds ?? {}).map((t) => `${m}: ${t}`))
    .sort();
  // Check samples: k6's check() (none on either side under loadgate run) and body mismatches (a failed body check).
  const checks = (s.metrics['checks']?.passes ?? 0) + (s.metrics['checks']?.fails ?? 0) + (s.metrics[BODY_MISMATCH_METRIC]?.count ?? 0);
  return {
    itersPerS: s.metrics['iterations']?.rate ?? NaN,
    rssMiB: rssKb / 1024,
    reqs: s.metrics['http_reqs']?.count ?? NaN,
    iterations: s.metrics['iterations']?.count ?? NaN,
    checks,
    ...(await samplesOf(join(dir, `${tag}.ndjson.gz`))),
    thresholds,
  };
}

const builds: number[] = [];
let sizes = '';
for (let i = 0; i < 5; i++) {
  const b = await bundleScenarios();
  builds.push(b.ms);
  const kib = (fs: typeof b.files) => fs.map((f) => `${f.scenario} ${(f.bytes / 1024).toFixed(1)} KiB`).join(', ');
  sizes = `standalone ${kib(b.files)}; run (loadgate run) ${kib(b.runFiles)}`;
}
console.log(`bundle: ${median(builds).toFixed(0)} ms median of 5 builds (4 scenarios); sizes: ${sizes}`);

const k6 = await locateK6();
const dir = await mkdtemp(join(tmpdir(), 'loadgate-overhead-'));
const target = await startTargetProcess();
try {
  const plan = buildPlan({
    // A header on every request, as the plain script sends (the general model's header path).
    config: resolveConfig({
      file: { path: 'bench', data: { target: { headers: { Accept: 'application/json' } }, readiness: { enabled: false } } },
      flags: { target: target.url },
    }),
    scenario: 'journey',
    profile: 'load',
    phase: null,
    runId: 'bench',
    now: new Date().toISOString(),
    // The targets every `loadgate run` judges by default: they become k6 thresholds on both sides.
    thresholds: { name: 'production', set: findSet('production') ?? (undefined as never) },
  });
  // Same executor as the plain script: a closed model, so the faster script completes more iterations.
  plan.k6Options['scenarios'] = { journey: { executor: 'constant-vus', vus: VUS, duration: DURATION } };
  plan.stages = [{ name: 'bench', startS: 0, endS: 3600, fromRps: 0, toRps: 0 }];
  // The same checks, not only as many: the plain script's table (expected statuses and body
  // shape per endpoint) must be the plan's.
  const plainChecks = JSON.parse(await readFile(join(ROOT, 'bench/plain-journey-checks.json'), 'utf8')) as Record<string, unknown>;
  const planChecks = Object.fromEntries(
    plan.endpoints.map((e) => [e.name, { expectStatus: e.expectStatus, expectBody: e.expectBody ?? null }]),
  );
  const checksDiffer = Object.keys({ ...plainChecks, ...planChecks }).filter(
    (n) => JSON.stringify(plainChecks[n] ?? null) !== JSON.stringify(planChecks[n] ?? null),
  );
  if (checksDiffer.length) {
    console.error(`FAIL: bench/plain-journey-checks.json differs from the harness's checks for ${checksDiffer.join(', ')}`);
    process.exit(2);
  }
  const planPath = join(dir, 'plan.json');
  await writeFile(planPath, JSON.stringify(plan));
  // The k6 options a run sets besides its scenarios, for both sides alike (the harness's own
  // options carry the same values; a script's options win over a --config file's, key by key).
  const k6Config = join(dir, 'k6-options.json');
  const { thresholds, systemTags, summaryTrendStats } = plan.k6Options;
  await writeFile(k6Config, JSON.stringify({ thresholds, systemTags, summaryTrendStats }));

  const env = { BASE_URL: target.url, LOADGATE_PASSWORD: REFERENCE_PASSWORD, VUS: String(VUS), DURATION };
  const bundled: Sample[] = [];
  const plain: Sample[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so drift on a shared machine hits both sides alike.
    const order = r % 2 === 0 ? (['bundled', 'plain'] as const) : (['plain', 'bundled'] as const);
    for (const which of order) {
      const s =
        which === 'bundled'
          ? await runK6(k6.path, BUNDLE, { ...env, LOADGATE_PLAN: planPath }, dir, `b${r}`, k6Config)
          : await runK6(k6.path, join(ROOT, 'bench/plain-journey.js'), env, dir, `p${r}`, k6Config);
      (which === 'bundled' ? bundled : plain).push(s);
      console.log(
        `round ${r + 1} ${which.padEnd(7)} ${s.itersPerS.toFixed(1)} iterations/s, ${s.reqs} requests, peak RSS ${s.rssMiB.toFixed(1)} MiB`,
      );
    }
  }
  const bi = median(bundled.map((s) => s.itersPerS));
  const pi = median(plain.map((s) => s.itersPerS));
  const bm = median(bundled.map((s) => s.rssMiB));
  const pm = median(plain.map((s) => s.rssMiB));
  console.log(`k6 ${k6.version}, constant-vus ${VUS} VUs × ${DURATION}, ${ROUNDS} rounds, medians:`);
  console.log(`  bundled journey: ${bi.toFixed(1)} iterations/s, peak RSS ${bm.toFixed(1)} MiB`);
  console.log(`  plain k6 script: ${pi.toFixed(1)} iterations/s, peak RSS ${pm.toFixed(1)} MiB`);
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  console.log(`  spread: bundled ${spread(bundled.map((s) => s.itersPerS))} it/s, plain ${spread(plain.map((s) => s.itersPerS))} it/s`);
  console.log(`  spread: bundled ${spread(bundled.map((s) => s.rssMiB))} MiB, plain ${spread(plain.map((s) => s.rssMiB))} MiB`);
  // Like with like: the same endpoints in the same proportions, the same checks per request.
  const mix = (ss: Sample[]) => {
    const total: Record<string, number> = {};
    for (const s of ss) for (const [n, c] of Object.entries(s.names)) total[n] = (total[n] ?? 0) + c;
    const sum = Object.values(total).reduce((a, b) => a + b, 0);
    return Object.fromEntries(Object.entries(total).map(([n, c]) => [n, c / sum]));
  };
  const mb = mix(bundled);
  const mp = mix(plain);
  const names = [...new Set([...Object.keys(mb), ...Object.keys(mp)])].sort();
  const worst = Math.max(...names.map((n) => Math.abs((mb[n] ?? 0) - (mp[n] ?? 0))));
  const perReq = (ss: Sample[]) => ss.reduce((a, s) => a + s.checks, 0) / ss.reduce((a, s) => a + s.reqs, 0);
  console.log(
    `  like with like: ${names.length} endpoints on both sides, largest share difference ${(worst * 100).toFixed(2)} points; check samples per request ${perReq(bundled).toFixed(3)} vs ${perReq(plain).toFixed(3)}`,
  );
  const ratioT = bi / pi;
  const ratioM = bm / pm;
  console.log(`  throughput ratio ${ratioT.toFixed(3)} (goal ≥ 0.95), memory ratio ${ratioM.toFixed(3)} (goal ≤ 1.1)`);
  const same = (f: (s: Sample) => string[]) => new Set([...bundled, ...plain].map((s) => f(s).join('|'))).size === 1;
  const sameTags = same((s) => s.tagKeys);
  const sameThresholds = same((s) => s.thresholds);
  console.log(
    `  tag keys per request sample: ${sameTags ? 'the same on both sides' : 'DIFFER'} (${bundled[0]?.tagKeys.join(' | ')}); ` +
      `k6 thresholds: ${sameThresholds ? 'the same' : 'DIFFER'} (${bundled[0]?.thresholds.length ?? 0} on each side)`,
  );
  if (
    names.some((n) => mb[n] === undefined || mp[n] === undefined) ||
    worst > 0.02 ||
    Math.abs(perReq(bundled) - perReq(plain)) > 0.01 ||
    !sameTags ||
    !sameThresholds ||
    (bundled[0]?.thresholds.length ?? 0) === 0
  ) {
    console.error('FAIL: the two sides did not do the same work (request mix, checks, tags or thresholds differ)');
    process.exitCode = 2;
  } else if (ratioT < 0.95 || ratioM > 1.1) {
    console.error(`FAIL: goal missed (throughput ${ratioT.toFixed(3)} < 0.95 or memory ${ratioM.toFixed(3)} > 1.1)`);
    process.exitCode = 1;
  }
} finally {
  target.stop();
}
