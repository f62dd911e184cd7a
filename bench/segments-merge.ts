/**
 * The cost of merging execution segments (issue 12): a 3-segment run of 1M points in total
 * (three raw files, as `loadgate run --segments 3` writes them, with run.json's segment records)
 * against the same test in one file, analysed as `loadgate analyze` does it (read, analyse, write
 * analysis.json, format the summary) in a child process of plain JavaScript built like the CLI.
 * The files come from the test generator (test/analysis/generate.ts): the three segments hold
 * exactly the samples of the whole test, every request once; only the VU gauges are in each.
 *
 *   npx tsx bench/segments-merge.ts [--rounds N] [--mode auto|exact|hdr]
 *
 * Rounds are interleaved (one file, then three, then three, then one …), so that the shared
 * machine's drift falls on both alike; each figure is the median over the rounds, with its
 * spread (min–max), and the child's CPU time (GNU time) beside it, which a busy machine disturbs
 * less than wall time. Goal: the merge costs under 1.2× the single-file analysis, in wall time and
 * in peak RSS. Exits 1 when the goal is missed, 2 when the two analyses disagree.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAnalysisChild } from './build-child.ts';
import { benchOptions, planFor, writeGenerated, type GenOptions } from '../test/analysis/generate.ts';
import { runRecord } from '../test/analysis/helpers.ts';
import { segmentFiles, segmentSpecs } from '../lib/run/segments.ts';
import type { SegmentRecord } from '../lib/contract/run.ts';
import type { Analysis } from '../lib/contract/analysis.ts';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'out');
const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const rounds = Number(flag('--rounds') ?? 5);
const mode = flag('--mode') ?? 'auto';
const POINTS = 1_000_000;
const SEGMENTS = 3;
const GOAL = 1.2;

const opts: GenOptions = { ...benchOptions(1), maxPoints: POINTS };
const window = {
  startedAt: new Date(opts.startMs).toISOString(),
  endedAt: new Date(opts.startMs + Math.max(...opts.stages.map((s) => s.endS)) * 1000).toISOString(),
};

/** `bench/out/segments-merge-1/`: the whole test in one raw file (generated once). */
async function single(): Promise<string> {
  const dir = join(outDir, 'segments-merge-1');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'raw.ndjson.gz'))) {
    process.stdout.write('generating the single file … ');
    const r = await writeGenerated(join(dir, 'raw.ndjson.gz'), opts);
    process.stdout.write(`${r.points} points, ${r.requests} requests\n`);
  }
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(planFor(opts, 'segments-merge')));
  writeFileSync(join(dir, 'run.json'), JSON.stringify(runRecord('segments-merge', ['raw.ndjson.gz'], window)));
  return dir;
}

/** `bench/out/segments-merge-3/`: the same test as three segments, laid out as `loadgate run --segments 3` does. */
async function segmented(): Promise<string> {
  const dir = join(outDir, `segments-merge-${SEGMENTS}`);
  mkdirSync(dir, { recursive: true });
  const specs = segmentSpecs(SEGMENTS);
  const segments: SegmentRecord[] = [];
  for (const s of specs) {
    const files = segmentFiles(s.index, SEGMENTS);
    if (!existsSync(join(dir, files.rawFile))) {
      process.stdout.write(`generating segment ${s.index} of ${SEGMENTS} … `);
      const r = await writeGenerated(join(dir, files.rawFile), { ...opts, segment: { index: s.index - 1, count: SEGMENTS } });
      process.stdout.write(`${r.points} points, ${r.requests} requests\n`);
    }
    segments.push({
      index: s.index,
      segment: s.segment,
      sequence: s.sequence,
      ...files,
      status: 'completed',
      k6ExitCode: 0,
      signal: null,
      pid: null,
      startedAt: window.startedAt,
      endedAt: window.endedAt,
      netns: null,
    });
  }
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(planFor(opts, 'segments-merge')));
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify(
      runRecord(
        'segments-merge',
        segments.map((s) => s.rawFile),
        { ...window, segments },
      ),
    ),
  );
  return dir;
}

