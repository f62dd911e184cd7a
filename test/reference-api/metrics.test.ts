/** /api/monitoring/metrics parses as Prometheus text exposition and counts the requests just made. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { call, FAST, login } from './helpers.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the text format (0.0.4): every line is a HELP, a TYPE or a sample; every
 * sample belongs to a family whose TYPE came first; histogram buckets are cumulative and end
 * with +Inf equal to _count. Throws on the first violation, naming the line.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (-?(?:[0-9.e+-]+|\\+Inf|-Inf|NaN))$`);
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
  expect(text.endsWith('\n')).toBe(true);
  text
    .split('\n')
    .slice(0, -1)
    .forEach((line, i) => {
      const where = `line ${i + 1}: ${line}`;
      if (line.startsWith('# HELP ')) return;
      const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type) {
        if (types.has(type[1] as string)) throw new Error(`duplicate TYPE, ${where}`);
        types.set(type[1] as string, type[2] as string);
        return;
      }
      const m = sampleRe.exec(line);
      if (!m) throw new Error(`not a sample, ${where}`);
      const name = m[1] as string;
      const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
      if (!types.has(family)) throw new Error(`sample before its TYPE, ${where}`);
      const labels: Record<string, string> = {};
      const raw = m[2] ?? '';
      labelRe.lastIndex = 0;
      while (labelRe.lastIndex < raw.length) {
        const l = labelRe.exec(raw);
        if (!l) throw new Error(`bad labels, ${where}`);
        labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
      const v = m[3] === '+Inf' ? Infinity : Number(m[3]);
      if (Number.isNaN(v) && m[3] !== 'NaN') throw new Error(`bad value, ${where}`);
      samples.push({ name, labels, value: v });
    });
  return { types, samples };
}

let t: RunningTarget;
beforeAll(async () => {
  t = await startTarget({ profile: 'phase2', port: 0, overrides: FAST });
});
afterAll(async () => {
  await t?.close();
});

describe('metrics', () => {
  it('exposes request counters and latency histograms that count the traffic just made', async () => {
    for (let i = 0; i < 7; i++) expect((await call(t.url, 'GET', '/health')).status).toBe(200);
    const { tokens } = await login(t.url, 'user9@example.test');
    for (let i = 0; i < 3; i++) await call(t.url, 'GET', '/api/me', { token: tokens.accessToken });
    await call(t.url, 'GET', '/api/me');
    await call(t.url, 'GET', '/nope');

    const res = await call(t.url, 'GET', '/api/monitoring/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parseExposition(res.text);
    expect(types.get('http_requests_total')).toBe('counter');
    expect(types.get('http_request_duration_seconds')).toBe('histogram');

    const count = (route: string, status: string) =>
      samples.find((s) => s.name === 'http_requests_total' && s.labels['route'] === route && s.labels['status'] === status)?.value;
    expect(count('/health', '200')).toBe(7);
    expect(count('/api/me', '200')).toBe(3);
    expect(count('/api/me', '401')).toBe(1);
    expect(count('/api/auth/login', '200')).toBe(1);
    expect(count('unmatched', '404')).toBe(1);

    // Every histogram: cumulative buckets, +Inf equal to _count.
    const byRoute = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === 'http_request_duration_seconds_bucket')) {
      const key = `${s.labels['method']} ${s.labels['route']}`;
      byRoute.set(key, [...(byRoute.get(key) ?? []), s]);
    }
    expect(byRoute.size).toBeGreaterThanOrEqual(4);
    for (const [key, buckets] of byRoute) {
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const last = buckets[buckets.length - 1]!;
      expect(last.labels['le']).toBe('+Inf');
      const [method, route] = key.split(' ');
      const c = samples.find(
        (s) => s.name === 'http_request_duration_seconds_count' && s.labels['method'] === method && s.labels['route'] === route,
      );
      expect(c?.value).toBe(last.value);
    }
    const health = samples.find((s) => s.name === 'http_request_duration_seconds_count' && s.labels['route'] === '/health');
    expect(health?.value).toBe(7);
  });

  it('reports recent p50/p95 per route as JSON', async () => {
    const res = await call(t.url, 'GET', '/api/monitoring/performance');
    expect(res.status).toBe(200);
    const body = res.body as { routes: Array<{ route: string; count: number; p50Ms: number; p95Ms: number }> };
    const health = body.routes.find((r) => r.route === 'GET /health');
    expect(health?.count).toBeGreaterThanOrEqual(7);
    expect(health!.p95Ms).toBeGreaterThanOrEqual(health!.p50Ms);
  });

  it('answers health with status, checks and uptime', async () => {
    const res = await call(t.url, 'GET', '/api/monitoring/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' } } });
    expect(typeof (res.body as { uptime: number }).uptime).toBe('number');
  });
});
