/**
 * The analysis entry points: a run directory (or several: execution segments of one test)
 * in, an `Analysis` out; reading and writing the analysis file.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { DataError } from '../contract/errors.ts';
import type { Plan } from '../contract/plan.ts';
import { expandStatuses } from '../shared/status.ts';
import type { RunRecord } from '../contract/run.ts';
import { readRunFileSync, RUN_FILES, RunDir, writeRunFile } from '../contract/run-dir.ts';
import { parseDuration } from '../shared/duration.ts';
import { LOAD_START_METRIC } from '../shared/defaults.ts';
import { Accumulator, DEFAULT_EXACT_LIMIT, type EndpointRules, type PercentileMode } from './accumulator.ts';
import { buildAnalysis } from './build.ts';
import { readLines, type ReadResult } from './lines.ts';
import { HDR_ABSOLUTE_ERROR_MS, HDR_RELATIVE_ERROR } from '../contract/distribution.ts';
import type { Analysis, DamagedFile, RunMeta, Segment, Segments } from '../contract/analysis.ts';
import { IsoTime } from '../contract/time.ts';
import { EXACT_PER_CELL } from './values.ts';

export type { PercentileMode } from './accumulator.ts';
export { DEFAULT_EXACT_LIMIT } from './accumulator.ts';

export const ANALYSIS_FILE = RUN_FILES.analysis.name;

export interface AnalyzeOptions {
  /** `exact` (k6's definition, memory grows with the run), `hdr` (bounded), `auto` (exact up to `exactLimit` values). Default `auto`. */
  percentiles?: PercentileMode;
  /** Series interval, seconds. Default: from the planned duration (defaultInterval). */
  intervalS?: number;
  /** Stored latency values past which `auto` switches to HDR. Default DEFAULT_EXACT_LIMIT. */
  exactLimit?: number;
  /** Raw files to read instead of run.json's `rawFiles` (relative to the first run directory). */
  files?: string[];
  /** Clock for `generatedAt`. */
  now?: () => Date;
}

/** Nice series intervals, seconds; the default is the smallest giving at most MAX_SERIES_POINTS buckets. */
const NICE_INTERVALS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
export const MAX_SERIES_POINTS = 600;
/** Without a plan the run length is unknown until the end: a coarse default. */
export const INTERVAL_WITHOUT_PLAN_S = 10;

export function defaultInterval(plannedDurationS: number | null): number {
  if (plannedDurationS === null || !(plannedDurationS > 0)) return INTERVAL_WITHOUT_PLAN_S;
  return NICE_INTERVALS.find((i) => plannedDurationS / i <= MAX_SERIES_POINTS) ?? 3600;
}

/** How far the head scan for the test start reads into each file (decompressed bytes). */
const HEAD_SCAN_BYTES = 32 << 20;
/** k6 samples `vus` once a second from the test start: the first one is ~1 s after it. */
const VUS_PERIOD_MS = 1000;

/**
 * Analyses one run directory, or several (execution segments of one test, merged into the
 * analysis one process would give). Reads plan.json, run.json and the raw results; writes nothing.
 */
