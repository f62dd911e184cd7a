/**
 * The streaming pass: one k6 raw-results line at a time into per-(endpoint, stage, scenario)
 * leaves, time-series buckets and run totals. Everything downstream is computed from this
 * state once the input is consumed (build.ts).
 *
 * Hot loop: a line is identified by its metric name straight from the bytes (k6 writes
 * `{"metric":"<name>","type":"Point",…}`) and read in place in k6's layout, a line of any
 * metric checked whole (its frame, time, value and tag set, and nothing after them): a torn
 * or garbled line is damaged whatever its metric, and counted where it starts. The samples of
 * metrics the analysis does not need are checked, counted and not used. Lines in any other
 * layout go through JSON.parse.
 */
import { READINESS_METRIC, READINESS_SCENARIO } from '../shared/readiness.ts';
import { BODY_MISMATCH_METRIC, LOAD_START_METRIC } from '../shared/defaults.ts';
import { stageIndexAt } from '../shared/stage-at.ts';
import { IsoTime } from '../contract/time.ts';
import { parseNumber } from '../contract/json-number.ts';
import { classifyOutcome, NO_SCENARIO, OUTCOME_INDEX, OUTCOME_KEYS, SETUP_GROUP } from '../contract/outcomes.ts';
import { Values } from './values.ts';

export type PercentileMode = 'exact' | 'hdr' | 'auto';

/** Past this many stored latency values, `auto` mode moves to HDR histograms. */
export const DEFAULT_EXACT_LIMIT = 2_000_000;

const M_DURATION = 0;
const M_WAITING = 1;
const M_CONNECTING = 2;
const M_CHECKS = 3;
const M_VUS = 4;
const M_VUS_MAX = 5;
const M_DROPPED = 6;
const M_ITERATIONS = 7;
/** The readiness checks' Rate metric (lib/shared/readiness.ts). */
const M_READINESS = 9;
/** Known metrics the analysis does not need: counted, not decoded. */
const M_SKIP = 8;
/** When k6 started the scenarios (LOAD_START_METRIC): the origin of the stage windows. */
const M_LOAD_START = 10;
/** A failed body check under `loadgate run` (BODY_MISMATCH_METRIC): counted where k6's check() would have failed. */
const M_MISMATCH = 11;

const NEEDED: Record<string, number> = {
  http_req_duration: M_DURATION,
  http_req_waiting: M_WAITING,
  http_req_connecting: M_CONNECTING,
  checks: M_CHECKS,
  vus: M_VUS,
  vus_max: M_VUS_MAX,
  dropped_iterations: M_DROPPED,
  iterations: M_ITERATIONS,
  [READINESS_METRIC]: M_READINESS,
  [LOAD_START_METRIC]: M_LOAD_START,
  [BODY_MISMATCH_METRIC]: M_MISMATCH,
};
/** k6's other built-in HTTP and iteration metrics, and the harness's own timeout rate. */
const SKIPPED = [
  'http_reqs',
  'http_req_blocked',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_receiving',
  'http_req_failed',
  'iteration_duration',
  'data_sent',
  'data_received',
  'loadgate_timeouts',
];

const KNOWN = new Map<string, number>([...Object.entries(NEEDED), ...SKIPPED.map((n) => [n, M_SKIP] as [string, number])]);

/** Known names by byte length, for matching a name in place without making a string. */
const BY_LENGTH: { bytes: Uint8Array; id: number }[][] = [];
for (const [name, id] of KNOWN) {
  const list = BY_LENGTH[name.length] ?? [];
  list.push({ bytes: Buffer.from(name, 'latin1'), id });
  BY_LENGTH[name.length] = list;
}

const PREFIX = Buffer.from('{"metric":"', 'latin1');
const PREFIX_LEN = PREFIX.length;
const PREFIX_VIEW = new DataView(PREFIX.buffer, PREFIX.byteOffset, PREFIX.byteLength);

const { ok: O_OK, timeout: O_TIMEOUT, dialTimeout: O_DIAL_TIMEOUT } = OUTCOME_INDEX;

/** Pass and fail counts of one readiness check, in all and by endpoint and stage. */
export class ReadinessTally {
  passes = 0;
  fails = 0;
  readonly byEndpoint = new Map<string, [number, number]>();
  readonly byStage = new Map<string, [number, number]>();
  add(pass: boolean, endpoint: string | undefined, stage: string | undefined): void {
    if (pass) this.passes++;
    else this.fails++;
    const i = pass ? 0 : 1;
    for (const [map, key] of [
      [this.byEndpoint, endpoint],
      [this.byStage, stage],
    ] as const) {
      if (key === undefined) continue;
      const c = map.get(key) ?? [0, 0];
      c[i]++;
      map.set(key, c);
    }
  }
}

