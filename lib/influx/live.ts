/**
 * The live path's aggregation: k6's raw JSON lines in (as lib/influx/tail.ts reads them while
 * k6 writes them), per-second cells out — one per endpoint × stage × k6 scenario × second —
 * with the requests by outcome and the latency distribution as a mergeable HDR histogram; per
 * second VU gauges and dropped iterations; and, every few seconds, each endpoint's figures over
 * the run so far. lib/influx/points.ts turns them into InfluxDB points, so what InfluxDB
 * receives grows with the endpoints and the seconds, not with the request rate.
 *
 * It counts what the analysis counts (lib/analysis/accumulator.ts): requests are the
 * http_req_duration samples, the readiness checks' scenario and k6's setup() left out, each
 * request classified by its status, the endpoint's expected statuses and k6's error_code
 * (1050 a client timeout, 1211 a dial timeout) — so summed over a run, a cell's counts equal
 * analysis.json's per endpoint, and a merged histogram gives its percentiles within the
 * histogram's stated error (HDR_RELATIVE_ERROR: 0.1 % from 0.5 ms up, 0.5 µs below).
 *
 * A second is closed — its cells handed out once — when the newest sample of every file is
 * GRACE_MS past its end (k6 writes samples in about the order they end, 200 ms at a time). A
 * sample that comes later than that for a second handed out within RETAIN_MS is added and the
 * cell handed out again, whole (InfluxDB keeps the last write of a point); later still, it is
 * counted in `late` and not in any cell.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { parseNumber } from '../contract/json-number.ts';
import { classifyOutcome, NO_SCENARIO, OUTCOME_KEYS, SETUP_GROUP, type OutcomeKey } from '../contract/outcomes.ts';
import { decodeHistogram, encodeHistogram, HDR_SIGNIFICANT_DIGITS, hdrDist, toHdrUnits } from '../contract/distribution.ts';
import type { Dist } from '../contract/analysis.ts';
import { IsoTime } from '../contract/time.ts';
import { READINESS_SCENARIO } from '../shared/readiness.ts';
import { LOAD_START_METRIC } from '../shared/defaults.ts';
import { stageIndexAt } from '../shared/stage-at.ts';

/** How long past a second's end (in sample time) it stays open for samples still on their way. */
export const GRACE_MS = 2000;
/** How long a second that was handed out still takes a straggler (and is handed out again). */
export const RETAIN_MS = 60_000;
/** How often (in sample time) the run-so-far figures per endpoint are handed out. */
export const TOTALS_EVERY_MS = 5000;

/** The tag value for a sample without a `name` or `stage` tag (InfluxDB drops empty tag values). */
export const NO_TAG = '(none)';

/** The latency histogram of a cell: the analysis's (microseconds, 3 significant digits), starting small. */
function newCellHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    // Grows on demand: a cell of one second's fast requests stays a few kB.
    highestTrackableValue: 4096,
    numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

/** A histogram handed out before, to record into again (a decoded one does not grow by itself). */
function reopen(encoded: string): Histogram {
  const h = decodeHistogram(encoded);
  h.autoResize = true;
  return h;
}

/** Requests and latencies of one group of requests. */
class Tally {
  requests = 0;
  readonly outcomes = new Float64Array(OUTCOME_KEYS.length);
  min = Infinity;
  max = -Infinity;
  sum = 0;
  hist: Histogram | null = null;
  /** The histogram's encoding when it was last handed out, and the histogram dropped (memory). */
  encoded: string | null = null;
  dirty = true;

  add(outcome: number, ms: number): void {
    this.requests++;
    this.outcomes[outcome] = (this.outcomes[outcome] as number) + 1;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    this.sum += ms;
    if (this.hist === null) this.hist = this.encoded === null ? newCellHistogram() : reopen(this.encoded);
    this.hist.recordValue(toHdrUnits(ms));
    this.dirty = true;
  }

