/**
 * Analysis throughput (issues 5 and 15): `loadgate analyze <run-dir>` on a run whose raw k6
 * output (gzipped NDJSON, ~13 points per request, 12 endpoints, five stages; generated once
 * into bench/out/, with its plan.json and run.json) holds 1M points. The time judged is what
 * the user waits for: `node bin/loadgate.js analyze <run-dir>` as a new process, from spawn to
 * exit (Node's start-up, loading the CLI, reading, analysing, writing analysis.json, printing
 * the summary), with its peak RSS and CPU time from GNU time.
 *
 * Interleaved rounds, the order rotating in each so that no task always runs on a warmer
 * machine: the CLI in each percentile mode (`--percentiles auto`, the default; exact; hdr), the
 * same analysis in process (a child of plain JavaScript built like the CLI, timed from its first
 * read to analysis.json written: no start-up, no module loading), and a floor (gunzip and split
 * lines, no parsing). Each figure is the median of the rounds, with the spread (min–max).
 *
 * Like with like: every round's analysis.json must equal the first round's of its mode (but for
 * `generatedAt`), and the CLI's must equal the in-process analysis; else the bench exits 2.
 * Before each CLI round the CLI build is brought up to date (untimed, `loadgate --help`); a round
 * during which it was rebuilt anyway (a source changed meanwhile) is run again, and one that fell
 * back to tsx stops the bench (exit 2).
 *
 * Goal (issue 15): 1M points, the whole CLI path, ≤ 1.2 s and ≤ 150 MB, in every mode, judged on
 * the medians: exit 1 when one is missed. With --10m, also a 10M-point run through the CLI (one
 * run per mode; generated once into bench/out/), its peak RSS next to the 1M median: in hdr and
 * auto (which moves to HDR past 2M latency values) memory stays flat; exact keeps every value
 * by design.
 *
 *   npm run bench:analysis [-- --rounds N] [-- --10m]
 *
 * The machine is shared: the load average is printed at the start and the end; compare the
 * CLI with the floor of the same rounds more than the absolute figures when it is high.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { buildAnalysisChild } from './build-child.ts';
import { load, median } from './stats.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchOptions, planFor, writeGenerated } from '../test/analysis/generate.ts';
import { runRecord } from '../test/analysis/helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const outDir = join(here, 'out');
const args = process.argv.slice(2);
const with10m = args.includes('--10m');
const roundsAt = args.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 5;
const GOAL = { ms: 1200, rssMB: 150 };
const MODES = ['auto', 'exact', 'hdr'] as const;
type Mode = (typeof MODES)[number];
const GNU_TIME = '/usr/bin/time';
const BIN = join(ROOT, 'bin', 'loadgate.js');
const POINTER = join(ROOT, 'dist', 'cli', 'current.json');

if (!(ROUNDS >= 1)) throw new Error(`--rounds must be a positive number, got ${args[roundsAt + 1]}`);
if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (GNU time) is missing: bash scripts/setup.sh installs it`);

/** A run directory `bench/out/<name>/` with raw.ndjson.gz (generated once), plan.json and run.json. */
async function ensure(name: string, points: number, scale: number): Promise<string> {
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
  return dir;
}

/**
 * The in-process child runs as plain JavaScript, built like the CLI (build/cli.mjs: bundled, npm
 * packages external), so that its memory is what the analysis uses without tsx's compiler.
 */
const CHILD = join(outDir, 'analysis-child.mjs');

interface Measure {
  wallMs: number;
  maxRssMB: number;
  /** User + system CPU of the whole process (GNU time): less disturbed than wall time by a busy machine. */
  cpuS: number;
  /** The analysis written, when the task writes one. */
  file: string | null;
}