/**
 * Everything the readiness scenario sent, kept apart from the load: its requests, iterations
 * and drops are in no endpoint, stage, total or series, and its check samples are tallied here.
 */
export class ReadinessState {
  requests = 0;
  iterations = 0;
  dropped = 0;
  samples = 0;
  readonly checks = new Map<string, ReadinessTally>();
}

/** Per-interval buckets for one endpoint's time series. */
export class EndpointSeries {
  requests: number[] = [];
  errors: number[] = [];
  timeouts: number[] = [];
  /** Log-bucket latency counts per interval, for the series p95 (series.ts). */
  latency: (Uint16Array | Uint32Array | undefined)[] = [];
}

class FileVus {
  vusPeak = 0;
  vusMax = 0;
  readonly seriesVus: (number | null)[] = [];
  readonly stageVus: number[];
  constructor(stages: number) {
    this.stageVus = new Array<number>(stages).fill(0);
  }
}

/** The smallest cell: one endpoint × one stage tag × one scenario. */
export class Leaf {
  requests = 0;
  readonly outcomes = new Float64Array(OUTCOME_KEYS.length);
  checksPass = 0;
  checksFail = 0;
  /**
   * Smallest http_req_duration among client timeouts (1050) that were sent: a value at or above
   * it is censored (build.ts). Dial timeouts (1211), and client timeouts that struck while
   * connecting, never sent the request: k6 records them at 0 ms (its duration excludes
   * connecting), so they censor by rank only.
   */
  minTimeoutMs = Infinity;
  /** Offsets (s) of the first and last sample placed here. */
  firstS = Infinity;
  lastS = -Infinity;
  readonly duration = new Values();
  readonly waiting = new Values();
  readonly connecting = new Values();
  /** The endpoint's series (shared by its leaves), once known. */
  series: EndpointSeries | null = null;
  constructor(
    /** '' when the samples had no `name` tag. */
    readonly endpoint: string,
    /** null when the samples had no `stage` tag. */
    readonly stage: string | null,
    readonly scenario: string,
  ) {}
}

export interface EndpointRules {
  /** Statuses that count as ok. */
  expectStatus: ReadonlySet<number>;
}

export interface AccumulatorOptions {
  /** Test start, epoch ms: offsets are measured from here. */
  t0Ms: number;
  intervalS: number;
  mode: PercentileMode;
  exactLimit?: number;
  endpoints: ReadonlyMap<string, EndpointRules>;
  /**
   * Planned stage windows (s): the stage of a request without a `stage` tag is the window in
   * which it was sent, from its file's LOAD_START_METRIC; VU gauges and dropped iterations are
   * placed by their time from t0.
   */
  stageWindows: readonly { name: string; startS: number; endS: number }[];
  /**
   * The window (s from t0) a sample of this run can fall in; samples outside it are counted
   * as out of window and left out of everything else. Default: unbounded.
   */
  window?: { fromS: number; toS: number };
}

/** Far beyond any sane run: a timestamp past this is treated as bogus and clamped. */
const MAX_INTERVALS = 1_000_000;

export class Accumulator {
  lines = 0;
  points = 0;
  metricDecls = 0;
  badJson = 0;
  tornLastLine = 0;
  /**
   * Lines that are not a whole, valid JSON object (torn, cut short, garbled, empty), in all
   * files; they are also in `badJson` or `tornLastLine`, the kind of line they were skipped as.
   */
  damaged = 0;
  /** The current file: its line number (1-based, in the decompressed stream), damaged lines, and the first one (0: none). */
  fileLine = 0;
  fileDamaged = 0;
  fileFirstDamaged = 0;
  unknownMetric = 0;
  untagged = 0;
  readonly unknownNames = new Map<string, number>();
  readonly badSamples: string[] = [];

  mode: 'exact' | 'hdr';
  private readonly autoSwitch: boolean;
  private readonly exactLimit: number;
  private stored = 0;
  switchedAtValues: number | null = null;

  readonly leaves: Leaf[] = [];
  private readonly leafIndex = new Map<string, Map<string, Map<string, Leaf>>>();
  private cacheName: string | undefined = undefined;
  private cacheStage: string | undefined = undefined;
  private cacheScenario: string | undefined = undefined;
  private cacheLeaf: Leaf | null = null;
  /** Tag sets by a hash of their bytes (FNV-1a over 32-bit words); colliding sets are chained. */
  private readonly tagCache = new Map<number, TagInfo>();
  private tagCacheSize = 0;

