/**
 * `loadgate run --influx URL`: what the runner needs to stream a run into InfluxDB 1.x.
 *
 * The live figures come from loadgate itself (mode `aggregate`, the default): it follows the
 * raw results file k6 writes anyway (lib/influx/tail.ts), aggregates it into per-second,
 * per-endpoint points (lib/influx/live.ts) and writes those, so the points per second do not
 * grow with the request rate and k6 sends nothing to InfluxDB. Mode `samples` also hands k6
 * its built-in InfluxDB v1 output (`--out influxdb=…`): every sample of every request, as
 * well. Either way the observer writes what k6 does not: run events (annotations), the run's
 * targets (target lines) and, from the analysis and verdict files, one summary point per
 * endpoint per run (nightly trends).
 *
 * InfluxDB is optional by design: unreachable at the start, the run goes on with a warning
 * (or fails fast when required); dying mid-run, it costs only its own points. Local results
 * never depend on it: k6 keeps writing its raw file, which the live path only reads.
 */
import { join } from 'node:path';
import { expandStatuses } from '../shared/status.ts';
import { SAMPLE_TAGS_ENV } from '../shared/defaults.ts';
import type { InfluxDB, IPoint } from 'influx';
import type { Analysis } from '../contract/analysis.ts';
import { InfraError } from '../contract/errors.ts';
import { RUN_FILES, RunDir, RunFileError } from '../contract/run-dir.ts';
import type { Plan } from '../contract/plan.ts';
import type { RunObserver } from '../contract/observer.ts';
import { INFLUX_MODES, type InfluxMode, type RunRecord } from '../contract/run.ts';
import type { Verdict } from '../contract/verdict.ts';
import { findSet } from '../../thresholds/sets.ts';
import type { ThresholdSet } from '../contract/thresholds.ts';
import { connectInflux, ensureDatabase, parseInfluxUrl, pingInflux, type InfluxTarget } from './client.ts';
import { LiveAggregator, RETAIN_MS } from './live.ts';
import { HISTORY_RP, MEASUREMENTS } from '../contract/influx.ts';
import { eventPoint, livePoints, runTags, stageEventText, summaryPoints, targetPoints, type RunTags } from './points.ts';
import { GzipTail } from './tail.ts';

/**
 * k6 tags that must stay fields in InfluxDB: `url` (one series per distinct URL; it may carry
 * query strings and so secrets), `error` (free-text messages that embed addresses), and `vu` and
 * `iter` (k6's own default, in case a script enables them as tags). Not a tag = no new series.
 */
export const K6_TAGS_AS_FIELDS = 'vu:int,iter:int,url,error';

export { INFLUX_MODES, type InfluxMode };
export const DEFAULT_INFLUX_MODE: InfluxMode = 'aggregate';

export interface InfluxObserverOptions {
  /** `http(s)://[user:pass@]host[:port][/db]`. */
  url: string;
  /** Default `aggregate`. */
  mode?: InfluxMode;
  /** How often the live path reads the raw results and writes the seconds that closed, ms. Default 1000. */
  liveTickMs?: number;
  /** Database when the URL names none; default `k6`. */
  database?: string;
  /** Fail fast (InfraError, exit 4) when InfluxDB does not answer at the start. */
  required: boolean;
  /** Where warnings go; default stderr. */
  log?: (line: string) => void;
  /** User-defined threshold sets (config `thresholdSets`), for the run's target lines. */
  sets?: Readonly<Record<string, ThresholdSet>>;
  /** Ping and request timeout, ms. Default 3000 for the ping, 5000 per request. */
  pingTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface InfluxSetup {
  observer: RunObserver;
  /** Value for k6's `--out`, e.g. `influxdb=http://127.0.0.1:8086/k6`; '' when InfluxDB is off. */
  k6Output: string;
  /** Env for the k6 process (credentials never go on argv). Empty when InfluxDB is off. */
  k6Env: Record<string, string>;
  /** For `run.json`'s `influx` field: no credentials. Null when InfluxDB is off. */
  record: { url: string; db: string; ok: boolean; mode: InfluxMode } | null;
  /** What the observer has done so far (for benchmarks and tests). */
  stats(): InfluxStats;
}

export interface InfluxStats {
  /** Points InfluxDB accepted, by measurement, and the writes (HTTP requests) that carried them. */
  pointsWritten: Record<string, number>;
  writes: number;
  failures: number;
  /** Points kept for a retry. */
  pending: number;
  /** The live path: raw bytes read (compressed, decompressed), lines, requests aggregated. */
  live: {
    bytesIn: number;
    bytesOut: number;
    lines: number;
    requests: number;
    damaged: number;
    late: number;
    stragglers: number;
    /** How far the newest sample read was behind the wall clock when the reader caught up: the largest, and the last (ms). */
    maxLagMs: number | null;
    lastLagMs: number | null;
  } | null;
}

/** Points that failed to send are kept (up to this many) and retried with the next write. */
const MAX_PENDING = 20_000;

/** The live path of one run: a reader per raw file, one aggregator, a timer. */
interface LivePath {
  tails: GzipTail[];
  aggregator: LiveAggregator;
  timer: NodeJS.Timeout;
  ticking: boolean;
  maxLagMs: number | null;
  lastLagMs: number | null;
}

class InfluxRunObserver implements RunObserver {
  readonly name = 'influxdb';
  private pending: { rp: string | undefined; points: IPoint[] }[] = [];
  private pendingCount = 0;
  private flushing: Promise<boolean> | null = null;
  private live: LivePath | null = null;
  readonly written: Record<string, number> = {};
  writes = 0;
  private down = false;
  private tags: RunTags | null = null;
  private plan: Plan | null = null;
  private startedAtMs: number | null = null;
  private set: ThresholdSet | undefined;
  /** Failures so far; the runner may report them. */
  failures = 0;

