/**
 * Harness overhead: the bundled `journey` scenario (dist/run/journey.js, what `loadgate run` hands
 * to k6, reading the plan from LOADGATE_PLAN) against a hand-written plain k6 script
 * doing the same requests (bench/plain-journey.js), with the same executor (constant-vus),
 * the same k6 and the same outputs, alternating in one run against the reference API
 * (phase3, in its own process). Prints iterations/s and k6's peak RSS for each, and the ratios.
 * Also prints the bundle build time and sizes.
 *
 *   npm run bench:overhead            (ROUNDS=3 VUS=10 DURATION=20s by default)
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleScenarios, ROOT, runBundlePath } from '../build/bundle.ts';
import { resolveConfig } from '../lib/config/load.ts';
import { locateK6 } from '../lib/k6/locate.ts';
import { buildPlan } from '../lib/shared/plan.ts';
import { REFERENCE_PASSWORD } from '../target/users.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const VUS = Number(process.env['VUS'] ?? 10);
const DURATION = process.env['DURATION'] ?? '20s';

async function startTargetProcess(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/loadgate.js'), 'target', '--profile', 'phase3', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`target exited with ${code}`)));
    setTimeout(() => reject(new Error('target did not start within 20 s')), 20_000);
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

interface Sample {
  itersPerS: number;
  rssMiB: number;
  reqs: number;
}

async function runK6(k6: string, script: string, env: Record<string, string>, dir: string, tag: string): Promise<Sample> {
  const summary = join(dir, `${tag}-summary.json`);
  // The same run-wide tag the harness's plan sets (testid), so both sides emit the same tag sets but for `stage`.
  const { stderr } = await run(
    '/usr/bin/time',
    [
      '-f',
      'MAXRSS_KB=%M',
      k6,
      'run',
      '--quiet',
      '--no-usage-report',
      '--tag',
      'testid=bench',
      '--out',
      `json=${join(dir, `${tag}.ndjson.gz`)}`,
      '--summary-export',
      summary,
      script,
    ],
    { env: { ...process.env, K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false', ...env }, maxBuffer: 64 * 1024 * 1024 },
  );
  const rssKb = Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
  const s = JSON.parse(await readFile(summary, 'utf8')) as { metrics: Record<string, { rate?: number; count?: number }> };
  return { itersPerS: s.metrics['iterations']?.rate ?? NaN, rssMiB: rssKb / 1024, reqs: s.metrics['http_reqs']?.count ?? NaN };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

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
    config: resolveConfig({ flags: { target: target.url } }),
    scenario: 'journey',
    profile: 'load',
    phase: null,
    runId: 'bench',
    now: new Date().toISOString(),
  });
  // Same executor as the plain script: a closed model, so the faster script completes more iterations.
  plan.k6Options['scenarios'] = { journey: { executor: 'constant-vus', vus: VUS, duration: DURATION } };
  plan.stages = [{ name: 'bench', startS: 0, endS: 3600, fromRps: 0, toRps: 0 }];
  const planPath = join(dir, 'plan.json');
  await writeFile(planPath, JSON.stringify(plan));

  const env = { BASE_URL: target.url, LOADGATE_PASSWORD: REFERENCE_PASSWORD, VUS: String(VUS), DURATION };
  const bundled: Sample[] = [];
  const plain: Sample[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so drift on a shared machine hits both sides alike.
    const order = r % 2 === 0 ? (['bundled', 'plain'] as const) : (['plain', 'bundled'] as const);
    for (const which of order) {
      const s =
        which === 'bundled'
          ? await runK6(k6.path, runBundlePath('journey'), { ...env, LOADGATE_PLAN: planPath }, dir, `b${r}`)
          : await runK6(k6.path, join(ROOT, 'bench/plain-journey.js'), env, dir, `p${r}`);
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
  console.log(`  throughput ratio ${(bi / pi).toFixed(3)} (goal ≥ 0.95), memory ratio ${(bm / pm).toFixed(3)} (goal ≤ 1.1)`);
} finally {
  target.stop();
}
