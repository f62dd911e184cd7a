/**
 * One test split across N k6 processes with k6's own execution segments (`loadgate run
 * --segments N`). No distribution layer of loadgate's: each process gets the same script and
 * plan and `--execution-segment i-1/N:i/N --execution-segment-sequence 0,1/N,…,1`, exactly as the
 * k6-operator starts its runners (pkg/segmentation), and k6 gives each its share of every
 * executor (arrival rates, iterations, VUs). Each writes its own raw results, summary and log
 * into the run directory; the analysis reads them all as one test (lib/analysis/analyze.ts).
 *
 * The processes start paused, and are resumed together once all have initialised their VUs
 * (as the k6-operator's starter does), so that their clocks, and with them their stage windows
 * (each process writes its own load start), agree.
 * A segment that fails does not stop the others: the run is partial (run.json `partial`), and
 * every segment's data is kept. A threshold abort in one segment stops the others (k6 judges
 * thresholds per process, on its share), so the test ends as one process would have ended it.
 */
import { join } from 'node:path';
import {
  K6_STATUS_PAUSED_BEFORE_RUN,
  K6Error,
  k6Status,
  readLiveMetrics,
  runK6,
  setK6Status,
  type K6RunArgs,
  type K6RunResult,
  type LiveMetrics,
} from '../k6/runner.ts';
import { statusFrom } from './run.ts';
import type { RunRecord, SegmentRecord } from '../contract/run.ts';

export interface SegmentSpec {
  /** 1-based. */
  index: number;
  count: number;
  /** `--execution-segment`, e.g. `1/3:2/3`. */
  segment: string;
  /** `--execution-segment-sequence`, e.g. `0,1/3,2/3,1`. */
  sequence: string;
}

/** k6's fraction notation: `0`, `1`, or `i/n` (unreduced, as the k6-operator writes it). */
function point(i: number, n: number): string {
  if (i === 0) return '0';
  if (i === n) return '1';
  return `${i}/${n}`;
}

/** The N equal segments of a test and their sequence, written as the k6-operator writes them. */
export function segmentSpecs(count: number): SegmentSpec[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`segments must be a whole number ≥ 1, got ${count}`);
  const sequence = Array.from({ length: count + 1 }, (_, i) => point(i, count)).join(',');
  return Array.from({ length: count }, (_, k) => ({
    index: k + 1,
    count,
    segment: `${point(k, count)}:${point(k + 1, count)}`,
    sequence,
  }));
}

export interface SegmentFiles {
  rawFile: string;
  summaryFile: string;
  logFile: string;
}

/** File names in the run directory: a single process keeps the classic ones; segment i of n gets `.i-of-n`. */
export function segmentFiles(index: number, count: number): SegmentFiles {
  if (count === 1) return { rawFile: 'raw.ndjson.gz', summaryFile: 'summary.json', logFile: 'k6.log' };
  const tag = `${index}-of-${count}`;
  return { rawFile: `raw.${tag}.ndjson.gz`, summaryFile: `summary.${tag}.json`, logFile: `k6.${tag}.log` };
}

const STATUS_RANK: Record<RunRecord['status'], number> = { running: 0, completed: 1, aborted: 2, failed: 3, interrupted: 4 };

/**
 * The run's status from its segments': interrupted when loadgate forwarded a signal; else the
 * worst (failed > aborted > completed). Partial when a segment failed while another did not:
 * the results then hold the test without (the rest of) the failed segments' share.
 */
export function combineStatus(segments: readonly Pick<SegmentRecord, 'status'>[]): { status: RunRecord['status']; partial: boolean } {
  let status: RunRecord['status'] = 'completed';
  for (const s of segments) if (STATUS_RANK[s.status] > STATUS_RANK[status]) status = s.status;
  const failed = segments.filter((s) => s.status === 'failed').length;
  return { status, partial: failed > 0 && failed < segments.length };
}

/** One segment to run: its share, its files, and how its k6 is reached and wrapped. */
export interface SegmentLaunch {
  spec: SegmentSpec;
  files: SegmentFiles;
  /** `--address` for this k6's REST API. */
  k6ApiAddress: string;
  /** How loadgate reaches that API (`host:port` or `unix:PATH`). */
  apiClient: string;
  /** Command k6 runs under (e.g. `ip netns exec NS`), after setpriv. */
  wrap: string[];
  netns: SegmentRecord['netns'];
}