export async function analyzeRun(runDirs: string | readonly string[], opts: AnalyzeOptions = {}): Promise<Analysis> {
  const dirs = (typeof runDirs === 'string' ? [runDirs] : [...runDirs]).map((d) => resolve(d));
  if (dirs.length === 0) throw new DataError('no run directory given');
  const first = dirs[0] as string;
  const warnings: string[] = [];

  let plan: Plan | null = null;
  let planDir = first;
  const records: RunRecord[] = [];
  const files: string[] = [];
  const segments: SegmentInput[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new DataError(`run directory ${dir} does not exist`);
    const run = new RunDir(dir);
    const p = await run.read(RUN_FILES.plan);
    if (p !== null && plan === null) {
      plan = p;
      planDir = dir;
    } else if (p !== null && plan !== null && testShape(p) !== testShape(plan)) {
      // Segments of one test share the load shape and endpoints; another test's samples
      // would be merged into stages and windows they do not belong to.
      warnings.push(
        `${dir} has another plan than ${planDir} (scenario, stages or endpoints differ): these may not be execution segments of one test; the analysis uses the plan of ${planDir}`,
      );
    }
    const r = await run.read(RUN_FILES.run);
    if (r !== null) records.push(r);
    if (opts.files === undefined) {
      const own = await rawFilesOf(dir, r);
      segments.push(...segmentsOf(dir, r, own, segments.length));
      files.push(...own);
    }
  }
  if (opts.files !== undefined) files.push(...opts.files.map((f) => (isAbsolute(f) ? f : join(first, f))));
  if (plan === null) warnings.push('no plan.json: stages, offered load and endpoint metadata come from the samples alone');
  if (files.length === 0) throw new DataError(`no raw results in ${dirs.join(', ')} (expected raw.ndjson.gz or run.json rawFiles)`);

  const status = worstStatus(records);
  if (records.some((r) => r.status === 'running')) {
    warnings.push('run.json still says "running": the run was cut off (or is still going); the analysis covers what was written');
  }
  const meta: BuildRunMeta = {
    runId: plan?.runId ?? records[0]?.runId ?? basename(first),
    scenario: plan?.scenario ?? null,
    profile: plan?.profile ?? null,
    phase: plan?.phase ?? null,
    target: plan === null ? null : publicUrl(plan.baseUrl),
    k6Version: records.find((r) => r.k6Version !== null)?.k6Version ?? null,
    status,
    k6ExitCode: records.map((r) => r.k6ExitCode).find((c) => c !== null && c !== 0) ?? records[0]?.k6ExitCode ?? null,
    startedAt: records[0]?.startedAt ?? null,
    endedAt: records[0]?.endedAt ?? null,
  };
  const partial = records.some((r) => r.partial === true);
  return analyzeFiles(files, {
    ...opts,
    plan,
    meta,
    warnings,
    baseDir: first,
    // One process (one file) is no split; several files are the segments of one test.
    ...(segments.length > 1 || records.some((r) => r.segments !== undefined) ? { segments: { list: segments, partial } } : {}),
  });
}

/** What the run records say about one execution segment, before its files are read. */
export interface SegmentInput {
  index: number;
  segment: string | null;
  /** Its raw files (absolute). */
  files: string[];
  status: Segment['status'];
  k6ExitCode: number | null;
  signal: string | null;
  endedAt: string | null;
}

/**
 * The segments a run directory holds: those of its run.json (`loadgate run --segments N`), else
 * each raw file (several directories merged, result files collected from k6-operator runners, a
 * run.json listing several rawFiles: each file is one process's).
 */
function segmentsOf(dir: string, r: RunRecord | null, own: readonly string[], before: number): SegmentInput[] {
  const status = (s: RunRecord['status'] | undefined): Segment['status'] => (s === undefined || s === 'running' ? 'unknown' : s);
  if (r?.segments !== undefined && r.segments.length > 0) {
    return r.segments.map((x, k) => ({
      index: before + k + 1,
      segment: x.segment,
      files: own.filter((f) => f === (isAbsolute(x.rawFile) ? x.rawFile : join(dir, x.rawFile))),
      status: status(x.status),
      k6ExitCode: x.k6ExitCode,
      signal: x.signal,
      endedAt: x.endedAt,
    }));
  }
  return own.map((f, k) => ({
    index: before + k + 1,
    segment: null,
    files: [f],
    status: status(r?.status),
    k6ExitCode: r?.k6ExitCode ?? null,
    signal: r?.signal ?? null,
    endedAt: r?.endedAt ?? null,
  }));
}

/** What execution segments of one test have in common: the scenario, the load shape and the endpoints. */
function testShape(p: Plan): string {
  return JSON.stringify([p.scenario, p.stages, p.endpoints]);
}

type BuildRunMeta = Omit<RunMeta, 'startedAt' | 'endedAt' | 'durationS'> & { startedAt: string | null; endedAt: string | null };