  iterations = 0;
  dropped = 0;
  /** The readiness scenario's samples, kept apart (see ReadinessState). */
  readonly readiness = new ReadinessState();
  checksPass = 0;
  checksFail = 0;
  /**
   * Load samples of k6's check() (a bundle k6 ran on its own, or a run from before
   * BODY_MISMATCH_METRIC); with none, the body checks' passes are derived (passBodyChecks).
   */
  checkSamples = 0;
  readonly stageDropped: number[];
  /** VU gauges per input file: each execution segment reports its own VUs, which add up. */
  private readonly files: FileVus[] = [];
  private file: FileVus;

  /**
   * The current file's load start (LOAD_START_METRIC) as an offset (s) from t0; null until its
   * sample is read. Until then a request without a `stage` tag is in no stage.
   */
  private originS: number | null = null;
  /** The stage window of the last request placed, tried first for the next. */
  private lastWindow = 0;
  /** The last request's time, tag set and leaf: its waiting and connecting samples follow it. */
  private requestS = Number.NaN;
  private requestInfo: TagInfo | null = null;
  private requestLeaf: Leaf | null = null;

  /** Offsets (s) of the earliest and latest sample (within the window). */
  minS = Infinity;
  maxS = -Infinity;
  clampedTimes = 0;
  /** Samples outside the run's window, and the earliest and latest of their offsets (s). */
  outOfWindow = 0;
  /** Samples of k6's setup(), kept apart (see SETUP_GROUP). */
  setupSamples = 0;
  outOfWindowMinS = Infinity;
  outOfWindowMaxS = -Infinity;

  readonly seriesRequests: number[] = [];
  readonly seriesDropped: number[] = [];
  readonly endpointSeries = new Map<string, EndpointSeries>();

  private readonly t0Ms: number;
  private readonly intervalMs: number;
  private readonly rules: ReadonlyMap<string, EndpointRules>;
  private readonly windows: readonly { name: string; startS: number; endS: number }[];
  private readonly fromS: number;
  private readonly toS: number;
  private readonly time = new IsoTime();

  constructor(opts: AccumulatorOptions) {
    this.t0Ms = opts.t0Ms;
    this.intervalMs = opts.intervalS * 1000;
    this.mode = opts.mode === 'hdr' ? 'hdr' : 'exact';
    this.autoSwitch = opts.mode === 'auto';
    this.exactLimit = opts.exactLimit ?? DEFAULT_EXACT_LIMIT;
    this.rules = opts.endpoints;
    this.windows = opts.stageWindows;
    this.fromS = opts.window?.fromS ?? -Infinity;
    this.toS = opts.window?.toS ?? Infinity;
    this.stageDropped = opts.stageWindows.map(() => 0);
    this.file = new FileVus(opts.stageWindows.length);
    this.files.push(this.file);
  }

  /** Starts the next input file (another execution segment of the same test). */
  beginFile(): void {
    this.originS = null;
    this.requestInfo = null;
    this.fileLine = 0;
    this.fileDamaged = 0;
    this.fileFirstDamaged = 0;
    if (this.lines === 0) return;
    this.file = new FileVus(this.windows.length);
    this.files.push(this.file);
    this.cacheLeaf = null;
  }

  /** VUs summed over the files (segments): per series interval, per stage, and peak / max. */
  vus(): { series: (number | null)[]; stage: number[]; peak: number; max: number } {
    const len = Math.max(0, ...this.files.map((f) => f.seriesVus.length));
    const series: (number | null)[] = [];
    for (let i = 0; i < len; i++) {
      let sum: number | null = null;
      for (const f of this.files) {
        const v = f.seriesVus[i];
        if (v !== null && v !== undefined) sum = (sum ?? 0) + v;
      }
      series.push(sum);
    }
    const stage = this.windows.map((_, w) => this.files.reduce((a, f) => a + (f.stageVus[w] as number), 0));
    return {
      series,
      stage,
      peak: this.files.reduce((a, f) => a + f.vusPeak, 0),
      max: this.files.reduce((a, f) => a + f.vusMax, 0),
    };
  }

  /** The per-line entry point (a LineHandler). */
  line = (buf: Buffer, start: number, end: number, unterminated: boolean): void => {
    this.lines++;
    this.fileLine++;
    let id = -1;
    if (buf !== this.viewOf) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    if (end - start > PREFIX_LEN + 1 && buf[start + 1] === 34 && sameView(this.view, start, PREFIX_VIEW, PREFIX_LEN)) {
      const nameStart = start + PREFIX_LEN;
      let q = nameStart;
      while (q < end && buf[q] !== 34) q++;
      id = lookupName(buf, nameStart, q);
      if (id !== -1) {
        const info = this.fastPoint(buf, q, end);
        if (info !== null) {
          this.points++;
          if (id !== M_SKIP) this.sample(id, (this.pointMs - this.t0Ms) / 1000, this.pointValue, info);
          return;
        }
      }
    }
    let obj: unknown;
    try {
      obj = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      this.noteDamaged();
      if (unterminated) this.tornLastLine++;
      else this.noteBad(buf, start, end);
      return;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) this.noteDamaged();
    this.object(obj, id, buf, start, end);
  };