/** `argv` under GNU time; wall time from spawn to exit, measured here. */
function timed(argv: string[], label: string): { m: Measure; stdout: string; stderr: string } {
  const stats = join(scratch, 'time.txt');
  const t0 = performance.now();
  const r = spawnSync(GNU_TIME, ['-o', stats, '-f', '%M %U %S', process.execPath, ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${label} exited ${r.status}:\n${r.stderr}`);
  const [rssKB, user, sys] = readFileSync(stats, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
  if (rssKB === undefined || user === undefined || sys === undefined) throw new Error(`${label}: no figures from GNU time`);
  return { m: { wallMs, maxRssMB: rssKB / 1024, cpuS: user + sys, file: null }, stdout: r.stdout, stderr: r.stderr };
}

const pointer = () => (existsSync(POINTER) ? readFileSync(POINTER, 'utf8') : null);
let rebuiltRounds = 0;

/** `loadgate analyze <dir> --percentiles <mode> --out <file>`, as a user runs it. */
function cli(dir: string, mode: Mode, round: number): Measure {
  const file = join(scratch, `cli-${mode}-${round}.json`);
  for (let attempt = 0; ; attempt++) {
    // Untimed: a build made stale by a source edited meanwhile is rebuilt here, not in the timed run.
    execFileSync(process.execPath, [BIN, '--help'], { cwd: ROOT, stdio: 'ignore' });
    const before = pointer();
    const { m, stderr } = timed([BIN, 'analyze', dir, '--percentiles', mode, '--out', file, '--quiet'], `loadgate analyze (${mode})`);
    if (stderr.includes('running the sources through tsx')) {
      throw new Error(`the built CLI is unavailable; the timed run fell back to tsx, which is not what a user runs:\n${stderr}`);
    }
    if (pointer() === before || attempt === 2) return { ...m, file };
    rebuiltRounds++;
  }
}

/** The same analysis in process (analysis-child.ts): no Node start-up, no module loading in the time. */
function inProcess(dir: string, mode: Mode, round: number): Measure {
  const file = join(scratch, `in-process-${mode}-${round}.json`);
  const { m, stdout } = timed([CHILD, 'analyze', dir, mode, file], `in-process analysis (${mode})`);
  const own = JSON.parse(stdout.trim().split('\n').pop() as string) as { wallMs: number };
  return { ...m, wallMs: own.wallMs, file };
}

function floor(raw: string): Measure {
  const { m, stdout } = timed([CHILD, 'floor', raw], 'floor');
  const own = JSON.parse(stdout.trim().split('\n').pop() as string) as { wallMs: number };
  return { ...m, wallMs: own.wallMs };
}

const sec = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const spreadOf = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

/** The analysis as compared: everything but the time it was made. */
function canonical(file: string): string {
  const a = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  a['generatedAt'] = '';
  return JSON.stringify(a);
}

function row(label: string, ms: Measure[]): string {
  const wall = ms.map((m) => m.wallMs);
  const rss = ms.map((m) => m.maxRssMB);
  const cpu = ms.map((m) => m.cpuS);
  return (
    `  ${label.padEnd(32)}${sec(median(wall))} (${spreadOf(wall, sec)})   peak RSS ${median(rss).toFixed(0)} MB (${spreadOf(rss, (x) => x.toFixed(0))})` +
    `   CPU ${median(cpu).toFixed(2)} s (${spreadOf(cpu, (x) => x.toFixed(2))})`
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'loadgate-bench-analysis-'));
let exit = 0;
try {
  mkdirSync(outDir, { recursive: true });
  await buildAnalysisChild(CHILD);
  const dir = await ensure('analysis-1m', 1_000_000, 1);
  const raw = join(dir, 'raw.ndjson.gz');
  console.log(`load average at the start: ${load()} (${ROUNDS} rounds; one new process per task)`);
  // Warm-up, untimed: the page cache holds the raw file, and the CLI build is current.
  cli(dir, 'auto', -1);

  type Task = { label: string; run: (round: number) => Measure };
  const tasks: Task[] = [
    ...MODES.map((mode) => ({ label: `cli ${mode}`, run: (r: number) => cli(dir, mode, r) })),
    { label: 'in-process auto', run: (r: number) => inProcess(dir, 'auto', r) },
    { label: 'floor', run: () => floor(raw) },
  ];
  const results = new Map<string, Measure[]>(tasks.map((t) => [t.label, []]));
  const loads: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < tasks.length; k++) {
      const t = tasks[(k + r) % tasks.length] as Task;
      results.get(t.label)?.push(t.run(r));
    }
    loads.push(loadavg()[0] as number);
  }
  const get = (label: string) => results.get(label) as Measure[];

  // Like with like: the same answer in every round, and the CLI's equal to the in-process one.
  const problems: string[] = [];
  const reference = canonical(get('in-process auto')[0]?.file as string);
  for (const [label, ms] of results) {
    if (ms[0]?.file === null || ms[0] === undefined) continue;
    const first = canonical(ms[0].file as string);
    ms.forEach((m, r) => {
      if (canonical(m.file as string) !== first) problems.push(`${label}: round ${r + 1}'s analysis differs from round 1's`);
    });
    if (label === 'cli auto' && first !== reference) problems.push("the CLI's analysis (auto) differs from the in-process one");
  }
  const a = JSON.parse(readFileSync(get('cli auto')[0]?.file as string, 'utf8')) as {
    input: { points: number };
    totals: { requests: number; all: { durationMs: { p95: number } } };
    settings: { percentiles: string };
  };

  console.log(
    `\n1M points (${a.input.points} points, ${a.totals.requests} requests; p95 ${a.totals.all.durationMs.p95} ms, auto → ${a.settings.percentiles}): ` +
      `median of ${ROUNDS} interleaved rounds (spread min–max)`,
  );
  for (const mode of MODES) console.log(row(`loadgate analyze, ${mode}`, get(`cli ${mode}`)));
  console.log(row('in process, auto (no start-up)', get('in-process auto')));
  console.log(row('floor (gunzip + split)', get('floor')));
  const startup = median(get('cli auto').map((m) => m.wallMs)) - median(get('in-process auto').map((m) => m.wallMs));
  console.log(
    `  ${'CLI − in process (auto)'.padEnd(32)}${sec(startup)} (Node's start-up, loading the CLI, plan and run records, the summary)`,
  );
  console.log(`  ${'load average (1 min)'.padEnd(32)}${spreadOf(loads, (x) => x.toFixed(2))} after each round; at the end ${load()}`);
  if (rebuiltRounds > 0) console.log(`  ${rebuiltRounds} CLI run(s) repeated: a source changed and the CLI was rebuilt during them`);

  for (const mode of MODES) {
    const ms = get(`cli ${mode}`);
    const wall = median(ms.map((m) => m.wallMs));
    const rss = median(ms.map((m) => m.maxRssMB));
    const met = wall <= GOAL.ms && rss <= GOAL.rssMB;
    const beyond = Math.min(...ms.map((m) => m.wallMs)) > GOAL.ms ? ' (every round over it)' : '';
    console.log(
      `  goal ${mode.padEnd(5)} ≤ ${sec(GOAL.ms)}, ≤ ${GOAL.rssMB} MB: ${met ? 'met' : `NOT MET${beyond}`} (median ${sec(wall)}, ${rss.toFixed(0)} MB)`,
    );
    if (!met) exit = Math.max(exit, 1);
  }
  if (problems.length > 0) {
    for (const p of problems) console.log(`  NOT LIKE WITH LIKE: ${p}`);
    exit = 2;
  } else {
    console.log(`  same analysis in every round, and the CLI's equal to the in-process one: yes`);
  }

  if (with10m) {
    const ten = await ensure('analysis-10m', 10_000_000, 10);
    console.log('\n10M points through the CLI (one run each; peak RSS next to the 1M median in the same mode)');
    for (const mode of MODES) {
      const m = cli(ten, mode, 1000);
      const base = median(get(`cli ${mode}`).map((x) => x.maxRssMB));
      const why = mode === 'exact' ? ' — grows: exact keeps every value (8 bytes each)' : '';
      console.log(
        `  ${`loadgate analyze, ${mode}`.padEnd(32)}${sec(m.wallMs)}, peak RSS ${m.maxRssMB.toFixed(0)} MB | 1M: ${base.toFixed(0)} MB, 10M/1M ${(m.maxRssMB / base).toFixed(2)}×${why}`,
      );
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = exit;
