/**
 * Generates raw results in k6's `--out json` format (the shape k6 v2.2.0 writes, checked
 * against a real run): for each request the nine http_req_* / http_reqs samples, two checks
 * and the harness's timeout rate; per iteration iterations, iteration_duration, data_*;
 * vus and vus_max each second; dropped_iterations when the offered rate outruns the VUs; the
 * load's start (LOAD_START_METRIC) first, the origin from which the analysis places each request
 * in its stage (or, with `stageTags`, a stage tag on every sample instead). Deterministic for a
 * seed. Used by the known-answer tests and the benchmark.
 */
import { closeSync, createReadStream, createWriteStream, openSync, unlinkSync, writeSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Plan, PlanEndpoint, PlanStage } from '../../lib/contract/plan.ts';
import { mulberry32 } from '../../lib/shared/rng.ts';
import { LOAD_START_METRIC } from '../../lib/shared/defaults.ts';

export interface GenEndpoint {
  name: string;
  group: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  timeoutMs: number;
  /** Median latency at no load, ms. */
  baseMs: number;
  /** Latency multiplier at the peak offered load (queueing). */
  loadFactor: number;
  /** Timeout probability at the peak offered load (scaled by (load/peak)^4 below it). */
  timeoutAtPeak: number;
  /** Probability of a timeout independent of load. */
  timeoutAlways?: number;
  expectStatus?: number[];
  /** Probabilities of a 5xx, a 401 and a refused connection. */
  p5xx?: number;
  p401?: number;
  pRefused?: number;
}

export interface GenOptions {
  seed: number;
  startMs: number;
  scenario: string;
  stages: PlanStage[];
  endpoints: GenEndpoint[];
  /** Stop after about this many points. */
  maxPoints?: number;
  /** Extra lines for bad-input tests. */
  unknownMetricEvery?: number;
  /**
   * Write only this execution segment's share of the test, as one of `count` k6 processes
   * (`--execution-segment`) would: every `count`-th request (with its iteration samples),
   * every `count`-th dropped iteration, and this process's share of the VUs. The segments of
   * one test together hold exactly the samples of the whole (the VU gauges add up to it).
   */
  segment?: { index: number; count: number };
  /**
   * Tag every sample with its stage, as k6 does with SAMPLE_TAGS_ENV (the InfluxDB samples mode),
   * and write no load start. Default: no stage tag, the load start first (what a run writes).
   */
  stageTags?: boolean;
}

/**
 * The load start the generator writes: 1 ms before the first request (k6's startTime is whole
 * ms), so that no request of the grid of sends sits on a stage boundary, where the last bit of a
 * float would choose its side.
 */
export const GEN_LOAD_START_OFFSET_MS = -1;

/** A small, fast, seedable PRNG (mulberry32). */
export const rng = mulberry32;

const DECLS: [string, string, string][] = [
  ['http_reqs', 'counter', 'default'],
  ['http_req_duration', 'trend', 'time'],
  ['http_req_blocked', 'trend', 'time'],
  ['http_req_connecting', 'trend', 'time'],
  ['http_req_tls_handshaking', 'trend', 'time'],
  ['http_req_sending', 'trend', 'time'],
  ['http_req_waiting', 'trend', 'time'],
  ['http_req_receiving', 'trend', 'time'],
  ['http_req_failed', 'rate', 'default'],
  ['checks', 'rate', 'default'],
  ['loadgate_timeouts', 'rate', 'default'],
  ['iterations', 'counter', 'default'],
  ['iteration_duration', 'trend', 'time'],
  ['data_sent', 'counter', 'data'],
  ['data_received', 'counter', 'data'],
  ['vus', 'gauge', 'default'],
  ['vus_max', 'gauge', 'default'],
  ['dropped_iterations', 'counter', 'default'],
  [LOAD_START_METRIC, 'gauge', 'default'],
];

