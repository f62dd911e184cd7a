/**
 * Knee per profile: the offered request rate at which P95 first passes 500 ms.
 *
 * Real k6, open model: for each profile and each rate on a ladder, a fresh reference API on a
 * free port and one `k6 run bench/target-knee.k6.js` (constant-arrival-rate, a journey-like
 * mix, 2 s client timeout, a warm-up then a measured window). The ladder stops at the first
 * rate past the knee. A rate whose timeouts exceed 5 % counts as past the knee whatever k6's
 * P95 says (a timed-out request has no real duration: its percentile is censored at 2 s).
 *
 *   npx tsx bench/target-knee.ts [--profiles baseline,phase1,phase2,phase3] [--rates 20,40,…] [--measure 15]
 *
 * Prints one line per step and a summary table; writes bench/out/target-knee.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { locateK6 } from '../lib/k6/locate.ts';
import { startTarget } from '../reference-api/server.ts';
import { isProfileName, type ProfileName } from '../reference-api/profiles.ts';
import { REFERENCE_PASSWORD } from '../lib/shared/reference-api.ts';

const ROOT = join(import.meta.dirname, '..');
const KNEE_MS = 500;

interface Perf {
  routes: Array<{ route: string; count: number; p50Ms: number | null; p95Ms: number | null }>;
}

interface Step {
  rate: number;
  requests: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  failedRate: number | null;
  timeouts: number;
  dropped: number;
  achievedRps: number;
  measureS: number;
}

const { values } = parseArgs({
  options: {
    profiles: { type: 'string', default: 'baseline,phase1,phase2,phase3' },
    rates: { type: 'string', default: '20,40,60,80,100,130,160,200,250,300,400,500,650,800' },
    warm: { type: 'string', default: '5' },
    measure: { type: 'string', default: '15' },
    verbose: { type: 'boolean', default: false },
  },
});
const profiles = values.profiles.split(',').map((p) => p.trim());
for (const p of profiles) if (!isProfileName(p)) throw new Error(`unknown profile ${p}`);
const rates = values.rates.split(',').map(Number);
const k6 = await locateK6();
const outDir = join(ROOT, 'bench', 'out');
await mkdir(outDir, { recursive: true });

function runK6(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(k6.path, ['run', '--quiet', '--no-color', join(ROOT, 'bench', 'target-knee.k6.js')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    // 99 = thresholds crossed, which is expected past the knee.
    child.on('close', (code) => (code === 0 || code === 99 ? resolve(code) : reject(new Error(`k6 exited ${code}: ${err}`))));
  });
}

const pastKnee = (s: Step) => (s.p95Ms ?? 0) > KNEE_MS || (s.requests > 0 && s.timeouts / s.requests > 0.05);
const fmt = (v: number | null, d = 0) => (v === null ? '-' : v.toFixed(d));

const results: Record<string, { steps: Step[]; kneeRps: number | null; lastGoodRps: number | null }> = {};
for (const profile of profiles as ProfileName[]) {
  const steps: Step[] = [];
  for (const rate of rates) {
    const target = await startTarget({ profile, port: 0 });
    let perf: Perf | null = null;
    const out = join(outDir, `knee-${profile}-${rate}.json`);
    try {
      await runK6({
        BASE_URL: target.url,
        PASSWORD: REFERENCE_PASSWORD,
        RATE: String(rate),
        WARM_S: values.warm,
        MEASURE_S: values.measure,
        OUT: out,
      });
      // The server's own view of the last minute, per route: where the time went.
      perf = (await (await fetch(`${target.url}/api/monitoring/performance`)).json()) as Perf;
    } finally {
      await target.close();
    }
    const raw = JSON.parse(await readFile(out, 'utf8')) as Omit<Step, 'achievedRps'>;
    const step: Step = { ...raw, achievedRps: raw.requests / raw.measureS };
    steps.push(step);
    if (values.verbose && perf) {
      for (const r of perf.routes)
        process.stdout.write(
          `    ${r.route.padEnd(36)} n ${String(r.count).padStart(5)}  p50 ${fmt(r.p50Ms, 1).padStart(7)}  p95 ${fmt(r.p95Ms, 1).padStart(7)}\n`,
        );
    }
    process.stdout.write(
      `${profile.padEnd(8)} offered ${String(rate).padStart(4)} rps  achieved ${fmt(step.achievedRps).padStart(4)}  p50 ${fmt(step.p50Ms, 1).padStart(7)} ms  p95 ${fmt(step.p95Ms, 1).padStart(7)} ms  p99 ${fmt(step.p99Ms, 1).padStart(7)} ms  failed ${fmt((step.failedRate ?? 0) * 100, 2).padStart(6)} %  timeouts ${step.timeouts}  dropped ${step.dropped}\n`,
    );
    if (pastKnee(step)) break;
  }
  const knee = steps.find(pastKnee);
  const good = steps.filter((s) => !pastKnee(s)).pop();
  results[profile] = { steps, kneeRps: knee?.rate ?? null, lastGoodRps: good?.rate ?? null };
}

process.stdout.write('\nprofile   knee (first offered rate with P95 > 500 ms)   last rate under it\n');
for (const [p, r] of Object.entries(results)) {
  process.stdout.write(
    `${p.padEnd(9)} ${(r.kneeRps === null ? `> ${rates[rates.length - 1]}` : String(r.kneeRps)).padEnd(46)} ${r.lastGoodRps ?? '-'}\n`,
  );
}
await writeFile(join(outDir, 'target-knee.json'), JSON.stringify({ date: new Date().toISOString(), k6: k6.version, results }, null, 2));