/** The measured child: bench/analysis-child.ts, built like the CLI (plain JavaScript, npm packages external). */
const CHILD = join(outDir, 'segments-merge-child.mjs');
await buildAnalysisChild(CHILD);

interface Measure {
  wallMs: number;
  maxRssMB: number;
  points: number;
  requests: number;
  /** CPU time of the whole child (user + system, GNU time), less sensitive than wall time to a busy machine. */
  cpuS: number | null;
}

/** GNU time (installed by scripts/setup.sh for the benches), for the child's CPU time. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function analyze(dir: string): Measure {
  const argv = [CHILD, 'analyze', dir, mode];
  if (GNU_TIME === null) {
    const out = execFileSync(process.execPath, argv, { encoding: 'utf8', cwd: join(here, '..') });
    return { ...(JSON.parse(out.trim().split('\n').pop() as string) as Measure), cpuS: null };
  }
  const r = spawnSync(GNU_TIME, ['-f', 'cpu %U %S', process.execPath, ...argv], { encoding: 'utf8', cwd: join(here, '..') });
  if (r.status !== 0) throw new Error(`analysis of ${dir} failed: ${r.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop() as string) as Measure), cpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : null };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const spread = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

mkdirSync(outDir, { recursive: true });
const oneDir = await single();
const segDir = await segmented();

// Warm the page cache for both inputs before the first measured round.
analyze(oneDir);
analyze(segDir);

const one: Measure[] = [];
const seg: Measure[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate the order: one→three, three→one, …
  if (r % 2 === 0) {
    one.push(analyze(oneDir));
    seg.push(analyze(segDir));
  } else {
    seg.push(analyze(segDir));
    one.push(analyze(oneDir));
  }
}

// Same test, same answer: the merged analysis is the single file's (but for the files read).
const read = (d: string) => JSON.parse(readFileSync(join(d, 'analysis.json'), 'utf8')) as Analysis;
const strip = (a: Analysis) =>
  JSON.stringify({ ...a, generatedAt: '', input: { ...a.input, files: [], lines: 0, points: 0 }, segments: undefined });
const same = strip(read(oneDir)) === strip(read(segDir));

const ms = (x: number) => `${(x / 1000).toFixed(3)} s`;
const mb = (x: number) => `${x.toFixed(0)} MB`;
const row = (label: string, m: Measure[]) =>
  `  ${label.padEnd(28)}wall ${ms(median(m.map((x) => x.wallMs)))} (${spread(
    m.map((x) => x.wallMs),
    ms,
  )})   peak RSS ${mb(median(m.map((x) => x.maxRssMB)))} (${spread(
    m.map((x) => x.maxRssMB),
    mb,
  )})${m.every((x) => x.cpuS !== null) ? `   CPU ${median(m.map((x) => x.cpuS as number)).toFixed(2)} s` : ''}   ${m[0]?.points} points, ${m[0]?.requests} requests`;

console.log(
  `\nAnalysis of 1M points, ${mode} percentiles: median of ${rounds} interleaved rounds (min–max); one child process per analysis.`,
);
console.log(row('one file', one));
console.log(row(`${SEGMENTS} segments (3 files)`, seg));
const wallRatio = median(seg.map((x) => x.wallMs)) / median(one.map((x) => x.wallMs));
const rssRatio = median(seg.map((x) => x.maxRssMB)) / median(one.map((x) => x.maxRssMB));
const met = wallRatio < GOAL && rssRatio < GOAL;
const cpu = one.every((x) => x.cpuS !== null) && seg.every((x) => x.cpuS !== null);
const cpuRatio = cpu ? `, CPU ${(median(seg.map((x) => x.cpuS as number)) / median(one.map((x) => x.cpuS as number))).toFixed(3)}×` : '';
console.log(
  `  ${'merge / one file'.padEnd(28)}wall ${wallRatio.toFixed(3)}×, peak RSS ${rssRatio.toFixed(3)}×${cpuRatio}   goal (wall and RSS) < ${GOAL}×: ${met ? 'met' : 'NOT met'}`,
);
console.log(`  ${'same analysis'.padEnd(28)}${same ? 'yes (but for the files read)' : 'NO'}`);
if (!same) process.exit(2);
if (!met) process.exit(1);
