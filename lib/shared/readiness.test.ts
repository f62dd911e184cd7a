import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readConfigFile, resolveConfig } from '../config/load.ts';
import { ROOT } from '../root.ts';
import { ConfigError } from '../contract/errors.ts';
import { PlanSchema } from '../contract/plan.ts';
import { buildPlan } from '../plan/build.ts';
import { checkExposition } from './prometheus.ts';
import { READINESS_CATEGORIES } from '../contract/readiness.ts';
import {
  READINESS_CHECKS,
  READINESS_LIVE_METRICS,
  READINESS_SCENARIO,
  compressionResult,
  corsAllowedResult,
  corsRefusedResult,
  securityHeaderResults,
  type ReadinessAnswer,
} from './readiness.ts';

const answer = (headers: Record<string, string>, status = 200, bodyLength = 10): ReadinessAnswer => ({ status, headers, bodyLength });
const SECURE = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
};

describe('the readiness checks, one answer at a time', () => {
  it('every check has a category of the score and a rule', () => {
    for (const [id, c] of Object.entries(READINESS_CHECKS)) {
      expect(READINESS_CATEGORIES, id).toContain(c.category);
      expect(c.rule.length, id).toBeGreaterThan(20);
      expect(c.minShare, id).toBeGreaterThan(0.5);
    }
  });

  it('security headers: each rule on its own, whatever the case of the names; no answer, no judgement', () => {
    expect(securityHeaderResults(answer(SECURE), { hsts: true })).toEqual([
      ['security.content-type-options', true],
      ['security.frame-options', true],
      ['security.referrer-policy', true],
      ['security.hsts', true],
    ]);
    const lower = Object.fromEntries(Object.entries(SECURE).map(([k, v]) => [k.toLowerCase(), v]));
    expect(securityHeaderResults(answer(lower), { hsts: false }).every(([, ok]) => ok)).toBe(true);
    expect(securityHeaderResults(answer({}), { hsts: true }).map(([, ok]) => ok)).toEqual([false, false, false, false]);
    // CSP frame-ancestors stands in for X-Frame-Options; ALLOW-FROM does not.
    const csp = answer({ 'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'" });
    expect(Object.fromEntries(securityHeaderResults(csp, { hsts: false }))['security.frame-options']).toBe(true);
    expect(
      Object.fromEntries(securityHeaderResults(answer({ 'X-Frame-Options': 'ALLOW-FROM x' }), { hsts: false }))['security.frame-options'],
    ).toBe(false);
    expect(
      Object.fromEntries(securityHeaderResults(answer({ 'Referrer-Policy': 'unsafe-url' }), { hsts: false }))['security.referrer-policy'],
    ).toBe(false);
    // HSTS shorter than 180 days fails.
    expect(
      Object.fromEntries(securityHeaderResults(answer({ 'Strict-Transport-Security': 'max-age=86400' }), { hsts: true }))['security.hsts'],
    ).toBe(false);
    expect(securityHeaderResults(answer(SECURE, 0), { hsts: true })).toEqual([]);
  });

  it('CORS: the configured origin allowed with its headers, another refused; a wildcard admits both', () => {
    const origin = 'https://app.example.test';
    const echo = answer({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Headers': 'Authorization, Content-Type' }, 204);
    expect(corsAllowedResult(echo, origin, ['authorization', 'content-type'])).toBe(true);
    expect(corsAllowedResult(echo, origin, ['x-other'])).toBe(false);
    expect(corsAllowedResult(answer({}, 405), origin, [])).toBe(false);
    expect(corsRefusedResult(answer({}, 204), 'https://evil.test')).toBe(true);
    expect(corsRefusedResult(echo, 'https://evil.test')).toBe(true);
    expect(corsRefusedResult(answer({ 'Access-Control-Allow-Origin': '*' }, 204), 'https://evil.test')).toBe(false);
    expect(corsAllowedResult(answer({}, 0), origin, [])).toBeNull();
  });

  it('compression: only answers of at least minBytes are judged', () => {
    expect(compressionResult(answer({ 'Content-Encoding': 'gzip' }, 200, 5000), 1024)).toBe(true);
    expect(compressionResult(answer({ 'content-encoding': 'br' }, 200, 5000), 1024)).toBe(true);
    expect(compressionResult(answer({}, 200, 5000), 1024)).toBe(false);
    expect(compressionResult(answer({}, 200, 500), 1024)).toBeNull();
  });
});

describe('Prometheus text exposition', () => {
  it('accepts comments, HELP and TYPE lines, labels with escapes, special floats and timestamps', () => {
    const body = [
      '# HELP http_requests_total Requests served.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="GET",route="/a \\"b\\"",status="200"} 1027 1395066363000',
      'http_request_duration_seconds_bucket{le="+Inf"} 3',
      'process_uptime_seconds 12.5',
      'weird_gauge NaN',
      'neg -Inf',
      '# EOF',
    ].join('\n');
    expect(checkExposition(body)).toEqual({ valid: true, samples: 5, error: null });
  });
  it.each([
    ['', 'no sample'],
    ['{"status":"ok"}', 'invalid metric name'],
    ['ok 1\n2bad 3', 'line 2'],
    ['m{a=1} 2', 'not quoted'],
    ['m{a="x} 2', 'not closed'],
    ['m 1 2 3', 'more than a value'],
    ['m one', 'is not a number'],
    ['# TYPE m thing\nm 1', 'unknown type'],
  ])('refuses %j (%s)', (body, why) => {
    const r = checkExposition(body);
    expect(r.valid).toBe(false);
    expect(r.error).toContain(why);
  });
});

describe('readiness in the config and the plan', () => {
  const base = { phase: null, runId: 'r', now: '2026-01-01T00:00:00.000Z' } as const;

  const on = (readiness: Record<string, unknown> = {}) =>
    resolveConfig({ file: { path: 'c.yaml', data: { readiness: { enabled: true, ...readiness } } } });

  it('is on by default (every run answers how far from production); `enabled: false` sends the load only', () => {
    const plan = buildPlan({ ...base, config: resolveConfig({}), scenario: 'auth', profile: 'load' });
    expect(plan.readiness?.scenario).toBe(READINESS_SCENARIO);
    expect(plan.readiness?.skipped).toBeUndefined();
    expect(Object.keys(plan.k6Options['scenarios'] as object)).toEqual(['auth', READINESS_SCENARIO]);
    const off = buildPlan({
      ...base,
      config: resolveConfig({ file: { path: 'c.yaml', data: { readiness: { enabled: false } } } }),
      scenario: 'auth',
      profile: 'load',
    });
    expect(off.readiness).toBeUndefined();
    expect(Object.keys(off.k6Options['scenarios'] as object)).toEqual(['auth']);
    // The readiness submetrics the live progress subtracts: rule-less k6 thresholds, only beside the checks.
    expect(plan.k6Options['thresholds']).toMatchObject(Object.fromEntries(Object.values(READINESS_LIVE_METRICS).map((m) => [m, []])));
    expect(Object.keys(off.k6Options['thresholds'] as object).filter((k) => k.includes(READINESS_SCENARIO))).toEqual([]);
    // The env and flag layers leave it alone: only the config file switches it.
    expect(resolveConfig({ env: { LOADGATE_RPS: '5' }, flags: { target: 'http://127.0.0.1:1' } }).readiness?.enabled).toBe(true);
  });

  it('switched on against the reference API: a second k6 scenario with its own exec, and what each check asks', () => {
    const plan = PlanSchema.parse(buildPlan({ ...base, config: on(), scenario: 'auth', profile: 'load' }));
    const r = plan.readiness;
    expect(r?.scenario).toBe(READINESS_SCENARIO);
    expect(r?.probes?.endpoints).toEqual(['probes.health', 'probes.ready', 'probes.live']);
    expect(r?.monitoring?.endpoints).toEqual(['monitoring.health', 'monitoring.metrics', 'monitoring.performance']);
    expect(r?.monitoring?.prometheus).toEqual(['monitoring.metrics']);
    // Sampled for headers: the API's GET endpoints, sent without credentials; no POST, no probe.
    expect(r?.securityHeaders?.endpoints).toEqual(['auth.2fa_status', 'user.me', 'user.profile_get']);
    expect(r?.cors).toMatchObject({ endpoint: 'auth.2fa_status', method: 'GET', allowedOrigin: 'https://app.example.test' });
    expect(r?.securityHeaders?.hsts).toBe(false);
    // The readiness targets are not the scenario's endpoints: no endpoint row or verdict row for them.
    expect(plan.endpoints.map((e) => e.name)).not.toContain('probes.health');
    const scenarios = plan.k6Options['scenarios'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(scenarios)).toEqual(['auth', READINESS_SCENARIO]);
    expect(scenarios[READINESS_SCENARIO]).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 60,
      timeUnit: '1m',
      duration: '270s',
      exec: 'readiness',
    });
    expect(scenarios['auth']?.['exec']).toBeUndefined();
  });

  it('can be switched on check by check, and names its settings by path when they are wrong', () => {
    const some = buildPlan({
      ...base,
      config: on({ cors: { enabled: false }, probes: { enabled: false }, rate: 0.5 }),
      scenario: 'auth',
      profile: 'load',
    });
    expect(some.readiness?.cors).toBeNull();
    expect(some.readiness?.probes).toBeNull();
    expect((some.k6Options['scenarios'] as Record<string, { rate: number }>)[READINESS_SCENARIO]?.rate).toBe(30);
    const wrong = () =>
      resolveConfig({
        file: { path: 'c.yaml', data: { readiness: { probes: { endpoints: ['probes.nope'] }, cors: { allowedOrigin: 'app' } } } },
      });
    expect(wrong).toThrow(ConfigError);
    expect(wrong).toThrow(/readiness\.probes\.endpoints\.0 names no endpoint "probes\.nope"/);
    expect(wrong).toThrow(/readiness\.cors\.allowedOrigin must be an origin/);
    expect(() => resolveConfig({ file: { path: 'c.yaml', data: { readiness: { rate: 100 } } } })).toThrow(
      /readiness\.rate must be at most 20/,
    );
    expect(() => resolveConfig({ file: { path: 'c.yaml', data: { readiness: { colour: 'red' } } } })).toThrow(
      /readiness: unknown key "colour"/,
    );
  });

  it('another API (extends: none): what it has is asked, what it lacks is skipped with the reason; HSTS is asked of an https target', () => {
    const data = {
      extends: 'none',
      target: { baseUrl: 'https://api.example.test' },
      endpoints: { 'things.list': { path: '/things' }, 'ops.health': { path: '/healthz', probe: true } },
    };
    const plan = PlanSchema.parse(
      buildPlan({ ...base, config: resolveConfig({ file: { path: 'c.yaml', data } }), scenario: 'things', profile: 'smoke' }),
    );
    const r = plan.readiness;
    expect(r?.probes?.endpoints).toEqual(['ops.health']);
    expect(r?.monitoring).toBeNull();
    expect(r?.securityHeaders).toEqual({ endpoints: ['things.list'], hsts: true });
    expect(r?.compression).toEqual({ minBytes: 1024 });
    // The reference API's origin and Prometheus endpoint are not this API's: no CORS until it names its origin.
    expect(r?.cors).toBeNull();
    expect(r?.skipped).toEqual({
      'monitoring.answering': expect.stringMatching(/^no monitoring endpoint configured \(.*readiness\.monitoring\.endpoints\)$/),
      'monitoring.prometheus': 'no Prometheus endpoint configured (readiness.monitoring.prometheus)',
      'cors.allowed': 'no allowed origin configured (readiness.cors.allowedOrigin)',
      'cors.refused': 'no allowed origin configured (readiness.cors.allowedOrigin)',
    });
    expect(Object.keys(plan.k6Options['scenarios'] as object)).toEqual(['things', READINESS_SCENARIO]);
    const own = buildPlan({
      ...base,
      config: resolveConfig({
        file: {
          path: 'c.yaml',
          data: {
            ...data,
            endpoints: { ...data.endpoints, 'ops.metrics': { path: '/metrics' } },
            readiness: { cors: { allowedOrigin: 'https://web.example.test' }, monitoring: { prometheus: ['ops.metrics'] } },
          },
        },
      }),
      scenario: 'things',
      profile: 'smoke',
    });
    expect(own.readiness?.cors).toMatchObject({ endpoint: 'things.list', allowedOrigin: 'https://web.example.test' });
    expect(own.readiness?.monitoring).toEqual({ endpoints: ['ops.metrics'], prometheus: ['ops.metrics'] });
    expect(own.readiness?.securityHeaders?.endpoints).toEqual(['things.list']);
    expect(own.readiness?.skipped).toBeUndefined();
  });

  it('an API with nothing the checks can ask: every check skipped with its reason, and no readiness scenario in k6', () => {
    const data = {
      extends: 'none',
      endpoints: { 'things.create': { method: 'POST', path: '/things', body: { a: 1 } }, 'things.get': { path: '/things/{{id}}' } },
      flows: { make: { steps: ['things.create'] } },
    };
    const plan = PlanSchema.parse(
      buildPlan({ ...base, config: resolveConfig({ file: { path: 'c.yaml', data } }), scenario: 'make', profile: 'smoke' }),
    );
    const r = plan.readiness;
    expect(r?.targets).toEqual([]);
    expect([r?.probes, r?.monitoring, r?.securityHeaders, r?.cors, r?.compression]).toEqual([null, null, null, null, null]);
    expect(Object.keys(r?.skipped ?? {}).sort()).toEqual([...Object.keys(READINESS_CHECKS)].sort());
    expect(r?.skipped?.['probes.latency']).toMatch(/^no probe endpoint configured/);
    expect(r?.skipped?.['security.content-type-options']).toMatch(/^no endpoint to sample for security headers/);
    expect(r?.skipped?.['compression']).toMatch(/^no readiness request with an answer to judge/);
    expect(Object.keys(plan.k6Options['scenarios'] as object)).toEqual(['make']);
  });

  it.each([
    ['examples/miniflux.yaml', 'health.check', ['feeds.list', 'entries.missing', 'account.me', 'account.anonymous']],
    ['examples/pocketbase.yaml', 'probes.health', ['notes.list']],
  ])('%s: its probe and GET endpoints are asked, monitoring, Prometheus and CORS skipped with reasons', async (path, probe, headers) => {
    const file = await readConfigFile(join(ROOT, path));
    const config = resolveConfig({ file });
    const plan = PlanSchema.parse(buildPlan({ ...base, config, scenario: config.scenario ?? '', profile: 'smoke' }));
    const r = plan.readiness;
    expect(r?.probes?.endpoints).toEqual([probe]);
    expect(r?.securityHeaders?.endpoints).toEqual(headers);
    expect(r?.securityHeaders?.hsts).toBe(false);
    expect(Object.keys(r?.skipped ?? {}).sort()).toEqual(['cors.allowed', 'cors.refused', 'monitoring.answering', 'monitoring.prometheus']);
    // The readiness targets never carry credentials, and none is an endpoint row of the load.
    expect(r?.targets.map((t) => t.name)).toEqual([probe, ...headers]);
    expect(Object.keys(plan.k6Options['scenarios'] as object)).toContain(READINESS_SCENARIO);
  });
});
