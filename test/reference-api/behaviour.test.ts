/** Profiles behave as documented: fast when idle, slow by queueing, faults exact and seeded, headers per profile. */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { profileNames } from '../../reference-api/profiles.ts';
import { startTarget } from '../../reference-api/server.ts';
import { call, FAST, login } from './helpers.ts';

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

describe('queueing, not sleeping', () => {
  it.each(profileNames)('%s is fast at low load', async (name) => {
    const t = await startTarget({ profile: name, port: 0, overrides: FAST });
    try {
      const { tokens } = await login(t.url, 'user1@example.test');
      const times: number[] = [];
      for (let i = 0; i < 10; i++) times.push(await timed(() => call(t.url, 'GET', '/api/me', { token: tokens.accessToken })));
      times.sort((a, b) => a - b);
      // One query's service time (≤ 45 ms in baseline) plus HTTP: nowhere near any target.
      expect(times[5]).toBeLessThan(100);
      expect(await timed(() => call(t.url, 'GET', '/health'))).toBeLessThan(50);
    } finally {
      await t.close();
    }
  });

  it('baseline: a burst queues behind the small pool while probes stay fast', async () => {
    const t = await startTarget({ profile: 'baseline', port: 0, overrides: FAST });
    try {
      const { tokens } = await login(t.url, 'user1@example.test');
      const burst = Array.from({ length: 40 }, () => timed(() => call(t.url, 'GET', '/api/me', { token: tokens.accessToken })));
      const probe = timed(() => call(t.url, 'GET', '/live'));
      const times = (await Promise.all(burst)).sort((a, b) => a - b);
      // 40 queries over 2 connections at ~30 ms: the last waits for ~19 others ahead of it, twice.
      expect(times[times.length - 1]).toBeGreaterThan(400);
      expect(times[0]).toBeLessThan(150);
      expect(await probe).toBeLessThan(100);
    } finally {
      await t.close();
    }
  });
});

describe('fault injection', () => {
  it('pushes one route past a 2 s client timeout, leaving the others alone', async () => {
    const t = await startTarget({
      profile: 'phase3',
      port: 0,
      overrides: { ...FAST, faults: { routes: { 'GET /api/monitoring/performance': { fixedMs: 2_500 } } } },
    });
    try {
      const ctrl = AbortSignal.timeout(2_000);
      await expect(fetch(`${t.url}/api/monitoring/performance`, { signal: ctrl })).rejects.toThrow();
      expect(await timed(() => call(t.url, 'GET', '/api/monitoring/health'))).toBeLessThan(200);
    } finally {
      await t.close();
    }
  });

  it('injects errors at the given rate, the same sequence for the same seed', async () => {
    const run = async (seed: number) => {
      const t = await startTarget({
        profile: 'phase3',
        port: 0,
        seed,
        overrides: { faults: { seed: 0, errorRate: { 'GET /live': 0.5 } } },
      });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++) statuses.push((await call(t.url, 'GET', '/live')).status);
        return statuses;
      } finally {
        await t.close();
      }
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
    const errors = a.filter((s) => s === 500).length;
    expect(errors).toBeGreaterThan(8);
    expect(errors).toBeLessThan(32);
  });

  it('adds a latency distribution to every route', async () => {
    const t = await startTarget({
      profile: 'phase3',
      port: 0,
      overrides: { faults: { latency: { dist: 'uniform', minMs: 100, maxMs: 150 } } },
    });
    try {
      const d = await timed(() => call(t.url, 'GET', '/health'));
      expect(d).toBeGreaterThanOrEqual(95);
    } finally {
      await t.close();
    }
  });
});

function rawGet(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('production hygiene per profile', () => {
  it('phase1+ sends security headers, answers CORS preflight and gzips large responses', async () => {
    const t = await startTarget({ profile: 'phase1', port: 0, overrides: FAST });
    try {
      const h = await rawGet(`${t.url}/health`, {});
      expect(h.headers['x-content-type-options']).toBe('nosniff');
      expect(h.headers['x-frame-options']).toBe('DENY');
      const pre = await rawGet(`${t.url}/api/me`, { origin: 'http://example.test', 'access-control-request-method': 'GET' }, 'OPTIONS');
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('*');
      expect(String(pre.headers['access-control-allow-headers'])).toContain('Authorization');
      for (let i = 0; i < 5; i++) await call(t.url, 'GET', '/live');
      const m = await rawGet(`${t.url}/api/monitoring/metrics`, { 'accept-encoding': 'gzip' });
      expect(m.headers['content-encoding']).toBe('gzip');
      const small = await rawGet(`${t.url}/live`, { 'accept-encoding': 'gzip' });
      expect(small.headers['content-encoding']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('baseline emulates an API that is not production-ready: no security headers, no CORS, no gzip', async () => {
    const t = await startTarget({ profile: 'baseline', port: 0, overrides: FAST });
    try {
      const h = await rawGet(`${t.url}/health`, {});
      expect(h.headers['x-content-type-options']).toBeUndefined();
      expect((await rawGet(`${t.url}/api/me`, { origin: 'http://example.test' }, 'OPTIONS')).status).toBe(405);
      expect((await rawGet(`${t.url}/api/monitoring/metrics`, { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('refuses a non-loopback host', async () => {
    await expect(startTarget({ profile: 'phase3', host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });
});