/** The lower level: raw files plus what is known about the run. */
export async function analyzeFiles(
  files: readonly string[],
  opts: AnalyzeOptions & {
    plan: Plan | null;
    meta: BuildRunMeta;
    warnings?: string[];
    baseDir?: string;
    /** The execution segments the files belong to (analysis `segments`). */
    segments?: { list: SegmentInput[]; partial: boolean };
  },
): Promise<Analysis> {
  const plan = opts.plan;
  const warnings = opts.warnings ?? [];
  const plannedEnd = plan === null ? null : Math.max(...plan.stages.map((s) => s.endS));
  const intervalS = opts.intervalS ?? defaultInterval(plannedEnd);
  if (!(intervalS > 0)) throw new DataError(`the series interval must be positive, got ${intervalS}`);

  const t0Ms = await findTestStart(files);
  const window = runWindow(plan, t0Ms, runEndMs(opts.meta.endedAt));
  const endpoints = new Map<string, EndpointRules>(
    (plan?.endpoints ?? []).map((e) => [e.name, { expectStatus: new Set(expandStatuses(e.expectStatus)) }]),
  );
  const acc = new Accumulator({
    t0Ms: t0Ms ?? 0,
    intervalS,
    mode: opts.percentiles ?? 'auto',
    exactLimit: opts.exactLimit ?? DEFAULT_EXACT_LIMIT,
    endpoints,
    stageWindows: plan?.stages ?? [],
    window: { fromS: -OUT_OF_WINDOW_MARGIN_S, toS: window?.toS ?? Infinity },
  });
  let truncated = false;
  const shown = (f: string) => (opts.baseDir === undefined ? f : relative(opts.baseDir, f) || basename(f));
  const fileRequests = new Map<string, number>();
  const requestsSoFar = () => acc.leaves.reduce((n, l) => n + l.requests, 0);
  const damage: DamagedFile[] = [];
  for (const file of files) {
    acc.beginFile();
    const requestsBefore = requestsSoFar();
    const r = await readLines(file, acc.line);
    fileRequests.set(file, (fileRequests.get(file) ?? 0) + requestsSoFar() - requestsBefore);
    if (r.truncated) truncated = true;
    const d = damageOf(shown(file), r, acc.fileDamaged, acc.fileFirstDamaged);
    if (d !== null) {
      damage.push(d);
      warnings.push(damageWarning(d, r.lines));
    }
  }

  if (acc.points === 0 || t0Ms === null) {
    const what = acc.lines === 0 ? 'they are empty' : `${acc.lines} lines, none of them a k6 sample`;
    throw new DataError(`no k6 samples in ${files.map(shown).join(', ')}: ${what}. Did k6 start? See k6.log in the run directory.`);
  }
  if (acc.tornLastLine > 0) warnings.push(`${acc.tornLastLine} incomplete last line(s) (a torn write) skipped`);
  if (acc.badJson > 0) {
    warnings.push(`${acc.badJson} line(s) that are not k6 JSON samples skipped, e.g. ${JSON.stringify(acc.badSamples[0] ?? '')}`);
  }
  if (acc.unknownMetric > 0) {
    const names = [...acc.unknownNames].sort((a, b) => b[1] - a[1]);
    const list = names.slice(0, 10).map(([n, c]) => `${n} (${c})`);
    warnings.push(
      `${acc.unknownMetric} sample(s) of metrics the analysis does not use: ${list.join(', ')}${names.length > 10 ? ', …' : ''}`,
    );
  }
  if (acc.untagged > 0) {
    warnings.push(
      `${acc.untagged} request or check sample(s) without a "name" tag, or without a stage (no "stage" tag, and no ${LOAD_START_METRIC} sample before them to place them by): counted in the totals, left out of the endpoint or stage they lack`,
    );
  }
  if (acc.outOfWindow > 0) {
    const span = window === null ? `more than ${OUT_OF_WINDOW_MARGIN_S} s before the test start` : `outside ${window.describe}`;
    const at = (x: number) => (x < 0 ? `${fmtS(-x)} before the start` : `${fmtS(x)} after the start`);
    const range =
      acc.outOfWindowMinS === acc.outOfWindowMaxS
        ? at(acc.outOfWindowMinS)
        : `from ${at(acc.outOfWindowMinS)} to ${at(acc.outOfWindowMaxS)}`;
    warnings.push(
      `${acc.outOfWindow} sample(s) timestamped ${span} (${range}): counted as out of window and left out of the analysis, so they do not stretch the run`,
    );
  }
  if (acc.clampedTimes > 0) warnings.push(`${acc.clampedTimes} sample(s) timestamped far past the run: placed in the last series interval`);
  if (acc.switchedAtValues !== null) {
    warnings.push(
      `more than ${opts.exactLimit ?? DEFAULT_EXACT_LIMIT} latency values: percentiles from HDR histograms (within ${HDR_RELATIVE_ERROR * 100} % of k6's, ${HDR_ABSOLUTE_ERROR_MS} ms below ${HDR_ABSOLUTE_ERROR_MS / HDR_RELATIVE_ERROR} ms; cells of at most ${EXACT_PER_CELL} values stay exact); use --percentiles exact to keep every value`,
    );
  }
  if (acc.leaves.every((l) => l.requests === 0)) warnings.push('no HTTP requests were recorded');

  let segments: Segments | undefined;
  if (opts.segments !== undefined) {
    const list: Segment[] = opts.segments.list.map((x) => {
      const ended = x.endedAt === null ? Number.NaN : Date.parse(x.endedAt);
      return {
        index: x.index,
        segment: x.segment,
        files: x.files.map(shown),
        status: x.status,
        k6ExitCode: x.k6ExitCode,
        signal: x.signal,
        endedAt: x.endedAt,
        endedAtS: Number.isFinite(ended) ? Math.round(ended - t0Ms) / 1000 : null,
        requests: x.files.reduce((n, f) => n + (fileRequests.get(f) ?? 0), 0),
      };
    });
    const failed = list.filter((x) => x.status === 'failed');
    const partial = opts.segments.partial || (failed.length > 0 && failed.length < list.length);
    segments = { count: list.length, partial, list };
    for (const x of failed) {
      const how = x.signal !== null ? `killed by ${x.signal}` : x.k6ExitCode !== null ? `k6 exit code ${x.k6ExitCode}` : 'k6 failed';
      const at = x.endedAtS === null ? '' : ` at ${fmtS(x.endedAtS)}`;
      warnings.push(
        `partial run: segment ${x.index} of ${list.length}${x.segment === null ? '' : ` (${x.segment})`} failed${at} (${how}); ` +
          `its share of the load is missing from then on, and every figure covers what the segments wrote (${x.requests} of its requests)`,
      );
    }
  }

  const analysis = buildAnalysis({
    acc,
    plan,
    run: opts.meta,
    t0Ms,
    intervalS,
    files: files.map(shown),
    truncated,
    damaged: damage,
    warnings,
    generatedAt: (opts.now ?? (() => new Date()))().toISOString(),
  });
  if (segments !== undefined) analysis.segments = segments;
  for (const leaf of acc.leaves) {
    leaf.duration.destroy();
    leaf.waiting.destroy();
    leaf.connecting.destroy();
  }
  return analysis;
}