  figures(): LiveFigures {
    const outcomes = {} as Record<OutcomeKey, number>;
    OUTCOME_KEYS.forEach((k, i) => {
      outcomes[k] = this.outcomes[i] as number;
    });
    const dist = this.hist === null ? hdrDist(decodeHistogram(this.encoded as string), this.exact()) : hdrDist(this.hist, this.exact());
    const histogram = this.hist === null ? this.encoded : encodeHistogram(this.hist);
    return { requests: this.requests, outcomes, dist, histogram };
  }

  private exact(): { count: number; min: number; max: number; sum: number } {
    return { count: this.requests, min: this.min, max: this.max, sum: this.sum };
  }
}

export interface LiveFigures {
  requests: number;
  outcomes: Record<OutcomeKey, number>;
  /** http_req_duration: exact min, max and mean; percentiles from the histogram (k6's definition on it). */
  dist: Dist;
  /** The histogram, hdr-histogram-js's compressed base64 (values in µs): merge cells with decodeHistogram + add. */
  histogram: string | null;
}

/** One endpoint × stage × k6 scenario in one second (epoch s, the samples' own time). */
export interface LiveCell extends LiveFigures {
  second: number;
  name: string;
  stage: string;
  scenario: string;
}

/** One second of the run as a whole: VUs (summed over the k6 processes) and dropped iterations. */
export interface LiveRunSecond {
  second: number;
  vus: number | null;
  vusMax: number | null;
  droppedIterations: number;
}

/** One endpoint over the run so far (every stage and scenario), as of `second`. */
export interface LiveTotal extends LiveFigures {
  second: number;
  name: string;
}

export interface LiveBatch {
  cells: LiveCell[];
  run: LiveRunSecond[];
  totals: LiveTotal[];
}

interface TagInfo {
  /** Not a load sample: the readiness checks beside the load, or k6's setup(). */
  skip: boolean;
  /** The cell key with the sample's own `stage` tag (or NO_TAG). */
  key: string;
  name: string;
  stage: string;
  scenario: string;
  outcome: number;
  /** The samples carry a `stage` tag (SAMPLE_TAGS_ENV): it is their stage. */
  tagged: boolean;
  /** Without one: the cell key per stage window, made on first use. */
  keys: string[];
}

class Second {
  readonly cells = new Map<string, Tally>();
  /** Per k6 process (file): the most VUs and the allocated VUs seen in this second. */
  readonly vus = new Map<number, number>();
  readonly vusMax = new Map<number, number>();
  dropped = 0;
  runDirty = false;
  constructor(readonly at: number) {}
}

const M_DURATION = 1;
const M_VUS = 2;
const M_VUS_MAX = 3;
const M_DROPPED = 4;
const M_LOAD_START = 5;
const PREFIX = Buffer.from('{"metric":"', 'latin1');
const P = PREFIX.length;
/**
 * The metrics read, by name (with the closing quote), each with the byte of the name that tells
 * it from every other metric k6 or the harness writes with the same first letter: a line is
 * turned away on one or two byte reads, as 12 of a request's 13 lines are.
 */
const METRICS: readonly { name: Buffer; id: number; first: number; at: number; byte: number }[] = [
  { n: 'http_req_duration', id: M_DURATION, at: 9 }, // http_req_[d]uration; http_reqs has '"' there
  { n: 'vus', id: M_VUS, at: 3 }, // vus["]
  { n: 'vus_max', id: M_VUS_MAX, at: 3 }, // vus[_]max
  { n: 'dropped_iterations', id: M_DROPPED, at: 1 }, // d[r]opped; data_* have 'a'
  { n: LOAD_START_METRIC, id: M_LOAD_START, at: 9 }, // loadgate_[l]oad_start; loadgate_timeouts and _readiness differ there
].map(({ n, id, at }) => {
  const name = Buffer.from(`${n}"`, 'latin1');
  return { name, id, first: name[0] as number, at, byte: name[at] as number };
});
const POINT_MID = Buffer.from('","type":"Point","data":{"time":"', 'latin1');
const VALUE_KEY = Buffer.from('","value":', 'latin1');
const TAGS_KEY = Buffer.from(',"tags":', 'latin1');
/** Distinct tag sets kept; past this (per-request tag values) the cache starts over. */
const TAG_CACHE_MAX = 50_000;