  private noteDamaged(): void {
    this.damaged++;
    this.fileDamaged++;
    if (this.fileFirstDamaged === 0) this.fileFirstDamaged = this.fileLine;
  }

  /** The time (epoch ms) and value of the point fastPoint read last. */
  private pointMs = 0;
  private pointValue = 0;
  /**
   * The buffer the lines come from, and a DataView over it: the fixed parts of k6's layout and
   * the tag sets are compared four bytes at a time through it.
   */
  private viewOf: Buffer | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));
  /**
   * The last time string read (its bytes, length and value): the samples of one request share
   * their timestamp, so most lines match it whole and skip the parse.
   */
  private readonly lastTime: DataView = new DataView(new ArrayBuffer(64));
  private readonly lastTimeBytes = new Uint8Array(this.lastTime.buffer);
  private lastTimeLen = 0;
  private lastTimeMs = 0;

  /**
   * k6's own layout, read in place and checked whole:
   * `","type":"Point","data":{"time":"…","value":…,"tags":{…}}}` and nothing after. The time
   * and value are read from the bytes (pointMs, pointValue); the tag set is the bytes between
   * `"tags":` and the last two braces, found by them: the previous line's set (the samples of
   * one request are written together), else by its hash in the cache, else decoded once with
   * JSON.parse, which also proves it whole. Returns null, having consumed nothing, when the
   * line is anything else (another layout, a `metadata` object, a torn or garbled line): the
   * caller's JSON.parse then judges it.
   */
  private fastPoint(buf: Buffer, q: number, end: number): TagInfo | null {
    // The frame's last bytes first: a torn line fails here at once.
    if (buf[end - 1] !== 125 || buf[end - 2] !== 125 || buf[end - 3] !== 125) return null;
    const view = this.view;
    let p = q;
    if (p + POINT_MID_LEN > end || !sameView(view, p, POINT_MID_VIEW, POINT_MID_LEN)) return null;
    p += POINT_MID_LEN;
    const ts = p;
    let ms: number;
    const lt = this.lastTimeLen;
    // The same bytes up to a quote as the last time string (which has no quote): the scan below
    // would stop at the same place and the parse give the same value.
    if (lt > 0 && ts + lt < end && buf[ts + lt] === 34 && sameView(view, ts, this.lastTime, lt)) {
      ms = this.lastTimeMs;
      p = ts + lt;
    } else {
      while (p < end && buf[p] !== 34) p++;
      ms = this.time.fromBytes(buf, ts, p);
      if (Number.isNaN(ms)) return null;
      if (p - ts <= this.lastTime.byteLength) {
        for (let k = ts; k < p; k++) this.lastTimeBytes[k - ts] = buf[k] as number;
        this.lastTimeLen = p - ts;
        this.lastTimeMs = ms;
      }
    }
    if (p + VALUE_KEY_LEN > end || !sameView(view, p, VALUE_KEY_VIEW, VALUE_KEY_LEN)) return null;
    p += VALUE_KEY_LEN;
    const vs = p;
    while (p < end && buf[p] !== 44 /* , */) p++;
    const value = parseNumber(buf, vs, p);
    if (Number.isNaN(value)) return null;
    if (p + TAGS_KEY_LEN > end || !sameView(view, p, TAGS_KEY_VIEW, TAGS_KEY_LEN)) return null;
    p += TAGS_KEY_LEN;
    if (buf[p] !== 123 /* { */) return null;
    const tagsStart = p;
    const tagsEnd = end - 2;
    this.pointMs = ms;
    this.pointValue = value;
    const last = this.lastTags;
    if (last !== null && sameTags(view, tagsStart, tagsEnd, last)) return last;
    // A hash of the tag set's bytes, to find its TagInfo without making a string: FNV-1a over
    // 32-bit words, then the last bytes (a match is still checked whole).
    let h = 0x811c9dc5;
    let k = tagsStart;
    for (; k + 4 <= tagsEnd; k += 4) h = Math.imul(h ^ view.getInt32(k, true), 0x01000193);
    for (; k < tagsEnd; k++) h = Math.imul(h ^ (buf[k] as number), 0x01000193);
    let info: TagInfo | undefined = this.tagCache.get(h);
    while (info !== undefined && !sameTags(view, tagsStart, tagsEnd, info)) info = info.next;
    if (info === undefined) {
      let tags: unknown;
      try {
        tags = JSON.parse(buf.toString('utf8', tagsStart, tagsEnd));
      } catch {
        return null;
      }
      if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return null;
      if (this.tagCacheSize >= TAG_CACHE_MAX) {
        this.tagCache.clear();
        this.tagCacheSize = 0;
      }
      info = new TagInfo(tags as Tags, Buffer.from(buf.subarray(tagsStart, tagsEnd)));
      info.next = this.tagCache.get(h);
      this.tagCache.set(h, info);
      this.tagCacheSize++;
    }
    this.lastTags = info;
    return info;
  }

  /** The tag set of the last line read in place. */
  private lastTags: TagInfo | null = null;

  private object(obj: unknown, knownId: number, buf: Buffer, start: number, end: number): void {
    if (obj === null || typeof obj !== 'object') return this.noteBad(buf, start, end);
    const o = obj as { type?: unknown; metric?: unknown; data?: unknown };
    if (o.type === 'Metric') {
      this.metricDecls++;
      return;
    }
    if (o.type !== 'Point' || typeof o.metric !== 'string') return this.noteBad(buf, start, end);
    const d = o.data as { time?: unknown; value?: unknown; tags?: unknown } | null | undefined;
    if (d === null || typeof d !== 'object' || typeof d.time !== 'string' || typeof d.value !== 'number')
      return this.noteBad(buf, start, end);
    const ms = this.time.ms(d.time);
    if (Number.isNaN(ms)) return this.noteBad(buf, start, end);
    this.points++;
    let id = knownId;
    if (id === -1) {
      const known = KNOWN.get(o.metric);
      if (known === undefined) {
        this.unknownMetric++;
        this.unknownNames.set(o.metric, (this.unknownNames.get(o.metric) ?? 0) + 1);
        return;
      }
      id = known;
      if (id === M_SKIP) return;
    }
    const tags = (d.tags !== null && typeof d.tags === 'object' ? d.tags : EMPTY_TAGS) as Tags;
    this.sample(id, (ms - this.t0Ms) / 1000, d.value, new TagInfo(tags));
  }

  private sample(id: number, s: number, value: number, info: TagInfo): void {
    if (id === M_LOAD_START) {
      if (this.originS === null) this.originS = (value - this.t0Ms) / 1000;
      return;
    }
    // k6's setup(): the session pool's logins before the load, in no load figure nor the run's span.
    if (info.readiness === 2 || (info.readiness === -1 && info.tags.group === SETUP_GROUP)) {
      info.readiness = 2;
      this.setupSamples++;
      return;
    }
    if (s > this.toS || s < this.fromS) {
      // A clock gone wrong or another run's line: it would stretch the run and its series.
      this.outOfWindow++;
      if (s < this.outOfWindowMinS) this.outOfWindowMinS = s;
      if (s > this.outOfWindowMaxS) this.outOfWindowMaxS = s;
      return;
    }
    if (info.readiness === -1) info.readiness = info.tags.scenario === READINESS_SCENARIO ? 1 : info.tags.group === SETUP_GROUP ? 2 : 0;
    // The readiness checks beside the load: never in a load figure, nor in the run's span.
    if (info.readiness === 1 || id === M_READINESS) return this.readinessSample(id, s, value, info);
    if (s < this.minS) this.minS = s;
    if (s > this.maxS) this.maxS = s;
    switch (id) {
      case M_DURATION:
        return this.request(info, s, value);
      case M_WAITING:
        this.followingLeaf(info, s).waiting.add(value);
        return this.countStored();
      case M_CONNECTING:
        this.followingLeaf(info, s).connecting.add(value);
        return this.countStored();
      case M_CHECKS:
      case M_MISMATCH: {
        // A mismatch is a failed body check; its passes are the endpoint's other requests (passBodyChecks).
        const pass = id === M_CHECKS && value !== 0;
        if (id === M_CHECKS) this.checkSamples++;
        if (pass) this.checksPass++;
        else this.checksFail++;
        if (info.tags.name === undefined) {
          this.untagged++;
          return;
        }
        // A check is placed at the time it ran, right after its response.
        const leaf = this.leafAt(info, s);
        if (leaf.stage === null) this.untagged++;
        if (pass) leaf.checksPass++;
        else leaf.checksFail++;
        return;
      }
      case M_VUS: {
        const f = this.file;
        if (value > f.vusPeak) f.vusPeak = value;
        const i = this.interval(s);
        grow(f.seriesVus, i, null);
        const cur = f.seriesVus[i];
        if (cur === null || cur === undefined || value > cur) f.seriesVus[i] = value;
        const w = this.windowOf(s);
        if (w !== -1 && value > (f.stageVus[w] as number)) f.stageVus[w] = value;
        return;
      }
      case M_VUS_MAX:
        if (value > this.file.vusMax) this.file.vusMax = value;
        return;
      case M_DROPPED: {
        this.dropped += value;
        const i = this.interval(s);
        grow(this.seriesDropped, i, 0);
        this.seriesDropped[i] = (this.seriesDropped[i] as number) + value;
        const w = this.windowOf(s);
        if (w !== -1) this.stageDropped[w] = (this.stageDropped[w] as number) + value;
        return;
      }
      case M_ITERATIONS:
        this.iterations += value;
        return;
    }
  }

  private readinessSample(id: number, s: number, value: number, info: TagInfo): void {
    const r = this.readiness;
    switch (id) {
      case M_DURATION:
        r.requests++;
        return;
      case M_ITERATIONS:
        r.iterations += value;
        return;
      case M_DROPPED:
        r.dropped += value;
        return;
      case M_READINESS: {
        const check = info.tags.check;
        if (check === undefined) return;
        r.samples++;
        let tally = r.checks.get(check);
        if (tally === undefined) {
          tally = new ReadinessTally();
          r.checks.set(check, tally);
        }
        tally.add(value !== 0, info.tags.endpoint, info.tags.stage ?? this.stageNameAt(s));
        return;
      }
      default:
        // Waiting and connecting times, checks, VU gauges of the readiness requests: not load figures.
        return;
    }
  }

  /**
   * The leaf of a sample of tag set `info` at `s`: its own `stage` tag's, else the stage window
   * holding `s` from the file's load start; in no stage before that start is known.
   */
  private leafAt(info: TagInfo, s: number): Leaf {
    if (info.tags.stage !== undefined || this.originS === null || this.windows.length === 0) {
      let leaf = info.leaf;
      if (leaf === null) {
        leaf = this.leafFor(info.tags, info.tags.stage);
        info.leaf = leaf;
      }
      return leaf;
    }
    const w = this.loadWindow(s - this.originS);
    let leaves = info.leaves;
    if (leaves === null) {
      leaves = [];
      info.leaves = leaves;
    }
    let leaf = leaves[w];
    if (leaf === undefined) {
      leaf = this.leafFor(info.tags, (this.windows[w] as { name: string }).name);
      leaves[w] = leaf;
    }
    return leaf;
  }

  /** A request's waiting or connecting sample: the request's leaf (same time, same tags), else by its time. */
  private followingLeaf(info: TagInfo, s: number): Leaf {
    return info === this.requestInfo && s === this.requestS ? (this.requestLeaf as Leaf) : this.leafAt(info, s);
  }

  /** The stage window (index) of offset `x` from the load's start; the last one found is tried first. */
  private loadWindow(x: number): number {
    const w = this.windows;
    const c = w[this.lastWindow] as { startS: number; endS: number };
    if (x < c.endS && (x >= c.startS || this.lastWindow === 0)) return this.lastWindow;
    const i = stageIndexAt(w, x);
    this.lastWindow = i;
    return i;
  }

  /** The stage name at `s` (from t0) for a sample without a stage tag; undefined before the load start is known. */
  private stageNameAt(s: number): string | undefined {
    if (this.originS === null || this.windows.length === 0) return undefined;
    return (this.windows[this.loadWindow(s - this.originS)] as { name: string }).name;
  }

  /**
   * Under `loadgate run` k6 writes a body check's failures only (BODY_MISMATCH_METRIC): each leaf
   * of an endpoint in `bodyChecked` then passed its requests less its mismatches. A run with
   * samples of k6's check() (a bundle k6 ran on its own, or a run from before) keeps them as
   * they are. A mismatch is placed at the time it ran, right after its answer, and its request by
   * when it was sent: in the rare case that puts more mismatches than requests in a leaf (an
   * answer that came back in the next stage), that leaf counts no pass rather than fewer than none.
   */
  passBodyChecks(bodyChecked: ReadonlySet<string>): void {
    if (this.checkSamples > 0 || bodyChecked.size === 0) return;
    let passes = 0;
    for (const leaf of this.leaves) {
      if (!bodyChecked.has(leaf.endpoint)) continue;
      leaf.checksPass = Math.max(0, leaf.requests - leaf.checksFail);
      passes += leaf.checksPass;
    }
    this.checksPass = passes;
  }

  private request(info: TagInfo, s: number, value: number): void {
    // A request is in the stage in which it was sent (k6 stamps it when it ends), as in the series.
    const leaf = this.leafAt(info, s - value / 1000);
    if (info.tags.name === undefined || leaf.stage === null) this.untagged++;
    this.requestS = s;
    this.requestInfo = info;
    this.requestLeaf = leaf;
    leaf.requests++;
    if (s < leaf.firstS) leaf.firstS = s;
    if (s > leaf.lastS) leaf.lastS = s;
    leaf.duration.add(value);
    this.countStored();
    let outcome = info.outcome;
    if (outcome === -1) outcome = info.outcome = this.classify(info.tags, leaf.endpoint);
    leaf.outcomes[outcome] = (leaf.outcomes[outcome] as number) + 1;
    if (outcome === O_TIMEOUT && value > 0 && value < leaf.minTimeoutMs) leaf.minTimeoutMs = value;

    // Series place a request at the time it was sent (k6 stamps it when it ends): a timeout
    // belongs to the load that was offered when it was sent, not two seconds later.
    const i = this.interval(s - value / 1000);
    grow(this.seriesRequests, i, 0);
    this.seriesRequests[i] = (this.seriesRequests[i] as number) + 1;
    if (leaf.endpoint === '') return;
    let es = leaf.series;
    if (es === null) {
      es = this.endpointSeries.get(leaf.endpoint) ?? new EndpointSeries();
      this.endpointSeries.set(leaf.endpoint, es);
      leaf.series = es;
    }
    grow(es.requests, i, 0);
    grow(es.errors, i, 0);
    grow(es.timeouts, i, 0);
    es.requests[i] = (es.requests[i] as number) + 1;
    if (outcome !== O_OK) es.errors[i] = (es.errors[i] as number) + 1;
    if (outcome === O_TIMEOUT || outcome === O_DIAL_TIMEOUT) es.timeouts[i] = (es.timeouts[i] as number) + 1;
    let lat = es.latency[i];
    if (lat === undefined) {
      while (es.latency.length < i) es.latency.push(undefined);
      lat = new Uint16Array(SERIES_BUCKETS);
      es.latency[i] = lat;
    }
    const b = seriesBucket(value);
    const c = (lat[b] as number) + 1;
    if (c > 0xffff && lat instanceof Uint16Array) {
      lat = Uint32Array.from(lat);
      es.latency[i] = lat;
    }
    lat[b] = c;
  }

  private classify(tags: Tags, endpoint: string): number {
    return classifyOutcome(tags.status, tags.error_code, this.rules.get(endpoint)?.expectStatus);
  }

  private leafFor(tags: Tags, stage: string | undefined): Leaf {
    const name = tags.name ?? '';
    const scenario = tags.scenario ?? NO_SCENARIO;
    if (this.cacheLeaf !== null && name === this.cacheName && stage === this.cacheStage && scenario === this.cacheScenario) {
      return this.cacheLeaf;
    }
    let byStage = this.leafIndex.get(name);
    if (byStage === undefined) {
      byStage = new Map();
      this.leafIndex.set(name, byStage);
    }
    const stageKey = stage ?? '\u0000';
    let byScenario = byStage.get(stageKey);
    if (byScenario === undefined) {
      byScenario = new Map();
      byStage.set(stageKey, byScenario);
    }
    let leaf = byScenario.get(scenario);
    if (leaf === undefined) {
      leaf = new Leaf(name, stage ?? null, scenario);
      if (this.mode === 'hdr') {
        leaf.duration.bound();
        leaf.waiting.bound();
        leaf.connecting.bound();
      }
      byScenario.set(scenario, leaf);
      this.leaves.push(leaf);
    }
    this.cacheName = name;
    this.cacheStage = stage;
    this.cacheScenario = scenario;
    this.cacheLeaf = leaf;
    return leaf;
  }

  private countStored(): void {
    if (this.mode === 'exact' && this.autoSwitch && ++this.stored > this.exactLimit) {
      this.switchedAtValues = this.stored;
      this.mode = 'hdr';
      for (const leaf of this.leaves) {
        leaf.duration.bound();
        leaf.waiting.bound();
        leaf.connecting.bound();
      }
    }
  }

  private interval(s: number): number {
    let i = Math.floor((s * 1000) / this.intervalMs);
    if (i < 0) i = 0;
    else if (i > MAX_INTERVALS) {
      this.clampedTimes++;
      i = MAX_INTERVALS;
    }
    return i;
  }

  private windowOf(s: number): number {
    const w = this.windows;
    for (let i = 0; i < w.length; i++) {
      const x = w[i] as { startS: number; endS: number };
      if (s >= x.startS && s < x.endS) return i;
    }
    // Past the last planned stage (k6's graceful stop): the last stage.
    const last = w.length - 1;
    return last >= 0 && s >= (w[last] as { endS: number }).endS ? last : -1;
  }

  private noteBad(buf: Buffer, start: number, end: number): void {
    this.badJson++;
    if (this.badSamples.length < 3) this.badSamples.push(buf.toString('utf8', start, Math.min(end, start + 80)));
  }
}

