/**
 * Analysis throughput (issue 5): a generated 1M-point raw file in k6's format (gzipped NDJSON,
 * ~12 points per request, 12 endpoints, five stages) in a run directory with its plan.json and
 * run.json, analysed as `loadgate analyze` does it (analyzeRun, then writeAnalysis writing
 * analysis.json, then the terminal summary) in a child process of plain JavaScript (as the CLI runs), against a floor measured in
 * the same run: gunzip and split lines, no parsing. Prints wall time, peak RSS and the ratio,
 * per percentile mode. With --10m, also a 10M-point run (generated once into bench/out/), each
 * mode's peak RSS printed next to the 1M run's in the same mode: in hdr and auto (which moves
 * to HDR past 2M latency values) memory stays flat; exact keeps every value by design.
 *
 *   npx tsx bench/analysis-throughput.ts [--10m] [--runs N]
 *
 * Goal: 1M points ≤ 1.5 s and ≤ 150 MB. The machine is shared: compare the ratio to the floor
 * more than the absolute figures.
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchOptions, planFor, writeGenerated } from '../test/analysis/generate.ts';
import { runRecord } from '../test/analysis/helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'out');
const args = process.argv.slice(2);
const with10m = args.includes('--10m');
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;

/** A run directory `bench/out/<name>/` with raw.ndjson.gz (generated once), plan.json and run.json. */
async function ensure(name: string, points: number, scale: number): Promise<{ dir: string; raw: string }> {
  const dir = join(outDir, name);
  mkdirSync(dir, { recursive: true });
  const raw = join(dir, 'raw.ndjson.gz');
  const plan = join(dir, 'plan.json');
  const opts = { ...benchOptions(scale), maxPoints: points };
  if (!existsSync(raw) || !existsSync(plan)) {
    const t = performance.now();
    process.stdout.write(`generating ${raw} … `);
    const r = await writeGenerated(raw, opts);
    writeFileSync(plan, JSON.stringify(planFor(opts, name)));
    process.stdout.write(`${r.points} points, ${r.requests} requests, ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const endMs = opts.startMs + Math.max(...opts.stages.map((s) => s.endS)) * 1000;
  const record = runRecord(name, ['raw.ndjson.gz'], {
    startedAt: new Date(opts.startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
  });
  writeFileSync(join(dir, 'run.json'), JSON.stringify(record));
  return { dir, raw };
}

interface Measure {
  task: string;
  wallMs: number;
  maxRssMB: number;
  [k: string]: unknown;
}

/**
 * The child runs as plain JavaScript, built like the CLI (build/cli.mjs: bundled, npm packages
 * external): its memory is then what `loadgate analyze` uses, without tsx's ~30 MB compiler.
 */
const CHILD = join(outDir, 'analysis-child.mjs');
await build({
  entryPoints: [join(here, 'analysis-child.ts')],
  outfile: CHILD,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});

function child(...a: string[]): Measure {
  const out = execFileSync(process.execPath, [CHILD, ...a], {
    encoding: 'utf8',
    cwd: join(here, '..'),
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Measure;
}

function best(n: number, task: () => Measure): Measure {
  let b: Measure | null = null;
  for (let i = 0; i < n; i++) {
    const m = task();
    if (b === null || m.wallMs < b.wallMs) b = m;
  }
  return b as Measure;
}

const MODES = ['exact', 'hdr', 'auto'] as const;
const fmt = (m: Measure) => `${(m.wallMs / 1000).toFixed(3)} s, peak RSS ${m.maxRssMB.toFixed(0)} MB`;
const written = (m: Measure) =>
  `analysis.json ${((m.analysisBytes as number) / 1024).toFixed(0)} kB written in ${(m.writeMs as number).toFixed(0)} ms`;
const pad = (s: string) => s.padEnd(24);

console.log(
  'Wall time: in-process, from the first read to analysis.json written (Node start-up and module loading excluded).\nPeak RSS: the whole child process (Node included).',
);

const one = await ensure('analysis-1m', 1_000_000, 1);
console.log(`\n1M points (${runs} runs each, best of; one child process per run)`);
const gunzip = best(runs, () => child('gunzip', one.raw));
const floor = best(runs, () => child('floor', one.raw));
const at1m = Object.fromEntries(MODES.map((m) => [m, best(runs, () => child('analyze', one.dir, m))])) as Record<
  (typeof MODES)[number],
  Measure
>;
console.log(`  ${pad('gunzip only')}${fmt(gunzip)}  (${((gunzip.bytes as number) / 1e6).toFixed(0)} MB decompressed)`);
console.log(`  ${pad('floor (gunzip + split)')}${fmt(floor)}  (${floor.lines} lines)`);
for (const mode of MODES) {
  const m = at1m[mode];
  const pct = mode === 'auto' ? `, percentiles ${m.percentiles}` : '';
  console.log(`  ${pad(`analyze, ${mode}`)}${fmt(m)}  (${m.points} points, ${m.requests} requests${pct}, p95 ${m.p95}; ${written(m)})`);
}
console.log(
  `  ${pad('ratio analyze/floor')}${MODES.map((mode) => `${mode} ${(at1m[mode].wallMs / floor.wallMs).toFixed(2)}×`).join(', ')}`,
);
console.log(
  `  ${pad('goal ≤ 1.5 s, ≤ 150 MB')}${MODES.map((mode) => `${mode} ${at1m[mode].wallMs <= 1500 && at1m[mode].maxRssMB <= 150 ? 'met' : 'NOT met'}`).join(', ')}`,
);

if (with10m) {
  const ten = await ensure('analysis-10m', 10_000_000, 10);
  console.log('\n10M points (one run each; peak RSS next to the 1M run in the same mode)');
  const f10 = child('floor', ten.raw);
  console.log(`  ${pad('floor (gunzip + split)')}${fmt(f10)}  (${f10.lines} lines; 1M: ${floor.maxRssMB.toFixed(0)} MB)`);
  for (const mode of MODES) {
    const m = child('analyze', ten.dir, mode);
    const base = at1m[mode];
    const pct = mode === 'auto' ? `, percentiles ${m.percentiles} (1M: ${base.percentiles})` : '';
    const why = mode === 'exact' ? ' — grows: exact keeps every value (8 bytes each)' : '';
    console.log(
      `  ${pad(`analyze, ${mode}`)}${fmt(m)}  | 1M ${mode}: peak RSS ${base.maxRssMB.toFixed(0)} MB, 10M/1M ${(m.maxRssMB / base.maxRssMB).toFixed(2)}×${why}  (${m.points} points, ${m.requests} requests${pct}; ratio to floor ${(m.wallMs / f10.wallMs).toFixed(2)}×; ${written(m)})`,
    );
  }
}
