/**
 * Render time and file size of a run report for 20 endpoints × 1 hour at 1 s resolution, and
 * of a comparison of two such runs, with the readiness checks' section (issue 11). Goal (issue 6):
 * under 1 s and under 2 MB per report.
 *
 * The time that counts is the whole path a user pays for, `loadgate report <dir>`: a new Node
 * process that loads the CLI, reads and validates analysis.json and verdict.json from disk,
 * renders and writes the file. The bench times that command as a child process, then the same
 * steps in this process (first call, with template compilation, and again), then the in-memory
 * render alone. `loadgate --help` shows how much of the whole path is starting the CLI.
 *
 * The whole path runs in interleaved rounds (ROUNDS, default 5; `--help`, the run report and the
 * comparison, the order rotating each round so that none always runs on a warmer machine),
 * after one untimed call that brings the CLI build up to date. Each is judged on its median,
 * printed with its spread (min–max) and the load average: the bench exits 1 when a goal is
 * missed, and stops when the CLI fell back to running its sources through tsx (not what a user runs).
 * Run: npm run bench:report   (ROUNDS=5 tsx bench/report-render.ts)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeAnalysis, PHASE_READINESS, type FixtureEndpoint } from '../test/fixtures/report/make-analysis.ts';
import { verdictFor } from '../test/fixtures/report/make-verdict.ts';
import { writeAnalysis } from '../lib/analysis/analyze.ts';
import { writeComparison, writeRunReport } from '../lib/report/files.ts';
import { readRunInputs } from '../lib/contract/run-inputs.ts';
import { renderComparison, renderRunReport } from '../lib/report/render.ts';
import { NOISE } from '../lib/shared/stats.ts';
import { load, median } from './stats.ts';

const ROOT = resolve(import.meta.dirname, '..');
const GOAL = { ms: 1000, bytes: 2 * 1024 * 1024 };
const REPEAT = 3;

const endpoints: FixtureEndpoint[] = Array.from({ length: 20 }, (_, i) => ({
  name: `group${i % 4}.endpoint-${String(i).padStart(2, '0')}`,
  share: 1 / 20,
  baseMs: 20 + i * 7,
  kneeRps: i < 5 ? 60 : null,
  growth: 6,
  errorRate: 0.002,
  timeoutMs: 5000,
}));
const stages = [
  { name: 'ramp-up', durationS: 600, fromRps: 0, toRps: 80 },
  { name: 'hold', durationS: 2700, fromRps: 80, toRps: 80 },
  { name: 'ramp-down', durationS: 300, fromRps: 80, toRps: 0 },
];

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
const ms = (n: number) => `${n.toFixed(0)} ms`;

async function timed<T>(f: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

async function repeat(f: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) times.push((await timed(f))[1]);
  return median(times);
}

/** `node bin/loadgate.js …` as a user runs it; wall time from spawn to exit. */
async function cliMs(args: string[]): Promise<number> {
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/loadgate.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', fail);
    child.once('close', (c) => done({ code: c, stderr: err }));
  });
  const elapsed = performance.now() - t0;
  if (code !== 0) throw new Error(`loadgate ${args.join(' ')} exited ${code}:\n${stderr}`);
  if (stderr.includes('running the sources through tsx')) {
    throw new Error(
      `the built CLI is unavailable; loadgate ${args.join(' ')} ran its sources through tsx, which is not what a user runs:\n${stderr}`,
    );
  }
  return elapsed;
}

/** Two such runs written as `loadgate run` writes them: the analysis module's writer, the verdict as `loadgate verdict` does. */
async function prepare(root: string): Promise<string[]> {
  const [analyses, genMs] = await timed(() =>
    // With the readiness checks beside the load (issue 11): the run report's readiness section and the comparison's.
    [1, 2].map((seed) =>
      makeAnalysis({
        seed,
        runId: `bench-${seed}`,
        endpoints,
        stages,
        intervalS: 1,
        readiness: seed === 1 ? PHASE_READINESS.baseline : PHASE_READINESS.phase3,
      }),
    ),
  );
  const dirs: string[] = [];
  for (const a of analyses) {
    const dir = join(root, a.run.runId);
    await mkdir(dir);
    await writeAnalysis(dir, a);
    await writeFile(join(dir, 'verdict.json'), `${JSON.stringify(verdictFor(a, 'phase2'), null, 2)}\n`);
    dirs.push(dir);
  }
  const a = analyses[0]!;
  const dir = dirs[0]!;
  console.log(
    `fixture: ${a.endpoints.length} endpoints × ${a.series.t.length} intervals of ${a.series.intervalS} s, ` +
      `${a.totals.requests.toLocaleString('en-US')} requests per run (2 runs generated in ${(genMs / 1000).toFixed(1)} s); ` +
      `analysis.json ${mb(await onDisk(join(dir, 'analysis.json')))}, verdict.json ${mb(await onDisk(join(dir, 'verdict.json')))} on disk`,
  );
  return dirs;
}

const onDisk = async (f: string) => (await stat(f)).size;

const WHOLE_ROUNDS = Number(process.env['ROUNDS'] ?? 5);

