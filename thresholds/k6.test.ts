import { describe, expect, it } from 'vitest';
import { resolveTarget, throughputTarget, toK6Thresholds, type EndpointRef } from './k6.ts';
import { BUILTIN_THRESHOLDS, BUILTIN_SET_NAMES, findSet } from './sets.ts';
import { parseThresholdSets, ThresholdSetSchema, type ThresholdSet } from '../lib/contract/thresholds.ts';

const login: EndpointRef = { name: 'auth.login', group: 'auth', probe: false };
const me: EndpointRef = { name: 'user.me', group: 'user', probe: false };
const health: EndpointRef = { name: 'probes.health', group: 'probes', probe: true };
const sets = BUILTIN_THRESHOLDS.sets;

describe('built-in sets', () => {
  it('are valid against the schema', () => {
    for (const name of BUILTIN_SET_NAMES) expect(() => ThresholdSetSchema.parse(sets[name]), name).not.toThrow();
  });

  it.each([
    // set, endpoint, p95Ms, errorRate, maxTimeoutRate, minRps
    ['phase1', login, 1000, 0.1, null, null],
    ['phase1', health, 100, 0.1, null, null],
    ['phase2', login, 500, 0.05, 0.01, 50],
    ['phase2', health, 100, 0.05, 0.01, 50],
    ['phase3', login, 200, 0.01, 0, 100],
    ['phase3', health, 100, 0.01, 0, 100],
    ['production', me, 500, 0.05, 0, 100],
    ['production', health, 100, 0.05, 0, 100],
    ['baseline', login, null, null, null, null],
  ] as const)('%s × %s', (name, endpoint, p95Ms, errorRate, maxTimeoutRate, minRps) => {
    const set = findSet(name)!;
    expect(resolveTarget(set, endpoint)).toEqual({ p95Ms, errorRate, maxTimeoutRate });
    expect(throughputTarget(set)).toBe(minRps);
  });
});

describe('resolveTarget precedence: defaults < group < probes < endpoint', () => {
  const set: ThresholdSet = {
    defaults: { p95Ms: 500, errorRate: 0.05, maxTimeoutRate: 0 },
    groups: { auth: { p95Ms: 800 }, probes: { p95Ms: 150, errorRate: 0.2 } },
    probes: { p95Ms: 100 },
    endpoints: { 'auth.login': { p95Ms: 1200, maxTimeoutRate: null }, 'probes.live': { p95Ms: 50 } },
  };
  it.each([
    [me, { p95Ms: 500, errorRate: 0.05, maxTimeoutRate: 0 }],
    [
      { name: 'auth.logout', group: 'auth', probe: false },
      { p95Ms: 800, errorRate: 0.05, maxTimeoutRate: 0 },
    ],
    [login, { p95Ms: 1200, errorRate: 0.05, maxTimeoutRate: null }],
    [health, { p95Ms: 100, errorRate: 0.2, maxTimeoutRate: 0 }],
    [
      { name: 'probes.live', group: 'probes', probe: true },
      { p95Ms: 50, errorRate: 0.2, maxTimeoutRate: 0 },
    ],
    // a probe outside the probes group still gets the probe target
    [
      { name: 'custom.ping', group: 'misc', probe: true },
      { p95Ms: 100, errorRate: 0.05, maxTimeoutRate: 0 },
    ],
    [
      { name: 'x', group: null, probe: false },
      { p95Ms: 500, errorRate: 0.05, maxTimeoutRate: 0 },
    ],
    // inherited object keys are not overrides
    [
      { name: 'constructor', group: 'toString', probe: false },
      { p95Ms: 500, errorRate: 0.05, maxTimeoutRate: 0 },
    ],
  ])('%o', (endpoint, expected) => {
    expect(resolveTarget(set, endpoint)).toEqual(expected);
  });
});

