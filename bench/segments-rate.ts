/**
 * The highest rate one machine reaches with 1, 2 and 4 k6 segments (issue 12): `loadgate run
 * --segments N` of the monitoring scenario against the reference API in phase3, offered about
 * twice what it can take (a constant arrival rate of OFFER requests/s, default 3,000), so that the
 * achieved rate is the ceiling of load generator + target on this machine. (Not far more: offered
 * 20,000/s, one k6's arrival-rate scheduler itself falls behind, neither starting nor counting as
 * dropped most iterations, and the comparison would measure that instead.) Achieved = the monitoring scenario's
 * iterations (one request each) in the steady stage over the stage's window, from the merged
 * analysis. The same total VUs (k6 shares them out over the segments), the same offered rate, the
 * same duration, and a fresh reference API for every run: like compares with like.
 *
 *   npx tsx bench/segments-rate.ts [--rounds N] [--seconds S] [--offer RPS] [--vus N] [--keep]
 *
 * Rounds are interleaved, the order rotating (1 2 4, 2 4 1, 4 1 2 …), so that the shared
 * machine's drift falls on every configuration alike; the figures are medians with their spread,
 * and each ratio is paired within its round (the runs of a round follow each other), so that the
 * drift between rounds cancels out. The load average is printed beside each run.
 * Each run is also checked: its merged per-endpoint counts equal the sum of the segments' own k6
 * summaries (the merge stays exact under saturation).
 *
 * Goal, the claim docs/scaling.md makes: on one machine segments do not raise the ceiling (one
 * k6 process already uses every core): with up to one process per core, the median rate is within
 * ±25 % of one process's (median of the paired ratios). More processes than cores contend for the
 * cores and lose rate: their figures are printed, not judged. Exits 1 when the goal is missed, 2
 * when a merge is not exact.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Analysis } from '../lib/contract/analysis.ts';
import type { Plan } from '../lib/contract/plan.ts';
import type { RunRecord } from '../lib/contract/run.ts';
import { startTarget } from '../reference-api/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outDir = join(here, 'out', 'segments-rate');
const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const rounds = Number(flag('--rounds') ?? 5);
const seconds = Number(flag('--seconds') ?? 10);
const offer = Number(flag('--offer') ?? 3000);
const vus = Number(flag('--vus') ?? 200);
const SEGMENTS = [1, 2, 4] as const;
const BAND = 0.25;

mkdirSync(outDir, { recursive: true });
const config = join(outDir, 'config.yaml');
writeFileSync(
  config,
  [
    `load: { rps: ${offer}, maxVUs: ${vus} }`,
    'profiles:',
    '  saturate:',
    "    description: 'Far more than the machine can take, at a constant arrival rate.'",
    `    stages: [ { name: 'steady', durationS: ${seconds}, from: 1, to: 1 } ]`,
    '    abortOnFail: false',
    '',
  ].join('\n'),
);

function spawnAsync(cmd: string, argv: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface Run {
  segments: number;
  rate: number;
  dropped: number;
  exact: boolean;
  dir: string;
}

async function run(segments: number): Promise<Run> {
  const target = await startTarget({ profile: 'phase3', port: 0 });
  try {
    // Asynchronously: the reference API answers from this process's event loop meanwhile.
    const r = await spawnAsync(process.execPath, [
      join(root, 'bin/loadgate.js'),
      'run',
      '--config',
      config,
      '--scenario',
      'monitoring',
      '--profile',
      'saturate',
      '--threshold-set',
      'phase1',
      '--target',
      target.url,
      '--out',
      outDir,
      '--segments',
      String(segments),
      '--progress',
      'none',
    ]);
    const dir = r.stdout.trim().split('\n').pop() ?? '';
    // A breach (99) or an inconclusive verdict is expected when saturating; no run directory or a failed k6 is not.
    if (!dir.startsWith(outDir) || r.status === 4 || r.status === 5)
      throw new Error(`loadgate run --segments ${segments} failed (${r.status}): ${r.stderr}`);
    const a = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8')) as Analysis;
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
    const stage = a.stages.find((s) => s.name === 'steady');
    if (!stage) throw new Error(`${dir}: no steady stage`);
    const monitoring = a.endpoints
      .flatMap((e) => e.cells ?? [])
      .filter((c) => c.stage === 'steady' && c.scenario === 'monitoring')
      .reduce((n, c) => n + c.requests, 0);
    // The merge, checked against each k6 process's own summary.
    const summaries = (record.segments?.map((s) => s.summaryFile) ?? ['summary.json']).map(
      (f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { metrics: Record<string, { count?: number }> },
    );
    const exact = plan.endpoints.every(
      (e) =>
        (a.endpoints.find((x) => x.name === e.name)?.total.requests ?? 0) ===
        summaries.reduce((n, s) => n + (s.metrics[`http_req_duration{name:${e.name}}`]?.count ?? 0), 0),
    );
    // A saturated run writes megabytes of raw results: keep them only when asked (--keep).
    if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    return { segments, rate: monitoring / (stage.endS - stage.startS), dropped: a.totals.droppedIterations, exact, dir };
  } finally {
    await target.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

console.log(
  `${cpus().length} cores; offered ${offer} requests/s for ${seconds} s, ${vus} VUs in total; monitoring scenario against the reference API (phase3), a fresh one per run; ${rounds} interleaved rounds`,
);
const runs: Run[] = [];
for (let r = 0; r < rounds; r++) {
  const order = SEGMENTS.map((_, k) => SEGMENTS[(k + r) % SEGMENTS.length] as number);
  for (const n of order) {
    const x = await run(n);
    runs.push(x);
    console.log(
      `  round ${r + 1}, ${n} segment${n > 1 ? 's' : ' '}: ${x.rate.toFixed(0)} iterations/s (${x.dropped} dropped; load average ${loadavg()[0]?.toFixed(1)})${x.exact ? '' : '  MERGE NOT EXACT'}`,
    );
  }
}

// Ratios are paired within a round (its three runs follow each other), so that the machine's
// drift between rounds (other load tests come and go) cancels out; their median decides.
console.log('\nachieved rate (iterations/s): median (min–max) over the rounds; ratio to 1 segment in the same round: median (min–max)');
let met = true;
for (const n of SEGMENTS) {
  const rates = runs.filter((x) => x.segments === n).map((x) => x.rate);
  const ratios = Array.from({ length: rounds }, (_, r) => {
    const inRound = runs.slice(r * SEGMENTS.length, (r + 1) * SEGMENTS.length);
    return (inRound.find((x) => x.segments === n)?.rate ?? 0) / (inRound.find((x) => x.segments === 1)?.rate ?? 1);
  });
  const ratio = median(ratios);
  // More processes than cores contend for them: measured and printed, not judged.
  if (n > 1 && n <= cpus().length && Math.abs(ratio - 1) > BAND) met = false;
  console.log(
    `  ${n} segment${n > 1 ? 's' : ' '}  ${median(rates).toFixed(0).padStart(6)}  (${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)})  ${ratio.toFixed(3)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
}
const exact = runs.every((x) => x.exact);
console.log(
  `goal: up to ${cpus().length} segments (one per core) within ±${BAND * 100} % of 1 (no gain on one machine, little loss): ${met ? 'met' : 'NOT met'}`,
);
console.log(`merge exact in every run (per-endpoint counts = sum of the k6 summaries): ${exact ? 'yes' : 'NO'}`);
if (!exact) process.exit(2);
if (!met) process.exit(1);
