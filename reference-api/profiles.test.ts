import { describe, expect, it } from 'vitest';
import { loadProfile, parseProfile, profileNames, resolveProfile, ProfileError } from './profiles.ts';
import { createRng, sampleLatency } from './rng.ts';

describe('profiles', () => {
  it('has the four remediation profiles, each valid', () => {
    expect(profileNames).toEqual(['baseline', 'phase1', 'phase2', 'phase3']);
    for (const name of profileNames) expect(loadProfile(name).name).toBe(name);
  });

  it('widens the bottleneck phase by phase', () => {
    const capacity = (n: (typeof profileNames)[number]) => {
      const p = loadProfile(n);
      return p.pool.size / p.pool.queryMs;
    };
    expect(capacity('phase1')).toBeGreaterThan(capacity('baseline'));
    expect(capacity('phase2')).toBeGreaterThan(capacity('phase1'));
    expect(capacity('phase3')).toBeGreaterThan(capacity('phase2'));
    expect(loadProfile('baseline').hashing.mode).toBe('sync');
    expect(loadProfile('phase3').hashing.mode).toBe('async');
  });

  it('rejects an unknown profile, listing the valid ones', () => {
    expect(() => loadProfile('phase9')).toThrow(/unknown profile "phase9"; valid profiles: baseline, phase1, phase2, phase3/);
  });

  it('rejects unknown keys, naming their path', () => {
    const p = { ...loadProfile('phase3'), pool: { ...loadProfile('phase3').pool, sise: 3 } };
    expect(() => parseProfile(p)).toThrow(ProfileError);
    expect(() => parseProfile(p)).toThrow(/profile\.pool: unknown key\(s\) "sise"/);
  });

  it('names the path of a bad value', () => {
    expect(() => resolveProfile('phase1', { pool: { size: 0 } })).toThrow(/profile\.pool\.size/);
    expect(() => resolveProfile('phase1', { faults: { errorRate: { 'GET /api/me': 2 } } })).toThrow(
      /profile\.faults\.errorRate\.GET \/api\/me/,
    );
    // A route that does not exist is an error, not a silently ignored fault.
    expect(() => resolveProfile('phase1', { faults: { routes: { 'GET /api/mee': { fixedMs: 1 } } } as never })).toThrow(
      /profile\.faults\.routes/,
    );
  });

  it('merges overrides over a named profile and keeps the rest', () => {
    const p = resolveProfile(
      'phase3',
      { pool: { size: 3 }, faults: { routes: { 'GET /api/monitoring/performance': { fixedMs: 3000 } } } },
      42,
    );
    expect(p.pool.size).toBe(3);
    expect(p.pool.queryMs).toBe(loadProfile('phase3').pool.queryMs);
    expect(p.faults.seed).toBe(42);
    expect(p.faults.routes?.['GET /api/monitoring/performance']).toEqual({ fixedMs: 3000 });
  });
});

describe('latency distributions', () => {
  it('are deterministic for a seed and stay in range', () => {
    const a = createRng(7);
    const b = createRng(7);
    const draws = Array.from({ length: 100 }, () => sampleLatency({ dist: 'uniform', minMs: 10, maxMs: 20 }, a));
    expect(draws).toEqual(Array.from({ length: 100 }, () => sampleLatency({ dist: 'uniform', minMs: 10, maxMs: 20 }, b)));
    for (const d of draws) expect(d >= 10 && d <= 20).toBe(true);
    const rng = createRng(1);
    const exp = Array.from({ length: 5000 }, () => sampleLatency({ dist: 'exponential', meanMs: 50 }, rng));
    const mean = exp.reduce((s, v) => s + v, 0) / exp.length;
    expect(mean).toBeGreaterThan(45);
    expect(mean).toBeLessThan(55);
    expect(sampleLatency({ dist: 'exponential', meanMs: 50, maxMs: 60 }, rng)).toBeLessThanOrEqual(60);
    expect(sampleLatency({ dist: 'fixed', ms: 3000 }, rng)).toBe(3000);
  });
});
