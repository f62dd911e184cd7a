import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.ts';
import { PlanSchema } from '../contract/plan.ts';
import { buildPlan, buildStages, k6Stages } from './build.ts';
import { parseDuration, k6Duration } from '../shared/duration.ts';
import { findProfile, LOAD_PROFILE_NAMES, LOAD_PROFILES, profileNames } from '../config/profiles.ts';

const config = resolveConfig({});
const base = { config, phase: null, runId: 'r1', now: '2026-01-01T00:00:00.000Z' } as const;

describe('durations', () => {
  it.each([
    ['2s', 2000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'ten', '5', '2 s', 's2', '2x'])('rejects %j', (text) => expect(parseDuration(text)).toBeNull());
  it('formats k6 durations', () => {
    expect(k6Duration(90)).toBe('90s');
    expect(k6Duration(1.5)).toBe('1500ms');
  });
});

describe('plan', () => {
  it('scales stage durations and resolves offered rates', () => {
    const stages = buildStages(LOAD_PROFILES.load, 100, 0.1);
    expect(stages.map((s) => [s.name, s.startS, s.endS, s.fromRps, s.toRps])).toEqual([
      ['ramp-up', 0, 6, 0, 100],
      ['hold', 6, 24, 100, 100],
      ['ramp-down', 24, 27, 100, 0],
    ]);
  });
  it('never makes a stage shorter than a second', () => {
    expect(buildStages(LOAD_PROFILES.spike, 10, 0.001).every((s) => s.endS - s.startS === 1)).toBe(true);
  });
  it('turns requests/s into k6 iterations per minute using requests per iteration', () => {
    const plan = buildPlan({ ...base, scenario: 'auth', profile: 'load' });
    expect(plan.requestsPerIteration).toBe(5);
    const sc = (plan.k6Options['scenarios'] as Record<string, { stages: Array<{ target: number }>; timeUnit: string }>)['auth'];
    expect(sc?.timeUnit).toBe('1m');
    // 100 requests/s ÷ 5 requests/iteration × 60 = 1200 iterations/minute.
    expect(sc?.stages[1]?.target).toBe(1200);
  });
  it('weights the journey by its flows', () => {
    // (2×5 + 5×3 + 3×1) / 10: the auth flow's login is a step of its own.
    expect(buildPlan({ ...base, scenario: 'journey', profile: 'load' }).requestsPerIteration).toBeCloseTo(2.8);
  });
  it('gives each scenario only its endpoints, and the logins its strategy needs', () => {
    const names = (s: 'auth' | 'user' | 'monitoring') => buildPlan({ ...base, scenario: s, profile: 'smoke' }).endpoints.map((e) => e.name);
    expect(names('auth')).toEqual(['auth.login', 'auth.2fa_status', 'auth.request_email_verify', 'auth.refresh', 'auth.logout']);
    expect(names('user')).toEqual(['auth.login', 'auth.refresh', 'user.me', 'user.profile_get', 'user.profile_update']);
    expect(names('monitoring')).toContain('probes.live');
    expect(names('monitoring')).not.toContain('auth.login');
  });
  it('produces a valid plan with no secret in it', () => {
    const plan = PlanSchema.parse(buildPlan({ ...base, scenario: 'journey', profile: 'stress', phase: 'phase2' }));
    expect(plan.users.passwordEnv).toBe('LOADGATE_PASSWORD');
    expect(JSON.stringify(plan)).not.toMatch(/password"\s*:\s*"[^{]/);
    expect(plan.k6Options['tags']).toEqual({ testid: 'r1', phase: 'phase2' });
  });
  it("tags a run without a phase phase=none, as the harness's own InfluxDB points do", () => {
    const plan = buildPlan({ ...base, scenario: 'journey', profile: 'smoke', phase: null });
    expect(plan.k6Options['tags']).toEqual({ testid: 'r1', phase: 'none' });
  });
  it('derives enough VUs for every request to time out at the peak rate, unless capped', () => {
    const plan = buildPlan({ ...base, scenario: 'auth', profile: 'load' });
    const sc = (plan.k6Options['scenarios'] as Record<string, { maxVUs: number }>)['auth'];
    // 20 iterations/s × 5 requests × 2 s × 1.1 + 5
    expect(sc?.maxVUs).toBe(225);
    const capped = buildPlan({ ...base, config: resolveConfig({ flags: { maxVus: 3 } }), scenario: 'auth', profile: 'load' });
    expect((capped.k6Options['scenarios'] as Record<string, { maxVUs: number }>)['auth']?.maxVUs).toBe(3);
  });
  it('gives every endpoint a body check', () => {
    const plan = PlanSchema.parse(buildPlan({ ...base, scenario: 'journey', profile: 'smoke' }));
    const checks = Object.fromEntries(plan.endpoints.map((e) => [e.name, e.expectBody]));
    expect(plan.endpoints.every((e) => e.expectBody !== null)).toBe(true);
    expect(checks['auth.logout']).toEqual({ empty: true });
    expect(checks['monitoring.metrics']).toEqual({ contains: 'http_requests_total' });
    expect(checks['monitoring.performance']).toEqual({ json: ['routes'] });
    expect(checks['auth.request_email_verify']).toEqual({ json: ['status', 'email'] });
    expect(checks['probes.ready']).toEqual({ json: ['status'] });
  });
});

describe("a config file's own load profile", () => {
  const quick = {
    description: 'Two steps for CI.',
    stages: [
      { name: 'warm', durationS: 10, from: 0, to: 0.5 },
      { name: 'peak', durationS: 20, from: 2, to: 2 },
    ],
    abortOnFail: true,
  };
  const withQuick = resolveConfig({ file: { path: 'f.json', data: { profiles: { quick } } } });

  it("drives the plan's stages, k6's scenario stages and abortOnFail thresholds", () => {
    const plan = PlanSchema.parse(
      buildPlan({
        ...base,
        config: withQuick,
        scenario: 'monitoring',
        profile: 'quick',
        thresholds: { name: 'phase1', set: { defaults: { p95Ms: 1000, errorRate: 0.1 } } },
      }),
    );
    expect(plan.profile).toBe('quick');
    expect(plan.stages.map((s) => [s.name, s.startS, s.endS, s.fromRps, s.toRps])).toEqual([
      ['warm', 0, 10, 0, 50],
      ['peak', 10, 30, 200, 200],
    ]);
    const sc = (plan.k6Options['scenarios'] as Record<string, { startRate: number; stages: Array<{ target: number; duration: string }> }>)[
      'monitoring'
    ];
    // 1 request per monitoring iteration: 200 requests/s = 12000 iterations/minute.
    expect(sc?.startRate).toBe(0);
    // The peak stage starts at 2 × the rate, not where warm ended: a step, a zero-length k6 stage.
    expect(sc?.stages).toEqual([
      { target: 3000, duration: '10s' },
      { target: 12000, duration: '0s' },
      { target: 12000, duration: '20s' },
    ]);
    const thresholds = Object.values(plan.k6Options['thresholds'] as Record<string, Array<{ abortOnFail?: boolean }>>).flat();
    expect(thresholds.length).toBeGreaterThan(0);
    expect(thresholds.every((t) => t.abortOnFail === true)).toBe(true);
  });
  it('leaves the built-in profiles as they are', () => {
    const plan = buildPlan({ ...base, config: withQuick, scenario: 'monitoring', profile: 'smoke' });
    expect(plan.stages.map((s) => s.name)).toEqual(['smoke']);
  });
  it('is listed with the built-in ones, and an unknown name lists them all', () => {
    expect(profileNames(withQuick)).toEqual([...LOAD_PROFILE_NAMES, 'quick']);
    expect(findProfile(withQuick, 'quick')).toEqual(quick);
    expect(findProfile(withQuick, 'toString')).toBeUndefined();
    expect(() => buildPlan({ ...base, config: withQuick, scenario: 'auth', profile: 'heavy' })).toThrow(
      'unknown profile "heavy"; valid profiles: smoke, load, stress, spike, soak, breakpoint, quick',
    );
  });
});

describe('step profiles', () => {
  const perMinute = (rps: number) => rps * 60;
  it('jump at a step instead of ramping into it', () => {
    const stages = [
      { name: 'low', startS: 0, endS: 30, fromRps: 10, toRps: 10 },
      { name: 'high', startS: 30, endS: 60, fromRps: 30, toRps: 30 },
      { name: 'down', startS: 60, endS: 70, fromRps: 30, toRps: 0 },
    ];
    expect(k6Stages(stages, perMinute)).toEqual([
      { target: 600, duration: '30s' },
      { target: 1800, duration: '0s' },
      { target: 1800, duration: '30s' },
      { target: 0, duration: '10s' },
    ]);
  });
  it('add no stage where a ramp continues from the previous end', () => {
    const stages = [
      { name: 'up', startS: 0, endS: 10, fromRps: 0, toRps: 10 },
      { name: 'hold', startS: 10, endS: 20, fromRps: 10, toRps: 10 },
    ];
    expect(k6Stages(stages, perMinute)).toHaveLength(2);
  });
});