  constructor(
    private readonly client: InfluxDB,
    private readonly target: InfluxTarget,
    private readonly log: (line: string) => void,
    private readonly sets: Readonly<Record<string, ThresholdSet>>,
    private readonly liveTickMs: number,
  ) {}

  private enqueue(points: IPoint[], rp?: string): void {
    if (points.length === 0) return;
    this.pending.push({ rp, points });
    this.pendingCount += points.length;
  }

  /**
   * Sends `points` after anything still pending, one write at a time (the live timer, stage
   * changes and the end all write). Never throws: InfluxDB is never worth a lost run.
   */
  private async write(points: IPoint[], rp?: string): Promise<boolean> {
    this.enqueue(points, rp);
    while (this.flushing !== null) await this.flushing;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flush(): Promise<boolean> {
    while (this.pending.length > 0) {
      const batch = this.pending[0] as { rp: string | undefined; points: IPoint[] };
      try {
        await this.client.writePoints(batch.points, { precision: 'ms', ...(batch.rp ? { retentionPolicy: batch.rp } : {}) });
        this.writes++;
        for (const p of batch.points) this.written[p.measurement as string] = (this.written[p.measurement as string] ?? 0) + 1;
      } catch (err) {
        this.failures++;
        if (!this.down) {
          this.down = true;
          this.log(
            `warning: InfluxDB at ${this.target.baseUrl} stopped accepting writes (${(err as Error).message}); ` +
              'local results are unaffected, its points are kept and retried',
          );
        }
        while (this.pendingCount > MAX_PENDING && this.pending.length > 1) {
          this.pendingCount -= this.pending.shift()?.points.length ?? 0;
        }
        return false;
      }
      this.pending.shift();
      this.pendingCount -= batch.points.length;
      if (this.down) {
        this.down = false;
        this.log(`InfluxDB at ${this.target.baseUrl} accepts writes again`);
      }
    }
    return true;
  }

  async onStart(plan: Plan, record: RunRecord, runDir?: string): Promise<void> {
    this.plan = plan;
    this.tags = runTags(plan);
    this.startedAtMs = Date.parse(record.startedAt) || Date.now();
    this.set = plan.thresholdSet ? findSet(plan.thresholdSet, this.sets) : undefined;
    if (runDir !== undefined) {
      try {
        this.startLive(plan, record, runDir);
      } catch (err) {
        this.log(`warning: the live path did not start: ${(err as Error).message}; local results are unaffected`);
      }
    }
    const at = this.startedAtMs;
    const text = `${plan.scenario}/${plan.profile}${plan.phase ? ` (${plan.phase})` : ''} against the target, set ${plan.thresholdSet ?? 'none'}`;
    await this.write([eventPoint(this.tags, 'start', at, 'run started', text), ...targetPoints(plan, this.set, at)]);
  }

  /** Follows every raw file of the run; each tick writes the seconds that closed. */
  private startLive(plan: Plan, record: RunRecord, runDir: string): void {
    const expectStatus = new Map(plan.endpoints.map((e) => [e.name, new Set(expandStatuses(e.expectStatus))]));
    const aggregator = new LiveAggregator({ expectStatus, files: record.rawFiles.length, stages: plan.stages });
    const tails = record.rawFiles.map((f, i) => new GzipTail(join(runDir, f), aggregator.lineHandler(i)));
    const live: LivePath = {
      tails,
      aggregator,
      timer: setInterval(() => void this.tick(), this.liveTickMs),
      ticking: false,
      maxLagMs: null,
      lastLagMs: null,
    };
    // The live path never keeps loadgate alive on its own.
    live.timer.unref();
    this.live = live;
  }

  private async tick(): Promise<void> {
    const live = this.live;
    if (live === null || live.ticking) return;
    live.ticking = true;
    try {
      let read = 0;
      for (const t of live.tails) read += await t.poll();
      if (read > 0) this.noteLag(live);
      const points = livePoints(this.tags as RunTags, live.aggregator.take());
      // A write still in flight (InfluxDB slow or gone): these wait for the next one.
      if (this.flushing !== null) this.enqueue(points);
      else if (points.length > 0) await this.write(points);
    } catch (err) {
      this.log(`warning: the live path stopped: ${(err as Error).message}; local results are unaffected`);
      clearInterval(live.timer);
    } finally {
      live.ticking = false;
    }
  }

  private noteLag(live: LivePath): void {
    const newest = live.aggregator.newestSampleMs;
    if (newest === null) return;
    const lag = Math.max(0, Date.now() - newest);
    live.lastLagMs = lag;
    if (live.maxLagMs === null || lag > live.maxLagMs) live.maxLagMs = lag;
  }

  /** k6 has ended: every file is read to its end and every second written. */
  private async finishLive(): Promise<void> {
    const live = this.live;
    if (live === null) return;
    clearInterval(live.timer);
    while (live.ticking) await new Promise((r) => setTimeout(r, 20));
    live.ticking = true;
    for (const t of live.tails) {
      await t.finish();
      if (t.error !== null) this.log(`warning: the live path read ${t.file} up to damage (${t.error}); the analysis reports it`);
    }
    const a = live.aggregator;
    await this.write(livePoints(this.tags as RunTags, a.take(true)));
    if (a.late > 0) {
      this.log(
        `warning: ${a.late} request(s) reached the live path more than ${RETAIN_MS / 1000} s after their second was written: in the live totals, not in the per-second points (analysis.json has every one)`,
      );
    }
  }

  stats(): InfluxStats {
    const live = this.live;
    return {
      pointsWritten: { ...this.written },
      writes: this.writes,
      failures: this.failures,
      pending: this.pendingCount,
      live:
        live === null
          ? null
          : {
              bytesIn: live.tails.reduce((n, t) => n + t.bytesIn, 0),
              bytesOut: live.tails.reduce((n, t) => n + t.bytesOut, 0),
              lines: live.tails.reduce((n, t) => n + t.lines, 0),
              requests: live.aggregator.requests,
              damaged: live.aggregator.damaged,
              late: live.aggregator.late,
              stragglers: live.aggregator.stragglers,
              maxLagMs: live.maxLagMs,
              lastLagMs: live.lastLagMs,
            },
    };
  }

  async onStage(plan: Plan, stage: Plan['stages'][number], atMs: number): Promise<void> {
    const tags = this.tags ?? runTags(plan);
    await this.write([
      eventPoint(tags, 'stage', atMs, `stage ${stage.name}`, stageEventText(stage), stage.name),
      ...targetPoints(plan, this.set, atMs),
    ]);
  }

  async onEnd(plan: Plan, record: RunRecord): Promise<void> {
    const tags = this.tags ?? runTags(plan);
    await this.finishLive();
    const at = (record.endedAt && Date.parse(record.endedAt)) || Date.now();
    const exit = record.k6ExitCode === null ? '' : `, k6 exit code ${record.k6ExitCode}`;
    await this.write([
      eventPoint(tags, 'end', at, `run ${record.status}`, `run ${record.status}${exit}`),
      ...targetPoints(plan, this.set, at),
    ]);
  }

  async onResults(runDir: string): Promise<void> {
    const analysis = await readAnalysis(runDir);
    const verdict = await readVerdict(runDir, this.log);
    const plan = this.plan;
    const points = summaryPoints({
      analysis,
      verdict,
      ...(plan ? { runId: plan.runId, scenario: plan.scenario, phase: plan.phase, profile: plan.profile } : {}),
      ...(this.startedAtMs !== null ? { startedAtMs: this.startedAtMs } : {}),
      ...(plan ? { probes: new Set(plan.endpoints.filter((e) => e.probe).map((e) => e.name)) } : {}),
    });
    const ok = await this.write(points, HISTORY_RP);
    if (verdict) {
      const tags = this.tags ?? { testid: verdict.runId, phase: verdict.run.phase ?? 'none', scenario: verdict.run.scenario ?? 'unknown' };
      const { pass, fail, inconclusive } = verdict.counts;
      const at = (analysis.run.endedAt && Date.parse(analysis.run.endedAt)) || Date.now();
      const event = eventPoint(
        tags,
        'verdict',
        at,
        `verdict ${verdict.status}`,
        `verdict ${verdict.status} against ${verdict.set.name}: ${fail} fail, ${inconclusive} inconclusive, ${pass} pass`,
      );
      // The live dashboard reads run events from the default policy; the verdict history in the
      // trends dashboard must outlive raw data, so the verdict goes to the history policy too.
      await this.write([event]);
      await this.write([event], HISTORY_RP);
    }
    if (!ok) this.log(`warning: the run's summary could not be written to InfluxDB yet; it stays in ${runDir}/analysis.json`);
  }

  async close(): Promise<void> {
    if (this.live !== null) {
      clearInterval(this.live.timer);
      for (const t of this.live.tails) await t.close();
    }
    if (this.pending.length === 0) return;
    if (!(await this.write([]))) {
      this.log(
        `warning: ${this.pendingCount} point(s) could not be written to InfluxDB at ${this.target.baseUrl}; local results are complete`,
      );
    }
  }
}

export async function readAnalysis(runDir: string): Promise<Analysis> {
  return new RunDir(runDir).read(RUN_FILES.analysis);
}

/**
 * verdict.json for the summary, read with the run files' policy: missing → null. InfluxDB is an
 * optional sink, so a bad file is a warning with the reader's message, and the summary carries
 * no verdict.
 */
export async function readVerdict(runDir: string, log: (line: string) => void): Promise<Verdict | null> {
  try {
    return await new RunDir(runDir).read(RUN_FILES.verdict);
  } catch (err) {
    if (!(err instanceof RunFileError)) throw err;
    log(`warning: ${err.message}; the InfluxDB summary carries no verdict`);
    return null;
  }
}

const noop: RunObserver = { name: 'influxdb (off)' };
const NO_STATS: InfluxStats = { pointsWritten: {}, writes: 0, failures: 0, pending: 0, live: null };

/**
 * Pings InfluxDB, creates the database and the history retention policy, and returns the
 * observer plus k6's output flag and env. Unreachable: InfraError when `required`, else a
 * warning and a no-op observer with an empty `k6Output` (the runner then adds no `--out`).
 */
export async function createInfluxObserver(opts: InfluxObserverOptions): Promise<InfluxSetup> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const mode = opts.mode ?? DEFAULT_INFLUX_MODE;
  const target = parseInfluxUrl(opts.url, opts.database);
  const client = connectInflux(target, { requestTimeoutMs: opts.requestTimeoutMs ?? 5000 });
  const where = `${target.baseUrl} (database "${target.database}")`;
  let problem: string | null = null;
  if (!(await pingInflux(client, opts.pingTimeoutMs ?? 3000))) {
    problem = `InfluxDB at ${target.baseUrl} does not answer /ping`;
  } else {
    try {
      await ensureDatabase(client, target.database);
    } catch (err) {
      problem = `InfluxDB at ${where} refused the database setup: ${(err as Error).message}`;
    }
  }
  if (problem !== null) {
    if (opts.required) throw new InfraError(`${problem}; --influx-required is set, so the run does not start`);
    log(`warning: ${problem}; the run goes on without streaming (local results are complete). Use --influx-required to fail instead.`);
    return {
      observer: noop,
      k6Output: '',
      k6Env: {},
      record: { url: target.baseUrl, db: target.database, ok: false, mode },
      stats: () => NO_STATS,
    };
  }
  const observer = new InfluxRunObserver(client, target, log, opts.sets ?? {}, opts.liveTickMs ?? 1000);
  const record = { url: target.baseUrl, db: target.database, ok: true, mode };
  if (mode === 'aggregate') return { observer, k6Output: '', k6Env: {}, record, stats: () => observer.stats() };
  const k6Env: Record<string, string> = {
    K6_INFLUXDB_TAGS_AS_FIELDS: K6_TAGS_AS_FIELDS,
    // k6's defaults, stated: one push a second, four in flight (documented for InfluxDB v1).
    K6_INFLUXDB_PUSH_INTERVAL: '1s',
    K6_INFLUXDB_CONCURRENT_WRITES: '4',
    // k6's own samples carry the stage tag, as before: one tag more on every line, in this mode only.
    [SAMPLE_TAGS_ENV]: '1',
  };
  if (target.username !== null) k6Env['K6_INFLUXDB_USERNAME'] = target.username;
  if (target.password !== null) k6Env['K6_INFLUXDB_PASSWORD'] = target.password;
  return {
    observer,
    k6Output: `influxdb=${target.baseUrl}/${encodeURIComponent(target.database)}`,
    k6Env,
    record,
    stats: () => observer.stats(),
  };
}

export { MEASUREMENTS };