const root = await mkdtemp(join(tmpdir(), 'loadgate-bench-report-'));
try {
  const dirs = await prepare(root);
  const [dirA, dirB] = dirs as [string, string];
  const now = new Date('2025-06-01T03:00:00Z');

  // 1. The whole path, as a user runs it: one new process each; `loadgate --help` is the part of it that is starting the CLI.
  // Interleaved rounds (start-up, run report, comparison), judged on the median; the spread is printed.
  const cliRunFile = join(root, 'cli-report.html');
  const cliCmpFile = join(root, 'cli-comparison.html');
  const rounds = { startup: [] as number[], run: [] as number[], cmp: [] as number[] };
  const tasks: [keyof typeof rounds, string[]][] = [
    ['startup', ['--help']],
    ['run', ['report', dirA, '--out', cliRunFile]],
    ['cmp', ['report', dirA, dirB, '--out', cliCmpFile]],
  ];
  console.log(`load average at the start: ${load()}`);
  // Untimed: a CLI build made stale by an edited source is rebuilt here, not in a timed round.
  await cliMs(['--help']);
  const loads: number[] = [];
  for (let r = 0; r < WHOLE_ROUNDS; r++) {
    for (let k = 0; k < tasks.length; k++) {
      const [key, args] = tasks[(k + r) % tasks.length] as [keyof typeof rounds, string[]];
      rounds[key].push(await cliMs(args));
    }
    loads.push(loadavg()[0] as number);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const startup = med(rounds.startup);
  const cliRun = med(rounds.run);
  const cliCmp = med(rounds.cmp);
  const spreadOf = (xs: number[]) => `${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`;
  console.log(
    `whole path, median of ${WHOLE_ROUNDS} interleaved rounds (spread): --help ${ms(startup)} (${spreadOf(rounds.startup)}), ` +
      `run report ${ms(cliRun)} (${spreadOf(rounds.run)}), comparison ${ms(cliCmp)} (${spreadOf(rounds.cmp)}); ` +
      `load average (1 min) ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} after each round`,
  );
  const runBytes = await onDisk(cliRunFile);
  const cmpBytes = await onDisk(cliCmpFile);

  // 2. The same path in this process: the first call compiles the templates and reads the assets.
  // The run report's first call is split into its steps; the comparison's has the run report's templates already.
  const [inputs, readMs] = await timed(() => readRunInputs(dirA));
  const [html, renderColdMs] = await timed(() => renderRunReport({ analysis: inputs.analysis, verdict: inputs.verdict, now }));
  const [, writeMs] = await timed(() => writeFile(join(root, 'in-process.html'), html));
  const runWarm = await repeat(() => writeRunReport(dirA, now, join(root, 'in-process.html')));
  const runMem = await repeat(() => renderRunReport({ analysis: inputs.analysis, verdict: inputs.verdict, now }));

  const [, cmpFirst] = await timed(() => writeComparison(dirs, join(root, 'in-process-cmp.html'), { now }));
  const cmpWarm = await repeat(() => writeComparison(dirs, join(root, 'in-process-cmp.html'), { now }));
  const runs = await Promise.all(dirs.map(async (d, i) => ({ label: `run${i + 1}`, ...(await readRunInputs(d)) })));
  const cmpMem = await repeat(() => renderComparison({ runs, now }));

  const run = { whole: cliRun, fastest: Math.min(...rounds.run), bytes: runBytes };
  const cmp = { whole: cliCmp, fastest: Math.min(...rounds.cmp), bytes: cmpBytes };
  console.log(
    `run report:  loadgate report <dir> ${ms(cliRun)} (new process: Node start, CLI load, read + validate, render, write; ` +
      `loadgate --help alone ${ms(startup)}); ` +
      `in process, first call ${ms(readMs + renderColdMs + writeMs)} = read + validate ${ms(readMs)} + render ${ms(renderColdMs)} (templates, assets) + write ${ms(writeMs)}, ` +
      `again ${ms(runWarm)}; in-memory render ${ms(runMem)}; size ${mb(runBytes)} (${runBytes.toLocaleString('en-US')} bytes)`,
  );
  console.log(
    `comparison (2 runs × 20 endpoints, ${NOISE.resamples.toLocaleString('en-US')} bootstrap resamples per test):  loadgate report <dir> <dir> ${ms(cliCmp)}; ` +
      `in process, first call ${ms(cmpFirst)}, again ${ms(cmpWarm)}; in-memory render ${ms(cmpMem)}; size ${mb(cmpBytes)} (${cmpBytes.toLocaleString('en-US')} bytes)`,
  );
  console.log(`(in process: median of ${REPEAT} after the first call; in-memory render: analysis and verdict already parsed)`);
  const verdict = (what: string, r: { whole: number; fastest: number; bytes: number }) => {
    const ok = r.whole < GOAL.ms && r.bytes < GOAL.bytes;
    const beyond = r.fastest >= GOAL.ms ? ', every round over it' : '';
    console.log(
      `${what}: ${ok ? 'goal met' : 'GOAL MISSED'} (whole path, median ${ms(r.whole)} ${r.whole < GOAL.ms ? '<' : '≥'} 1 s${beyond}; file ${mb(r.bytes)} ${r.bytes < GOAL.bytes ? '<' : '≥'} 2 MB)`,
    );
    return ok;
  };
  const ok = [verdict('run report', run), verdict('comparison', cmp)].every(Boolean);
  console.log(`load average at the end: ${load()}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await rm(root, { recursive: true, force: true });
}