/**
 * How far past the planned end (stages + k6's graceful stop) a sample may still belong to the
 * run, and how far before the test start: beyond it a sample is out of window (a clock gone
 * wrong, a line of another run) and is counted, not analysed. Covers k6's end-of-test work and
 * clock jitter between the processes of a segmented test.
 */
export const OUT_OF_WINDOW_MARGIN_S = 60;
/** k6's default `gracefulStop` for a scenario that does not set one. */
const K6_DEFAULT_GRACEFUL_STOP_S = 30;

/**
 * The latest offset (s from the test start) a sample of the run can have: the end of the last
 * planned stage, plus the longest `gracefulStop` of the plan's k6 scenarios (k6's default when
 * unset), plus OUT_OF_WINDOW_MARGIN_S. Without a plan, run.json's end time (when k6 exited)
 * plus the margin. Null when neither is known.
 */
export function runWindow(
  plan: Plan | null,
  t0Ms: number | null = null,
  runEndedAtMs: number | null = null,
): { toS: number; describe: string } | null {
  if (plan === null) {
    if (t0Ms === null || runEndedAtMs === null) return null;
    const endS = (runEndedAtMs - t0Ms) / 1000;
    // An end before the first sample is a record from elsewhere, not a bound.
    if (!(endS > 0)) return null;
    const toS = endS + OUT_OF_WINDOW_MARGIN_S;
    return {
      toS,
      describe: `the run's window (${fmtS(-OUT_OF_WINDOW_MARGIN_S)} to ${fmtS(toS)}: run.json's end at ${fmtS(endS)}, margin ${fmtS(OUT_OF_WINDOW_MARGIN_S)})`,
    };
  }
  const endS = Math.max(...plan.stages.map((s) => s.endS));
  const scenarios = plan.k6Options['scenarios'];
  const stops: number[] = [];
  if (scenarios !== null && typeof scenarios === 'object') {
    for (const sc of Object.values(scenarios as Record<string, unknown>)) {
      const g = sc !== null && typeof sc === 'object' ? (sc as { gracefulStop?: unknown }).gracefulStop : undefined;
      const ms = typeof g === 'string' ? parseDuration(g) : typeof g === 'number' ? g : null;
      stops.push(ms === null ? K6_DEFAULT_GRACEFUL_STOP_S : ms / 1000);
    }
  }
  const stopS = stops.length > 0 ? Math.max(...stops) : K6_DEFAULT_GRACEFUL_STOP_S;
  const toS = endS + stopS + OUT_OF_WINDOW_MARGIN_S;
  return {
    toS,
    describe: `the planned window (${fmtS(-OUT_OF_WINDOW_MARGIN_S)} to ${fmtS(toS)}: stages to ${fmtS(endS)}, graceful stop ${fmtS(stopS)}, margin ${fmtS(OUT_OF_WINDOW_MARGIN_S)})`,
  };
}