export interface SegmentOutcome {
  record: SegmentRecord;
  /** null when k6 could not be started. */
  result: K6RunResult | null;
  error: Error | null;
}

export interface RunSegmentsOptions {
  launches: SegmentLaunch[];
  runDir: string;
  /** Everything but the per-segment parts (outputs are the extra ones, after each segment's JSON file). */
  base: Pick<K6RunArgs, 'k6' | 'script' | 'env' | 'redact' | 'cwd'> & { outputs: string[] };
  /** Called whenever a segment's record changes (the caller rewrites run.json). */
  onChange: (segments: SegmentRecord[]) => Promise<void> | void;
  /** Called once every segment has been resumed (the test's start). */
  onStart?: (atMs: number) => void;
  /** Called with a segment's k6 pid once it is spawned (the generator's CPU and memory are sampled from it). */
  onSpawn?: (index: number, pid: number) => void;
  now: () => Date;
  log: (line: string) => void;
  /** How long to wait for every k6 to initialise before starting those that did (default 10 min). */
  initTimeoutMs?: number;
  /** Poll interval while waiting for the k6 processes to initialise. */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why a segment ended badly, in a few words. */
export function segmentEnd(r: Pick<K6RunResult, 'exitCode' | 'signal'>): string {
  if (r.signal) return `killed by ${r.signal}`;
  return `exit code ${r.exitCode}`;
}

/**
 * Runs the segments to completion: spawns every k6 paused, resumes them together once all have
 * initialised, and waits for all. Never rejects for a segment's failure (it is in its record);
 * rejects only when no k6 could be started at all.
 */
export async function runSegments(o: RunSegmentsOptions): Promise<SegmentOutcome[]> {
  const records: SegmentRecord[] = o.launches.map((l) => ({
    index: l.spec.index,
    segment: l.spec.segment,
    sequence: l.spec.sequence,
    ...l.files,
    status: 'running',
    k6ExitCode: null,
    signal: null,
    pid: null,
    startedAt: null,
    endedAt: null,
    netns: l.netns,
  }));
  const ended = records.map(() => false);
  const stoppedByUs = records.map(() => false);
  const neverStarted = records.map(() => false);
  let changes = Promise.resolve();
  const changed = () => {
    const snapshot = records.map((r) => ({ ...r }));
    changes = changes.then(() => o.onChange(snapshot)).catch((err: unknown) => o.log(`warning: run.json: ${(err as Error).message}`));
    return changes;
  };

  const running = o.launches.map(async (l, k): Promise<SegmentOutcome> => {
    const record = records[k] as SegmentRecord;
    try {
      const result = await runK6({
        ...o.base,
        outputs: [`json=${join(o.runDir, l.files.rawFile)}`, ...o.base.outputs],
        summaryExport: join(o.runDir, l.files.summaryFile),
        apiAddress: l.k6ApiAddress,
        logFile: join(o.runDir, l.files.logFile),
        segment: l.spec.count > 1 ? { segment: l.spec.segment, sequence: l.spec.sequence } : null,
        paused: true,
        // As the k6-operator tags its runners: one InfluxDB point per sample and process, never two merged into one.
        tags: l.spec.count > 1 ? { instance_id: String(l.spec.index) } : {},
        wrap: l.wrap,
        onSpawn: (pid) => {
          record.pid = pid;
          o.onSpawn?.(l.spec.index, pid);
          void changed();
        },
      });
      ended[k] = true;
      record.status = neverStarted[k] ? 'failed' : stoppedByUs[k] ? 'aborted' : statusFrom(result);
      record.k6ExitCode = result.exitCode;
      record.signal = result.forwarded ?? result.signal;
      record.pid = null;
      record.endedAt = o.now().toISOString();
      if (record.status === 'failed') {
        o.log(
          `segment ${l.spec.index} of ${l.spec.count} (${l.spec.segment}) failed: k6 ${segmentEnd(result)}: ${result.tail.slice(-2).join(' | ') || 'no output'}; the other segments run on`,
        );
      }
      // k6 judges thresholds per process: one that aborts the test on a threshold stops the others, as one process would stop.
      if (record.status === 'aborted' && !stoppedByUs[k]) {
        const others = o.launches.filter((_, j) => !ended[j]);
        if (others.length > 0) o.log(`segment ${l.spec.index} aborted the test: stopping the other segments`);
        await Promise.all(
          o.launches.map(async (other, j) => {
            if (ended[j]) return;
            stoppedByUs[j] = true;
            await setK6Status(other.apiClient, { stopped: true });
          }),
        );
      }
      void changed();
      return { record, result, error: null };
    } catch (err) {
      ended[k] = true;
      record.status = 'failed';
      record.pid = null;
      record.endedAt = o.now().toISOString();
      o.log(`segment ${l.spec.index} of ${l.spec.count} (${l.spec.segment}) failed: ${(err as Error).message}`);
      void changed();
      return { record, result: null, error: err as Error };
    }
  });

  // The synchronised start: wait until every live k6 is initialised and paused, then resume them all.
  const deadline = Date.now() + (o.initTimeoutMs ?? 600_000);
  const ready = o.launches.map(() => false);
  while (Date.now() < deadline) {
    await Promise.all(
      o.launches.map(async (l, k) => {
        if (ready[k] || ended[k]) return;
        const s = await k6Status(l.apiClient);
        if (s !== null && (s.status >= K6_STATUS_PAUSED_BEFORE_RUN || s.running || s.stopped)) ready[k] = true;
      }),
    );
    if (o.launches.every((_, k) => ready[k] || ended[k])) break;
    await sleep(o.pollMs ?? 200);
  }
  const late = o.launches.filter((_, k) => !ready[k] && !ended[k]);
  if (late.length > 0) {
    o.log(
      `warning: segment(s) ${late.map((l) => l.spec.index).join(', ')} did not report ready within ${Math.round((o.initTimeoutMs ?? 600_000) / 1000)} s: starting every segment now; one that cannot be started is stopped`,
    );
  }
  const startedAt = o.now().toISOString();
  await Promise.all(
    o.launches.map(async (l, k) => {
      if (ended[k]) return;
      const record = records[k] as SegmentRecord;
      if (await setK6Status(l.apiClient, { paused: false })) record.startedAt = startedAt;
      // Never leave a k6 paused for ever: one that does not take the start is interrupted (and fails).
      else if (record.pid !== null && !ended[k]) {
        neverStarted[k] = true;
        process.kill(record.pid, 'SIGINT');
      }
    }),
  );
  if (records.some((r) => r.startedAt !== null)) o.onStart?.(Date.now());
  void changed();

  const outcomes = await Promise.all(running);
  await changes;
  if (outcomes.every((x) => x.result === null)) {
    const first = outcomes[0]?.error;
    throw first instanceof K6Error ? first : new K6Error(first?.message ?? 'no k6 could be started', null);
  }
  return outcomes;
}

/** One K6RunResult for the whole test, for callers that know one process (exit code, signal, tail). */
export function combinedResult(outcomes: readonly SegmentOutcome[]): K6RunResult {
  const results = outcomes.map((x) => x.result).filter((r): r is K6RunResult => r !== null);
  const bad = outcomes.find((x) => x.record.status === 'failed') ?? outcomes.find((x) => x.record.status !== 'completed');
  const forwarded = results.find((r) => r.forwarded !== null)?.forwarded ?? null;
  return {
    exitCode: bad?.result ? bad.result.exitCode : (results.find((r) => r.exitCode !== 0)?.exitCode ?? results[0]?.exitCode ?? null),
    signal: bad?.result?.signal ?? null,
    forwarded,
    durationMs: Math.max(0, ...results.map((r) => r.durationMs)),
    tail: bad?.result?.tail ?? results[0]?.tail ?? [],
  };
}

/**
 * Live metrics over all segments: the sum of each one's latest reading (a segment that ended
 * keeps its last one, so the totals never go back).
 */
export class LiveTotals {
  private readonly latest: (LiveMetrics | null)[];
  constructor(private readonly apis: readonly string[]) {
    this.latest = apis.map(() => null);
  }
  async read(): Promise<LiveMetrics | null> {
    const now = await Promise.all(this.apis.map((a) => readLiveMetrics(a)));
    now.forEach((m, k) => {
      if (m !== null) this.latest[k] = m;
    });
    if (this.latest.every((m) => m === null)) return null;
    const sum: LiveMetrics = { vus: 0, requests: 0, failed: 0, timeouts: 0, droppedIterations: 0 };
    this.latest.forEach((m, k) => {
      if (m === null) return;
      // An ended process has no VUs any more.
      if (now[k] !== null) sum.vus += m.vus;
      sum.requests += m.requests;
      sum.failed += m.failed;
      sum.timeouts += m.timeouts;
      sum.droppedIterations += m.droppedIterations;
    });
    return sum;
  }
}