describe('toK6Thresholds', () => {
  const cases: Array<[string, ThresholdSet, EndpointRef[], Parameters<typeof toK6Thresholds>[2], Record<string, unknown>]> = [
    [
      'production, plain expressions per endpoint tag, probes at 100 ms',
      sets.production,
      [login, health],
      { abortOnFail: false },
      {
        'http_req_duration{name:auth.login}': ['p(95)<500'],
        'http_req_failed{name:auth.login}': ['rate<0.05'],
        'http_reqs{name:auth.login,error_code:1050}': ['count<1'],
        'http_reqs{name:auth.login,error_code:1211}': ['count<1'],
        'http_req_duration{name:probes.health}': ['p(95)<100'],
        'http_req_failed{name:probes.health}': ['rate<0.05'],
        'http_reqs{name:probes.health,error_code:1050}': ['count<1'],
        'http_reqs{name:probes.health,error_code:1211}': ['count<1'],
      },
    ],
    [
      'breakpoint: abortOnFail objects with a default delay',
      sets.phase1,
      [login],
      { abortOnFail: true },
      {
        'http_req_duration{name:auth.login}': [{ threshold: 'p(95)<1000', abortOnFail: true, delayAbortEval: '10s' }],
        'http_req_failed{name:auth.login}': [{ threshold: 'rate<0.1', abortOnFail: true, delayAbortEval: '10s' }],
      },
    ],
    [
      'explicit delayAbortEval',
      sets.phase3,
      [me],
      { abortOnFail: true, delayAbortEval: '30s' },
      {
        'http_req_duration{name:user.me}': [{ threshold: 'p(95)<200', abortOnFail: true, delayAbortEval: '30s' }],
        'http_req_failed{name:user.me}': [{ threshold: 'rate<0.01', abortOnFail: true, delayAbortEval: '30s' }],
        'http_reqs{name:user.me,error_code:1050}': [{ threshold: 'count<1', abortOnFail: true, delayAbortEval: '30s' }],
        'http_reqs{name:user.me,error_code:1211}': [{ threshold: 'count<1', abortOnFail: true, delayAbortEval: '30s' }],
      },
    ],
    [
      'no timeouts: a count on the request counter, with or without a timeout metric',
      sets.phase3,
      [me],
      { abortOnFail: false, timeoutRateMetric: 'loadgate_timeouts' },
      {
        'http_req_duration{name:user.me}': ['p(95)<200'],
        'http_req_failed{name:user.me}': ['rate<0.01'],
        'http_reqs{name:user.me,error_code:1050}': ['count<1'],
        'http_reqs{name:user.me,error_code:1211}': ['count<1'],
      },
    ],
    [
      'a timeout share above 0 only with a timeout metric',
      sets.phase2,
      [me],
      { abortOnFail: false, timeoutRateMetric: 'loadgate_timeouts' },
      {
        'http_req_duration{name:user.me}': ['p(95)<500'],
        'http_req_failed{name:user.me}': ['rate<0.05'],
        'loadgate_timeouts{name:user.me}': ['rate<=0.01'],
      },
    ],
    [
      'a timeout share above 0 without a timeout metric: no k6 threshold',
      sets.phase2,
      [me],
      { abortOnFail: false },
      {
        'http_req_duration{name:user.me}': ['p(95)<500'],
        'http_req_failed{name:user.me}': ['rate<0.05'],
      },
    ],
    ['baseline: nothing to enforce', sets.baseline, [login, me, health], { abortOnFail: false }, {}],
    [
      'a removed target emits nothing; float noise is trimmed',
      { defaults: { p95Ms: 0.1 + 0.2, errorRate: null } },
      [me],
      { abortOnFail: false },
      { 'http_req_duration{name:user.me}': ['p(95)<0.3'] },
    ],
  ];
  it.each(cases)('%s', (_title, set, endpoints, opts, expected) => {
    expect(toK6Thresholds(set, endpoints, opts)).toEqual(expected);
  });

  it('never emits an http_reqs throughput threshold (k6 divides by the whole duration)', () => {
    const out = toK6Thresholds(sets.production, [login, me, health], { abortOnFail: false });
    const reqs = Object.entries(out).filter(([k]) => k.startsWith('http_reqs'));
    expect(reqs.length).toBe(6);
    for (const [k, v] of reqs) {
      expect(k).toMatch(/^http_reqs\{name:[^,}]+,error_code:(1050|1211)\}$/);
      expect(v).toEqual(['count<1']);
    }
  });
});

describe('parseThresholdSets', () => {
  it('accepts a user-defined set', () => {
    const parsed = parseThresholdSets(
      { strict: { defaults: { p95Ms: 300, errorRate: 0.02, minRps: 20 }, endpoints: { 'auth.login': { p95Ms: 800 } } } },
      'thresholdSets',
    );
    expect(parsed['strict']?.endpoints?.['auth.login']?.p95Ms).toBe(800);
  });

  it.each([
    [{ s: { defaults: { p95: 300 } } }, 'thresholdSets.s.defaults: unknown key "p95"'],
    [{ s: { defaults: { p95Ms: 'fast' } } }, 'thresholdSets.s.defaults.p95Ms must be a latency in milliseconds such as 500, got "fast"'],
    [{ s: { defaults: { errorRate: 5 } } }, 'thresholdSets.s.defaults.errorRate must be a rate between 0 and 1'],
    [{ s: { defaults: {}, groups: { auth: { minRps: 10 } } } }, 'thresholdSets.s.groups.auth: unknown key "minRps"'],
    [{ S: { defaults: {} } }, 'threshold set names must be lower-case'],
  ])('rejects %j naming the path', (raw, message) => {
    expect(() => parseThresholdSets(raw, 'thresholdSets')).toThrow(message);
  });
});
