/**
 * The server's own request metrics: counters and fixed-bucket latency histograms per route (for
 * the Prometheus endpoint) and a ring of recent latencies per route (for p50/p95). Routes are a
 * fixed, known set, so everything is preallocated and recording a request is a few array writes.
 */
import { ROUTE_NAMES } from './profiles.ts';

/** Histogram upper bounds, in seconds. They bracket the phase targets (0.1, 0.2, 0.5, 1) and the 2 s client timeout. */
export const BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10] as const;
const RECENT = 2048;
/** Latencies older than this do not count as "recent". */
export const RECENT_WINDOW_MS = 60_000;

/** Label for requests that matched no route (404s, bad methods on unknown paths). */
export const UNMATCHED = 'unmatched';

class RouteStats {
  readonly byStatus = new Map<number, number>();
  readonly buckets = new Float64Array(BUCKETS_S.length);
  count = 0;
  sumS = 0;
  private readonly recentMs = new Float64Array(RECENT);
  private readonly recentAt = new Float64Array(RECENT);
  private next = 0;
  private filled = 0;

  constructor(
    readonly method: string,
    readonly path: string,
  ) {}

  record(status: number, durationMs: number, now: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    const s = durationMs / 1000;
    this.count++;
    this.sumS += s;
    for (let i = 0; i < BUCKETS_S.length; i++) {
      if (s <= (BUCKETS_S[i] as number)) {
        this.buckets[i]!++;
        break;
      }
    }
    this.recentMs[this.next] = durationMs;
    this.recentAt[this.next] = now;
    this.next = (this.next + 1) % RECENT;
    if (this.filled < RECENT) this.filled++;
  }

  recent(now: number): number[] {
    const out: number[] = [];
    const since = now - RECENT_WINDOW_MS;
    for (let i = 0; i < this.filled; i++) if ((this.recentAt[i] as number) >= since) out.push(this.recentMs[i] as number);
    return out.sort((a, b) => a - b);
  }
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] as number;
}

function round2(v: number | null): number | null {
  return v === null ? null : Math.round(v * 100) / 100;
}

export interface RoutePerformance {
  route: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface Gauge {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  // JavaScript's shortest round-trip form is valid exposition (Go's ParseFloat reads it, "1e-7" too).
  return String(v);
}

export class Metrics {
  private readonly routes = new Map<string, RouteStats>();

  constructor() {
    for (const name of ROUTE_NAMES) {
      const [method, path] = name.split(' ') as [string, string];
      this.routes.set(name, new RouteStats(method, path));
    }
    this.routes.set(UNMATCHED, new RouteStats('', UNMATCHED));
  }

  record(route: string, status: number, durationMs: number, now = performance.now()): void {
    (this.routes.get(route) ?? this.routes.get(UNMATCHED))?.record(status, durationMs, now);
  }

  /** Recent percentiles per route that has seen traffic in the window. */
  performance(now = performance.now()): RoutePerformance[] {
    const out: RoutePerformance[] = [];
    for (const [route, st] of this.routes) {
      const recent = st.recent(now);
      if (recent.length === 0) continue;
      out.push({
        route,
        count: recent.length,
        p50Ms: round2(quantile(recent, 0.5)),
        p95Ms: round2(quantile(recent, 0.95)),
        p99Ms: round2(quantile(recent, 0.99)),
      });
    }
    return out;
  }

  /** Prometheus text exposition (format 0.0.4). */
  render(extra: readonly Gauge[] = []): string {
    const lines: string[] = [];
    lines.push('# HELP http_requests_total Requests served, by route and status.');
    lines.push('# TYPE http_requests_total counter');
    for (const st of this.routes.values()) {
      for (const [status, n] of st.byStatus) {
        lines.push(`http_requests_total${labels({ method: st.method, route: st.path, status: String(status) })} ${n}`);
      }
    }
    lines.push('# HELP http_request_duration_seconds Time from request start to the end of the response, by route.');
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const st of this.routes.values()) {
      if (st.count === 0) continue;
      const base = { method: st.method, route: st.path };
      let cumulative = 0;
      for (let i = 0; i < BUCKETS_S.length; i++) {
        cumulative += st.buckets[i] as number;
        lines.push(`http_request_duration_seconds_bucket${labels({ ...base, le: num(BUCKETS_S[i] as number) })} ${cumulative}`);
      }
      lines.push(`http_request_duration_seconds_bucket${labels({ ...base, le: '+Inf' })} ${st.count}`);
      lines.push(`http_request_duration_seconds_sum${labels(base)} ${num(st.sumS)}`);
      lines.push(`http_request_duration_seconds_count${labels(base)} ${st.count}`);
    }
    for (const g of extra) {
      lines.push(`# HELP ${g.name} ${g.help}`);
      lines.push(`# TYPE ${g.name} ${g.type}`);
      for (const s of g.samples) lines.push(`${g.name}${labels(s.labels ?? {})} ${num(s.value)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