/** zlib's errors for a stream whose checksum or length does not match what it decoded. */
const CHECK_ERROR = /incorrect (data|length) check/;

/**
 * Where one file is damaged: its damaged lines and the first of them, or where its gzip
 * stream broke off; null for a whole file.
 */
export function damageOf(file: string, r: ReadResult, lines: number, firstDamaged: number): DamagedFile | null {
  if (lines === 0 && !r.truncated) return null;
  // Without a damaged line, the damage is where the stream broke off (the next line), unless
  // only the checksum failed: then some line that read whole differs, which one is unknown.
  const firstLine = firstDamaged > 0 ? firstDamaged : CHECK_ERROR.test(r.error ?? '') ? null : r.lines + 1;
  return { file, lines, firstLine, linesBefore: firstLine === null ? r.lines : firstLine - 1, streamError: r.truncated ? r.error : null };
}

export function damageWarning(d: DamagedFile, lines: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const skipped = d.lines > 0 ? `; ${n(d.lines)} damaged line(s) skipped` : '';
  const where =
    d.firstLine === null
      ? `its checksum does not match although all ${n(lines)} lines read whole, so some of them differ from what k6 wrote and which is unknown; all were analysed`
      : `the damage starts at line ${n(d.firstLine)} (of the decompressed stream); the ${n(d.linesBefore)} lines before it were read whole and analysed${skipped}`;
  const check =
    d.firstLine !== null && CHECK_ERROR.test(d.streamError ?? '')
      ? ' (its checksum does not match: a line that reads whole may still differ from what k6 wrote)'
      : '';
  if (d.streamError !== null) return `${d.file}: the gzip stream is cut short or corrupt (${d.streamError}): ${where}${check}`;
  return `${d.file}: ${n(d.lines)} damaged line(s) (torn, cut short or garbled: not a whole JSON object) skipped, the first at line ${n(d.firstLine ?? 0)}; the ${n(d.linesBefore)} lines before it were read whole`;
}

function runEndMs(endedAt: string | null): number | null {
  if (endedAt === null) return null;
  const ms = Date.parse(endedAt);
  return Number.isFinite(ms) ? ms : null;
}

function fmtS(s: number): string {
  const a = Math.abs(s);
  if (a >= 3600) return `${+(s / 3600).toFixed(1)} h`;
  return `${+s.toFixed(3)} s`;
}

