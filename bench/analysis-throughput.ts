/**
 * Analysis throughput: a generated 1M-point raw file in k6's format (gzipped NDJSON, ~12
 * points per request, 12 endpoints, five stages), analysed in a child process, against a
 * floor measured in the same run (gunzip and split lines, no parsing). Prints wall time, peak
 * RSS and the ratio. With --10m, also a 10M-point file (generated once into bench/out/) to
 * show that memory stays flat (auto mode switches to HDR histograms past 2M values).
 *
 *   npx tsx bench/analysis-throughput.ts [--10m] [--runs N]
 *
 * Goal (issue 5): 1M points ≤ 1.5 s and ≤ 150 MB. The machine is shared: compare the ratio
 * to the floor more than the absolute figures.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchOptions, planFor, writeGenerated } from '../test/analysis/generate.ts';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'out');
const args = process.argv.slice(2);
const with10m = args.includes('--10m');
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;

async function ensure(name: string, points: number, scale: number): Promise<{ file: string; plan: string }> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.ndjson.gz`);
  const plan = join(outDir, `${name}.plan.json`);
  const opts = { ...benchOptions(scale), maxPoints: points };
  if (!existsSync(file) || !existsSync(plan)) {
    const t = performance.now();
    process.stdout.write(`generating ${file} … `);
    const r = await writeGenerated(file, opts);
    writeFileSync(plan, JSON.stringify(planFor(opts)));
    process.stdout.write(`${r.points} points, ${r.requests} requests, ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  return { file, plan };
}

interface Measure {
  task: string;
  wallMs: number;
  maxRssMB: number;
  [k: string]: unknown;
}

function child(...a: string[]): Measure {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'analysis-child.ts'), ...a], {
    encoding: 'utf8',
    cwd: join(here, '..'),
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Measure;
}

function best(task: () => Measure): Measure {
  let b: Measure | null = null;
  for (let i = 0; i < runs; i++) {
    const m = task();
    if (b === null || m.wallMs < b.wallMs) b = m;
  }
  return b as Measure;
}

const fmt = (m: Measure) => `${(m.wallMs / 1000).toFixed(3)} s, peak RSS ${m.maxRssMB.toFixed(0)} MB`;

const one = await ensure('raw-1m', 1_000_000, 1);
console.log(`\n1M points (${runs} runs each, best of; one child process per run)`);
const gunzip = best(() => child('gunzip', one.file));
const floor = best(() => child('floor', one.file));
const exact = best(() => child('analyze', one.file, one.plan, 'exact'));
const hdr = best(() => child('analyze', one.file, one.plan, 'hdr'));
console.log(`  gunzip only             ${fmt(gunzip)}  (${((gunzip.bytes as number) / 1e6).toFixed(0)} MB decompressed)`);
console.log(`  floor (gunzip + split)  ${fmt(floor)}  (${floor.lines} lines)`);
console.log(`  analyze, exact          ${fmt(exact)}  (${exact.requests} requests, p95 ${exact.p95})`);
console.log(`  analyze, hdr            ${fmt(hdr)}`);
console.log(`  ratio analyze/floor     exact ${(exact.wallMs / floor.wallMs).toFixed(2)}×, hdr ${(hdr.wallMs / floor.wallMs).toFixed(2)}×`);
console.log(`  goal ≤ 1.5 s and ≤ 150 MB: ${exact.wallMs <= 1500 && exact.maxRssMB <= 150 ? 'met' : 'NOT met'} (exact)`);

if (with10m) {
  const ten = await ensure('raw-10m', 10_000_000, 10);
  console.log('\n10M points (one run each)');
  const f10 = child('floor', ten.file);
  const a10 = child('analyze', ten.file, ten.plan, 'auto');
  console.log(`  floor (gunzip + split)  ${fmt(f10)}  (${f10.lines} lines)`);
  console.log(`  analyze, auto           ${fmt(a10)}  (${a10.requests} requests, percentiles ${a10.percentiles})`);
  console.log(
    `  ratio analyze/floor     ${(a10.wallMs / f10.wallMs).toFixed(2)}×; RSS 10M/1M ${(a10.maxRssMB / exact.maxRssMB).toFixed(2)}×`,
  );
}