type Tags = {
  name?: string;
  stage?: string;
  scenario?: string;
  group?: string;
  status?: string;
  error_code?: string;
  /** Readiness samples: the check and the endpoint it judged. */
  check?: string;
  endpoint?: string;
};
const EMPTY_TAGS: Tags = {};

/** What a distinct tag set resolves to, worked out once and cached by the tag bytes. */
class TagInfo {
  /** The leaf of these tags when they say the stage (or none can be told); else `leaves`, per stage window. */
  leaf: Leaf | null = null;
  leaves: Leaf[] | null = null;
  /** The request outcome these tags mean (status, error code, the endpoint's expected statuses); -1 until needed. */
  outcome = -1;
  /** 1 for a sample of the readiness scenario, 2 for one of k6's setup(), 0 otherwise; -1 until needed. */
  readiness = -1;
  /** Another tag set with the same hash. */
  next: TagInfo | undefined = undefined;
  /** The tag set's bytes, as written (cache key); empty when not cached. */
  readonly bytes: DataView;
  constructor(
    readonly tags: Tags,
    bytes: Buffer = EMPTY_BYTES,
  ) {
    this.bytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

const EMPTY_BYTES = Buffer.alloc(0);

function sameTags(view: DataView, s: number, e: number, info: TagInfo): boolean {
  const n = e - s;
  return info.bytes.byteLength === n && sameView(view, s, info.bytes, n);
}

/**
 * Whether view[s, s + n) holds the bytes of bytes[0, n): four at a time, then one by one. Both
 * ranges must lie within their views. A loop of DataView reads compiles to plain loads: about
 * twice as fast as a byte loop, and faster than Buffer.compare (a native call) on ~200 bytes.
 */
function sameView(view: DataView, s: number, bytes: DataView, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) if (view.getInt32(s + i, true) !== bytes.getInt32(i, true)) return false;
  for (; i < n; i++) if (view.getUint8(s + i) !== bytes.getUint8(i)) return false;
  return true;
}

const viewOf = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Distinct tag sets kept; past this (per-request tag values) the cache starts over. */
const TAG_CACHE_MAX = 50_000;

const POINT_MID = Buffer.from('","type":"Point","data":{"time":"', 'latin1');
const POINT_MID_LEN = POINT_MID.length;
const POINT_MID_VIEW = viewOf(POINT_MID);
const VALUE_KEY = Buffer.from('","value":', 'latin1');
const VALUE_KEY_LEN = VALUE_KEY.length;
const VALUE_KEY_VIEW = viewOf(VALUE_KEY);
const TAGS_KEY = Buffer.from(',"tags":', 'latin1');
const TAGS_KEY_LEN = TAGS_KEY.length;
const TAGS_KEY_VIEW = viewOf(TAGS_KEY);

/** The metric id of the name in buf[s, e), or -1 when it is not one of the known metrics. */
function lookupName(buf: Buffer, s: number, e: number): number {
  const candidates = BY_LENGTH[e - s];
  if (candidates === undefined) return -1;
  outer: for (const c of candidates) {
    const bytes = c.bytes;
    // From the end: the names share long prefixes ("http_req_").
    for (let k = bytes.length - 1; k >= 0; k--) if (buf[s + k] !== bytes[k]) continue outer;
    return c.id;
  }
  return -1;
}

function grow<T>(arr: T[], i: number, fill: T): void {
  while (arr.length <= i) arr.push(fill);
}

/**
 * Series latency buckets: logarithmic, each 4 % wider than the one before, from 0.1 ms to
 * 10^6 ms (below: the first bucket; above: the last); a bucket reports its geometric midpoint,
 * so a series p95 is within 2 % of the bucket it falls in. 16-bit counts, widened to 32 bits
 * when one fills up: ~0.8 kB per endpoint and interval.
 */
export const SERIES_MIN_MS = 0.1;
export const SERIES_GROWTH = 1.04;
const LOG_GROWTH = Math.log(SERIES_GROWTH);
export const SERIES_BUCKETS = 2 + Math.ceil(Math.log(1e6 / SERIES_MIN_MS) / LOG_GROWTH);

export function seriesBucket(ms: number): number {
  if (!(ms > SERIES_MIN_MS)) return 0;
  const b = 1 + Math.floor(Math.log(ms / SERIES_MIN_MS) / LOG_GROWTH);
  return b < SERIES_BUCKETS ? b : SERIES_BUCKETS - 1;
}

/** The representative value of a series bucket. */
export function seriesBucketValue(b: number): number {
  return b === 0 ? SERIES_MIN_MS / 2 : SERIES_MIN_MS * SERIES_GROWTH ** (b - 0.5);
}