/** buf[at…] starts with `bytes`: a byte loop, cheaper than a native call for these short runs. */
function matches(buf: Buffer, at: number, bytes: Buffer): boolean {
  const n = bytes.length;
  if (at + n > buf.length) return false;
  for (let i = 0; i < n; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

export interface LiveAggregatorOptions {
  /** Expected statuses per endpoint name (the plan's `expectStatus`, expanded). */
  expectStatus: ReadonlyMap<string, ReadonlySet<number>>;
  /** The number of raw files (k6 processes) read: a second closes when every file that has data is past it. */
  files?: number;
  /**
   * The plan's stage windows (s from the load's start): a request without a `stage` tag is in
   * the stage in which it was sent (its end less its duration), from its file's LOAD_START_METRIC,
   * as the analysis places it.
   */
  stages?: readonly { name: string; startS: number; endS: number }[];
}

export class LiveAggregator {
  /** Samples of the four metrics read (load and not). */
  samples = 0;
  /** Requests of the load counted. */
  requests = 0;
  /** Lines of those metrics that did not parse (torn, garbled). */
  damaged = 0;
  /** Requests that came after their second was gone (RETAIN_MS): in no cell, though in the totals. */
  late = 0;
  /** Requests added to a second already handed out, which was then handed out again. */
  stragglers = 0;

  private readonly seconds = new Map<number, Second>();
  /** Seconds before this are closed (handed out); before `retainFrom`, gone. */
  private closedBefore = -Infinity;
  private retainFrom = -Infinity;
  private readonly newest: number[];
  /** Per file: when k6 started the scenarios (LOAD_START_METRIC, epoch ms); null until read. */
  private readonly origins: (number | null)[];
  private readonly totals = new Map<string, Tally>();
  private totalsDue = -Infinity;
  private newestMs = -Infinity;
  private readonly tags = new Map<string, TagInfo>();
  private lastTags: { bytes: Buffer; info: TagInfo } | null = null;
  private readonly time = new IsoTime();

  constructor(private readonly opts: LiveAggregatorOptions) {
    this.newest = new Array<number>(opts.files ?? 1).fill(-Infinity);
    this.origins = new Array<number | null>(opts.files ?? 1).fill(null);
  }

  /** The time (epoch ms) of the newest sample read, null before the first. */
  get newestSampleMs(): number | null {
    return this.newestMs === -Infinity ? null : this.newestMs;
  }

  /** A line handler for raw file `file` (0-based). */
  lineHandler(file: number): (buf: Buffer, start: number, end: number) => void {
    return (buf, start, end) => this.line(buf, start, end, file);
  }

  line(buf: Buffer, start: number, end: number, file = 0): void {
    if (end - start < 48) return;
    const first = buf[start + P];
    for (const m of METRICS) {
      if (first !== m.first || buf[start + P + m.at] !== m.byte) continue;
      if (!matches(buf, start, PREFIX) || !matches(buf, start + P, m.name)) return;
      this.samples++;
      const q = start + P + m.name.length - 1;
      if (!this.fastPoint(buf, q, end, m.id, file)) this.slowPoint(buf, start, end, m.id, file);
      return;
    }
  }

  /** k6's layout, read in place: `","type":"Point","data":{"time":"…","value":…,"tags":{…}}}`. */
  private fastPoint(buf: Buffer, q: number, end: number, id: number, file: number): boolean {
    if (buf[end - 1] !== 125 || buf[end - 2] !== 125 || buf[end - 3] !== 125) return false;
    if (!matches(buf, q, POINT_MID)) return false;
    const ts = q + POINT_MID.length;
    const te = buf.indexOf(34, ts);
    if (te === -1 || te >= end) return false;
    const ms = this.time.fromBytes(buf, ts, te);
    if (Number.isNaN(ms) || !matches(buf, te, VALUE_KEY)) return false;
    const vs = te + VALUE_KEY.length;
    const ve = buf.indexOf(44 /* , */, vs);
    if (ve === -1 || ve >= end) return false;
    const value = parseNumber(buf, vs, ve);
    if (Number.isNaN(value) || !matches(buf, ve, TAGS_KEY) || buf[ve + TAGS_KEY.length] !== 123) return false;
    const tagsStart = ve + TAGS_KEY.length;
    const tagsEnd = end - 2;
    // The samples of one request come together and share a tag set: first, the last one seen.
    const last = this.lastTags;
    if (
      last !== null &&
      last.bytes.length === tagsEnd - tagsStart &&
      buf.compare(last.bytes, 0, last.bytes.length, tagsStart, tagsEnd) === 0
    ) {
      this.sample(id, ms, value, last.info, file);
      return true;
    }
    const cacheKey = buf.toString('latin1', tagsStart, tagsEnd);
    let info = this.tags.get(cacheKey);
    if (info === undefined) {
      let tags: unknown;
      try {
        tags = JSON.parse(buf.toString('utf8', tagsStart, tagsEnd));
      } catch {
        return false;
      }
      if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return false;
      info = this.infoOf(tags as Record<string, unknown>);
      if (this.tags.size >= TAG_CACHE_MAX) this.tags.clear();
      this.tags.set(cacheKey, info);
    }
    this.lastTags = { bytes: Buffer.from(buf.subarray(tagsStart, tagsEnd)), info };
    this.sample(id, ms, value, info, file);
    return true;
  }

  /** Any other layout of a line of one of the four metrics (e.g. with k6's `metadata`). */
  private slowPoint(buf: Buffer, start: number, end: number, id: number, file: number): void {
    let o: unknown;
    try {
      o = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      this.damaged++;
      return;
    }
    const d = (o as { type?: unknown; data?: { time?: unknown; value?: unknown; tags?: unknown } } | null)?.data;
    if ((o as { type?: unknown }).type !== 'Point' || typeof d?.time !== 'string' || typeof d.value !== 'number') {
      this.damaged++;
      return;
    }
    const ms = this.time.ms(d.time);
    if (Number.isNaN(ms)) {
      this.damaged++;
      return;
    }
    const tags = d.tags !== null && typeof d.tags === 'object' ? (d.tags as Record<string, unknown>) : {};
    this.sample(id, ms, d.value, this.infoOf(tags), file);
  }

  private infoOf(tags: Record<string, unknown>): TagInfo {
    const str = (k: string) => (typeof tags[k] === 'string' ? (tags[k] as string) : undefined);
    const name = str('name') || NO_TAG;
    const stage = str('stage') || NO_TAG;
    const scenario = str('scenario') ?? NO_SCENARIO;
    const skip = scenario === READINESS_SCENARIO || str('group') === SETUP_GROUP;
    const endpoint = str('name') ?? '';
    return {
      skip,
      key: `${name}\u0000${stage}\u0000${scenario}`,
      name,
      stage,
      scenario,
      outcome: classifyOutcome(str('status'), str('error_code'), this.opts.expectStatus.get(endpoint)),
      tagged: str('stage') !== undefined,
      keys: [],
    };
  }

  /** The cell key of a request without a stage tag, sent at `sentMs`, read from file `file`. */
  private keyAt(info: TagInfo, sentMs: number, file: number): string {
    const origin = this.origins[file];
    const stages = this.opts.stages;
    if (origin === null || origin === undefined || stages === undefined || stages.length === 0) return info.key;
    const w = stageIndexAt(stages, (sentMs - origin) / 1000);
    let key = info.keys[w];
    if (key === undefined) {
      key = `${info.name}\u0000${(stages[w] as { name: string }).name}\u0000${info.scenario}`;
      info.keys[w] = key;
    }
    return key;
  }

  private sample(id: number, ms: number, value: number, info: TagInfo, file: number): void {
    if (ms > (this.newest[file] ?? -Infinity)) this.newest[file] = ms;
    if (ms > this.newestMs) this.newestMs = ms;
    if (id === M_LOAD_START) {
      if (this.origins[file] === null) this.origins[file] = value;
      return;
    }
    if (info.skip) return;
    const at = Math.floor(ms / 1000);
    if (id === M_DURATION) {
      this.requests++;
      let total = this.totals.get(info.name);
      if (total === undefined) {
        total = new Tally();
        this.totals.set(info.name, total);
      }
      total.add(info.outcome, value);
    }
    const second = this.secondAt(at);
    if (second === null) {
      if (id === M_DURATION) this.late++;
      return;
    }
    switch (id) {
      case M_DURATION: {
        const key = info.tagged ? info.key : this.keyAt(info, ms - value, file);
        let cell = second.cells.get(key);
        if (cell === undefined) {
          cell = new Tally();
          second.cells.set(key, cell);
        }
        if (at < this.closedBefore) this.stragglers++;
        cell.add(info.outcome, value);
        return;
      }
      case M_VUS:
        if (value > (second.vus.get(file) ?? -1)) second.vus.set(file, value);
        second.runDirty = true;
        return;
      case M_VUS_MAX:
        if (value > (second.vusMax.get(file) ?? -1)) second.vusMax.set(file, value);
        second.runDirty = true;
        return;
      case M_DROPPED:
        second.dropped += value;
        second.runDirty = true;
        return;
    }
  }

  private secondAt(at: number): Second | null {
    if (at < this.retainFrom) return null;
    let s = this.seconds.get(at);
    if (s === undefined) {
      s = new Second(at);
      this.seconds.set(at, s);
    }
    return s;
  }

  /**
   * What is ready to be written: the cells of the seconds that closed since the last call, those
   * that took a straggler, and the run-so-far figures when due. `final` (k6 has ended and every
   * file was read to its end) closes every second.
   */
  take(final = false): LiveBatch {
    const batch: LiveBatch = { cells: [], run: [], totals: [] };
    let watermark = Infinity;
    let any = false;
    for (const n of this.newest) {
      if (n === -Infinity) continue;
      any = true;
      if (n < watermark) watermark = n;
    }
    if (!final && !any) return batch;
    const closeBefore = final ? Infinity : Math.floor((watermark - GRACE_MS) / 1000);
    const dropBefore = final ? -Infinity : Math.floor((watermark - GRACE_MS - RETAIN_MS) / 1000);
    const ats = [...this.seconds.keys()].sort((a, b) => a - b);
    for (const at of ats) {
      if (at >= closeBefore) break;
      const s = this.seconds.get(at) as Second;
      for (const [key, cell] of s.cells) {
        if (!cell.dirty) continue;
        const [name, stage, scenario] = key.split('\u0000') as [string, string, string];
        const figures = cell.figures();
        batch.cells.push({ second: at, name, stage, scenario, ...figures });
        // Kept encoded only: a straggler decodes it again.
        cell.encoded = figures.histogram;
        cell.hist = null;
        cell.dirty = false;
      }
      if (s.runDirty) {
        batch.run.push({
          second: at,
          vus: s.vus.size > 0 ? sumOf(s.vus) : null,
          vusMax: s.vusMax.size > 0 ? sumOf(s.vusMax) : null,
          droppedIterations: s.dropped,
        });
        s.runDirty = false;
      }
      if (at < dropBefore) this.seconds.delete(at);
    }
    if (closeBefore > this.closedBefore) this.closedBefore = closeBefore;
    if (dropBefore > this.retainFrom) this.retainFrom = dropBefore;
    if (final || (any && this.newestMs >= this.totalsDue)) {
      const second = Math.floor(this.newestMs / 1000);
      for (const [name, t] of this.totals) {
        if (!t.dirty) continue;
        batch.totals.push({ second, name, ...t.figures() });
        t.dirty = false;
      }
      this.totalsDue = this.newestMs + TOTALS_EVERY_MS;
    }
    return batch;
  }
}

function sumOf(m: ReadonlyMap<number, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