function isoNs(ms: number, ns: number): string {
  const iso = new Date(Math.floor(ms)).toISOString(); // …sss Z
  const sub = Math.floor((ms - Math.floor(ms)) * 1e6) + ns;
  return `${iso.slice(0, 23)}${String(sub % 1_000_000).padStart(6, '0')}Z`;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Offered rate at `s` seconds. */
function offered(stages: readonly PlanStage[], s: number): number {
  for (const st of stages) {
    if (s >= st.startS && s < st.endS) return st.fromRps + ((st.toRps - st.fromRps) * (s - st.startS)) / (st.endS - st.startS);
  }
  return 0;
}

function stageName(stages: readonly PlanStage[], s: number): string {
  for (const st of stages) if (s < st.endS) return st.name;
  return (stages[stages.length - 1] as PlanStage).name;
}

/**
 * Emits lines (each without '\n') through `emit`; returns the number of points and requests
 * written. Requests are spaced by the offered rate; samples are emitted when the request
 * ends, like k6 does. With `segment`, the whole test is generated (the same random draws)
 * and only the segment's share is written; `maxPoints` counts the whole test's points.
 */
export function generateLines(opts: GenOptions, emit: (line: string) => void): { points: number; requests: number } {
  const rand = rng(opts.seed);
  const peak = Math.max(...opts.stages.map((s) => Math.max(s.fromRps, s.toRps)));
  const end = Math.max(...opts.stages.map((s) => s.endS));
  const seg = opts.segment;
  if (
    seg !== undefined &&
    !(Number.isInteger(seg.count) && seg.count >= 1 && Number.isInteger(seg.index) && seg.index >= 0 && seg.index < seg.count)
  ) {
    throw new Error(`segment ${JSON.stringify(seg)}: index must be 0..count-1`);
  }
  /** Whether the k-th request (or dropped iteration) belongs to this segment. */
  const mine = (k: number) => seg === undefined || k % seg.count === seg.index;
  /** This segment's share of a VU gauge: the shares of all segments add up to `v`. */
  const share = (v: number) => (seg === undefined ? v : Math.floor(v / seg.count) + (seg.index < v % seg.count ? 1 : 0));
  const declared = new Set<string>();
  /** Points of the whole test (for maxPoints), and what this segment wrote. */
  let allPoints = 0;
  let points = 0;
  let made = 0;
  let requests = 0;
  let dropped = 0;
  let writing = true;
  const point = (metric: string, ms: number, value: number, tags: string) => {
    allPoints++;
    if (!writing) return;
    if (!declared.has(metric)) {
      const d = DECLS.find((x) => x[0] === metric);
      const [type, contains] = d ? [d[1], d[2]] : ['trend', 'default'];
      emit(
        `{"type":"Metric","data":{"name":"${metric}","type":"${type}","contains":"${contains}","thresholds":[],"submetrics":null},"metric":"${metric}"}`,
      );
      declared.add(metric);
    }
    emit(`{"metric":"${metric}","type":"Point","data":{"time":"${isoNs(ms, 0)}","value":${value},"tags":${tags}}}`);
    points++;
  };
  // Pending request completions, emitted in end-time order (roughly: flushed each 100 ms).
  let pending: { endMs: number; lines: () => void }[] = [];
  const flush = (upToMs: number) => {
    if (pending.length === 0) return;
    pending.sort((a, b) => a.endMs - b.endMs);
    let k = 0;
    while (k < pending.length && (pending[k] as { endMs: number }).endMs <= upToMs) (pending[k++] as { lines: () => void }).lines();
    pending = pending.slice(k);
  };
  const eps = opts.endpoints;
  const stageTag = (stage: string) => (opts.stageTags ? `,"stage":"${stage}"` : '');
  if (!opts.stageTags) {
    // Every k6 process writes it (each segment too), from its first VU's first iteration.
    point(LOAD_START_METRIC, opts.startMs + 0.3, opts.startMs + GEN_LOAD_START_OFFSET_MS, `{"group":"","scenario":"${opts.scenario}"}`);
  }
  let s = 0;
  let nextVus = 1;
  let vus = 1;
  let it = 0;
  while (s < end) {
    if (opts.maxPoints !== undefined && allPoints >= opts.maxPoints) break;
    const rate = offered(opts.stages, s);
    const load = peak > 0 ? rate / peak : 0;
    const stage = stageName(opts.stages, s);
    const startMs = opts.startMs + s * 1000;
    while (nextVus <= s) {
      flush(opts.startMs + nextVus * 1000);
      vus = Math.max(1, Math.round(rate * 0.05 * (1 + 4 * load ** 3)));
      point('vus', opts.startMs + nextVus * 1000 + 0.3, share(vus), '{}');
      point('vus_max', opts.startMs + nextVus * 1000 + 0.3, share(Math.max(vus, Math.round(peak * 0.3))), '{}');
      if (load > 0.95 && rand() < 0.5) {
        writing = mine(dropped++);
        point('dropped_iterations', opts.startMs + nextVus * 1000 + 0.5, 1, `{"scenario":"${opts.scenario}"}`);
        writing = true;
      }
      nextVus++;
    }
    const ep = eps[it % eps.length] as GenEndpoint;
    it++;
    const u = rand();
    const pTimeout = ep.timeoutAtPeak * load ** 4 + (ep.timeoutAlways ?? 0);
    let status = 200;
    let errorCode: string | null = null;
    let error = '';
    let dur = round6(ep.baseMs * (1 + (ep.loadFactor - 1) * load ** 2) * Math.exp((rand() - 0.5) * 1.2));
    let waiting = round6(dur * 0.9);
    let connecting = rand() < 0.05 ? round6(0.05 + rand() * 0.3) : 0;
    if (u < pTimeout) {
      status = 0;
      errorCode = '1050';
      error = 'request timeout';
      dur = round6(ep.timeoutMs + rand() * 3);
      waiting = dur;
    } else if (u < pTimeout + (ep.pRefused ?? 0)) {
      status = 0;
      errorCode = '1212';
      error = 'dial: connection refused';
      dur = 0;
      waiting = 0;
      connecting = 0;
    } else if (u < pTimeout + (ep.pRefused ?? 0) + (ep.p5xx ?? 0)) {
      status = 503;
    } else if (u < pTimeout + (ep.pRefused ?? 0) + (ep.p5xx ?? 0) + (ep.p401 ?? 0)) {
      status = 401;
    } else if (ep.method === 'POST' && ep.name.endsWith('logout')) {
      status = 204;
    }
    const expected = (ep.expectStatus ?? [200, 204]).includes(status);
    const errTags = errorCode === null ? '' : `"error":"${error}","error_code":"${errorCode}",`;
    const tags = `{${errTags}"expected_response":"${expected}","group":"","method":"${ep.method}","name":"${ep.name}","proto":"HTTP/1.1","scenario":"${opts.scenario}"${stageTag(stage)},"status":"${status}","url":"${ep.name}"}`;
    const checkTags = (c: string) => `{"check":"${c}","group":"","name":"${ep.name}","scenario":"${opts.scenario}"${stageTag(stage)}}`;
    const endMs = startMs + dur;
    const d = dur;
    const w = waiting;
    const cn = connecting;
    const failed = expected ? 0 : 1;
    const isTimeout = errorCode === '1050' ? 1 : 0;
    const own = mine(made);
    if (own) requests++;
    pending.push({
      endMs,
      lines: () => {
        writing = own;
        point('http_reqs', endMs, 1, tags);
        point('http_req_duration', endMs, d, tags);
        point('http_req_blocked', endMs, cn > 0 ? round6(cn + 0.01) : 0.002, tags);
        point('http_req_connecting', endMs, cn, tags);
        point('http_req_tls_handshaking', endMs, 0, tags);
        point('http_req_sending', endMs, 0.021, tags);
        point('http_req_waiting', endMs, w, tags);
        point('http_req_receiving', endMs, round6(Math.max(0, d - w - 0.021)), tags);
        point('http_req_failed', endMs, failed, tags);
        point(
          'loadgate_timeouts',
          endMs + 0.01,
          isTimeout,
          `{"group":"","name":"${ep.name}","scenario":"${opts.scenario}"${stageTag(stage)}}`,
        );
        point('checks', endMs + 0.02, expected ? 1 : 0, checkTags('status is expected'));
        point('checks', endMs + 0.02, expected ? 1 : 0, checkTags('body has the expected shape'));
        if (it % 3 === 0) {
          const itTags = `{"group":"","scenario":"${opts.scenario}"${stageTag(stage)}}`;
          point('data_sent', endMs + 0.03, 312, itTags);
          point('data_received', endMs + 0.03, 845, itTags);
          point('iteration_duration', endMs + 0.03, round6(d * 3 + 1), itTags);
          point('iterations', endMs + 0.03, 1, itTags);
        }
        if (opts.unknownMetricEvery !== undefined && made % opts.unknownMetricEvery === 0) {
          point('my_custom_trend', endMs + 0.04, 1.5, `{"name":"${ep.name}"}`);
        }
        writing = true;
      },
    });
    made++;
    flush(startMs - 100);
    s += rate > 0 ? 1 / rate : 0.1;
  }
  flush(Infinity);
  return { points, requests };
}

/**
 * Writes generated raw results to `file` (gzipped when it ends with .gz). The generator is
 * synchronous, so lines go to a plain file first (bounded memory), which is then gzipped.
 */
export async function writeGenerated(file: string, opts: GenOptions): Promise<{ points: number; requests: number }> {
  const gz = file.endsWith('.gz');
  const plain = gz ? `${file}.tmp-${process.pid}` : file;
  const fd = openSync(plain, 'w');
  let buf: string[] = [];
  let size = 0;
  let result: ReturnType<typeof generateLines>;
  try {
    result = generateLines(opts, (line) => {
      buf.push(line);
      size += line.length + 1;
      if (size > 1 << 20) {
        writeSync(fd, `${buf.join('\n')}\n`);
        buf = [];
        size = 0;
      }
    });
    if (buf.length > 0) writeSync(fd, `${buf.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
  if (gz) {
    await pipeline(createReadStream(plain), createGzip({ level: 6 }), createWriteStream(file));
    unlinkSync(plain);
  }
  return result;
}

/** A plan matching generated results. */
export function planFor(opts: GenOptions, runId = 'gen-run'): Plan {
  const endpoints: PlanEndpoint[] = opts.endpoints.map((e) => ({
    name: e.name,
    group: e.group,
    method: e.method,
    path: e.path,
    auth: 'none',
    timeoutMs: e.timeoutMs,
    expectStatus: e.expectStatus ?? [200, 204],
    query: {},
    headers: {},
    bodyType: 'json',
    weight: 1,
    expectBody: null,
    probe: false,
  }));
  return {
    kind: 'loadgate.plan',
    version: 2,
    runId,
    createdAt: new Date(opts.startMs).toISOString(),
    scenario: opts.scenario,
    profile: 'generated',
    phase: null,
    thresholdSet: null,
    baseUrl: 'http://127.0.0.1:8080',
    endpoints,
    headers: {},
    auth: {},
    users: { emailTemplate: 'user{{i}}@example.test', count: 10, passwordEnv: 'LOADGATE_PASSWORD' },
    flows: {},
    env: [],
    requestsPerIteration: 3,
    durationScale: 1,
    stages: opts.stages,
    k6Options: {},
  };
}

/** A realistic default: 12 endpoints, a ramp, a steady stage, a spike and a ramp-down; scale stretches time. */
export function benchOptions(scale = 1, seed = 42): GenOptions {
  const st = (name: string, a: number, b: number, from: number, to: number): PlanStage => ({
    name,
    startS: a * scale,
    endS: b * scale,
    fromRps: from,
    toRps: to,
  });
  return {
    seed,
    startMs: Date.parse('2026-11-22T10:00:00Z'),
    scenario: 'journey',
    stages: [
      st('warm-up', 0, 60, 0, 50),
      st('ramp-up', 60, 180, 50, 150),
      st('steady', 180, 480, 150, 150),
      st('spike', 480, 540, 150, 300),
      st('ramp-down', 540, 600, 300, 0),
    ],
    endpoints: [
      {
        name: 'auth.login',
        group: 'auth',
        method: 'POST',
        path: '/api/auth/login',
        timeoutMs: 2000,
        baseMs: 120,
        loadFactor: 8,
        timeoutAtPeak: 0.25,
        p401: 0.005,
      },
      {
        name: 'auth.logout',
        group: 'auth',
        method: 'POST',
        path: '/api/auth/logout',
        timeoutMs: 2000,
        baseMs: 20,
        loadFactor: 3,
        timeoutAtPeak: 0.02,
      },
      {
        name: 'auth.refresh',
        group: 'auth',
        method: 'POST',
        path: '/api/auth/refresh',
        timeoutMs: 2000,
        baseMs: 40,
        loadFactor: 5,
        timeoutAtPeak: 0.1,
      },
      {
        name: 'auth.2fa-status',
        group: 'auth',
        method: 'GET',
        path: '/api/auth/2fa/status',
        timeoutMs: 2000,
        baseMs: 15,
        loadFactor: 2,
        timeoutAtPeak: 0,
      },
      {
        name: 'auth.request-email-verify',
        group: 'auth',
        method: 'POST',
        path: '/api/auth/request-email-verify',
        timeoutMs: 2000,
        baseMs: 30,
        loadFactor: 2,
        timeoutAtPeak: 0,
        p5xx: 0.01,
      },
      { name: 'user.me', group: 'user', method: 'GET', path: '/api/me', timeoutMs: 2000, baseMs: 25, loadFactor: 4, timeoutAtPeak: 0.05 },
      {
        name: 'user.profile.get',
        group: 'user',
        method: 'GET',
        path: '/api/user/profile',
        timeoutMs: 2000,
        baseMs: 30,
        loadFactor: 4,
        timeoutAtPeak: 0.05,
      },
      {
        name: 'user.profile.put',
        group: 'user',
        method: 'PUT',
        path: '/api/user/profile',
        timeoutMs: 2000,
        baseMs: 45,
        loadFactor: 4,
        timeoutAtPeak: 0.05,
      },
      {
        name: 'monitoring.health',
        group: 'monitoring',
        method: 'GET',
        path: '/api/monitoring/health',
        timeoutMs: 1000,
        baseMs: 3,
        loadFactor: 1.5,
        timeoutAtPeak: 0,
        timeoutAlways: 0.002,
      },
      {
        name: 'monitoring.metrics',
        group: 'monitoring',
        method: 'GET',
        path: '/api/monitoring/metrics',
        timeoutMs: 2000,
        baseMs: 60,
        loadFactor: 2,
        timeoutAtPeak: 0,
      },
      {
        name: 'monitoring.performance',
        group: 'monitoring',
        method: 'GET',
        path: '/api/monitoring/performance',
        timeoutMs: 2000,
        baseMs: 80,
        loadFactor: 2,
        timeoutAtPeak: 0,
        pRefused: 0.001,
      },
      {
        name: 'probes.health',
        group: 'probes',
        method: 'GET',
        path: '/health',
        timeoutMs: 1000,
        baseMs: 1,
        loadFactor: 1.2,
        timeoutAtPeak: 0,
      },
    ],
  };
}