/**
 * The test start (epoch ms): the earliest sample, or one vus period before the first `vus`
 * sample if that is earlier (k6 samples `vus` each second from the start; HTTP samples are
 * timestamped when the request ends). Read from the head of each file. Samples more than
 * OUT_OF_WINDOW_MARGIN_S before the first `vus` sample's period cannot be of this test and do
 * not move the start (the analysis counts them out of window). Null when no file holds a sample.
 */
export async function findTestStart(files: readonly string[]): Promise<number | null> {
  const time = new IsoTime();
  let start: number | null = null;
  for (const file of files) {
    const times: number[] = [];
    let firstVus = Infinity;
    let seen = 0;
    await readLines(
      file,
      (buf, s, e) => {
        seen += e - s + 1;
        const at = buf.indexOf(TIME_KEY, s);
        if (at === -1 || at >= e) return;
        const ts = at + TIME_KEY.length;
        const q = buf.indexOf(34, ts);
        if (q === -1 || q > e) return;
        const ms = time.ms(buf.toString('latin1', ts, q));
        if (Number.isNaN(ms)) return;
        // setup()'s samples come before the load: they are not its start.
        if (buf.subarray(s, e).includes(SETUP_TAG)) return;
        times.push(ms);
        if (ms < firstVus && (startsWithBytes(buf, s, e, VUS_LINE) || startsWithBytes(buf, s, e, VUS_MAX_LINE))) firstVus = ms;
      },
      { shouldStop: () => firstVus < Infinity || seen > HEAD_SCAN_BYTES },
    ).catch((err: unknown) => {
      if (err instanceof DataError) throw err;
    });
    // Without a VU sample in the head there is no reference: every sample counts.
    const earliest = firstVus < Infinity ? firstVus - VUS_PERIOD_MS - OUT_OF_WINDOW_MARGIN_S * 1000 : -Infinity;
    let minAll = Infinity;
    for (const ms of times) if (ms < minAll && ms >= earliest) minAll = ms;
    const t = Math.min(minAll, firstVus - VUS_PERIOD_MS);
    if (t < Infinity && (start === null || t < start)) start = t;
  }
  return start;
}

const TIME_KEY = Buffer.from('"time":"', 'latin1');
const SETUP_TAG = Buffer.from('"group":"::setup"', 'latin1');
const VUS_LINE = Buffer.from('{"metric":"vus","type":"Point"', 'latin1');
const VUS_MAX_LINE = Buffer.from('{"metric":"vus_max","type":"Point"', 'latin1');

function startsWithBytes(buf: Buffer, s: number, e: number, prefix: Buffer): boolean {
  if (e - s < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[s + i] !== prefix[i]) return false;
  return true;
}

async function rawFilesOf(dir: string, record: RunRecord | null): Promise<string[]> {
  if (record !== null && record.rawFiles.length > 0) return record.rawFiles.map((f) => (isAbsolute(f) ? f : join(dir, f)));
  const names = (await readdir(dir)).filter((n) => /^raw.*\.ndjson(\.gz)?$/.test(n)).sort();
  return names.map((n) => join(dir, n));
}

const STATUS_RANK: Record<RunMeta['status'], number> = { failed: 4, interrupted: 3, aborted: 2, unknown: 1, completed: 0 };

function worstStatus(records: readonly RunRecord[]): RunMeta['status'] {
  if (records.length === 0) return 'unknown';
  let worst: RunMeta['status'] = 'completed';
  for (const r of records) {
    const s: RunMeta['status'] = r.status === 'running' ? 'unknown' : r.status;
    if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  }
  return worst;
}

/** The base URL without credentials. */
function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Writes `<runDir>/analysis.json` (or `file`) through the contract's RunDir: checked, then atomically; returns its path. */
export async function writeAnalysis(runDir: string, analysis: Analysis, file?: string): Promise<string> {
  return writeRunFile(RUN_FILES.analysis, file ?? join(runDir, ANALYSIS_FILE), analysis);
}

/** Reads and validates an analysis file at any path (`--out`); a RunFileError names the file and what is wrong. */
export function readAnalysis(file: string): Analysis {
  return readRunFileSync(RUN_FILES.analysis, file);
}
