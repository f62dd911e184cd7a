/** The auth flow end to end over real HTTP: login, 2FA status, email verify, rotation, revocation, lockout, expiry. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { REFERENCE_PASSWORD } from '../../lib/shared/reference-api.ts';
import { SPECIAL_USERS } from '../../reference-api/users.ts';
import { call, FAST, login } from './helpers.ts';

let t: RunningTarget;
beforeAll(async () => {
  t = await startTarget({ profile: 'phase3', port: 0, overrides: FAST });
});
afterAll(async () => {
  await t?.close();
});

describe('auth flow', () => {
  it('logs in, reads the user, rotates the refresh token and revokes on logout', async () => {
    const { res, tokens } = await login(t.url, 'user1@example.test');
    expect(res.status).toBe(200);
    expect(tokens.accessToken.split('.')).toHaveLength(3);
    expect(typeof tokens.refreshToken).toBe('string');
    expect(tokens.expiresIn).toBe(900);

    const me = await call(t.url, 'GET', '/api/me', { token: tokens.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'user1@example.test' });

    expect((await call(t.url, 'GET', '/api/auth/2fa/status', { token: tokens.accessToken })).body).toEqual({ enabled: false, methods: [] });
    expect((await call(t.url, 'POST', '/api/auth/request-email-verify', { token: tokens.accessToken })).status).toBe(202);

    const refreshed = await call(t.url, 'POST', '/api/auth/refresh', { body: { refreshToken: tokens.refreshToken } });
    expect(refreshed.status).toBe(200);
    const pair = refreshed.body as { accessToken: string; refreshToken: string };
    expect(pair.refreshToken).not.toBe(tokens.refreshToken);
    // Rotation: the old refresh token is dead the moment a new pair exists.
    expect((await call(t.url, 'POST', '/api/auth/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    expect((await call(t.url, 'GET', '/api/me', { token: pair.accessToken })).status).toBe(200);

    expect((await call(t.url, 'POST', '/api/auth/logout', { token: pair.accessToken })).status).toBe(204);
    // Revocation: every token of the session, including the pre-refresh access token and the new refresh token.
    const after = await call(t.url, 'GET', '/api/me', { token: pair.accessToken });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('Bearer');
    expect((await call(t.url, 'GET', '/api/me', { token: tokens.accessToken })).status).toBe(401);
    expect((await call(t.url, 'POST', '/api/auth/refresh', { body: { refreshToken: pair.refreshToken } })).status).toBe(401);
  });

  it('reports two-factor methods for the 2FA account', async () => {
    const { tokens } = await login(t.url, SPECIAL_USERS.twoFactor);
    expect((await call(t.url, 'GET', '/api/auth/2fa/status', { token: tokens.accessToken })).body).toEqual({
      enabled: true,
      methods: ['totp', 'email'],
    });
  });

  it('answers 401 to bad credentials and an unknown account', async () => {
    expect((await login(t.url, 'user2@example.test', 'wrong')).res.status).toBe(401);
    expect((await login(t.url, 'nobody@example.test')).res.status).toBe(401);
  });

  it('locks the account after 5 failed attempts, with Retry-After, even for the right password', async () => {
    const email = 'user3@example.test';
    for (let i = 0; i < 5; i++) expect((await login(t.url, email, `wrong-${i}`)).res.status).toBe(401);
    const locked = await login(t.url, email, REFERENCE_PASSWORD);
    expect(locked.res.status).toBe(423);
    expect(Number(locked.res.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account is unaffected.
    expect((await login(t.url, 'user4@example.test')).res.status).toBe(200);
  });

  it('resets the failure count on a successful login', async () => {
    const email = 'user5@example.test';
    for (let i = 0; i < 4; i++) await login(t.url, email, 'wrong');
    expect((await login(t.url, email)).res.status).toBe(200);
    for (let i = 0; i < 4; i++) await login(t.url, email, 'wrong');
    expect((await login(t.url, email)).res.status).toBe(200);
  });

  it('starts a clean count of failures once a lock has run out', async () => {
    const short = await startTarget({ profile: 'phase3', port: 0, overrides: { ...FAST, lockout: { maxAttempts: 5, durationS: 1 } } });
    try {
      const email = 'user6@example.test';
      for (let i = 0; i < 5; i++) await login(short.url, email, 'wrong');
      expect((await login(short.url, email)).res.status).toBe(423);
      await new Promise((r) => setTimeout(r, 1_100));
      // One more mistake after the lock is one failure, not a sixth: no new lock.
      expect((await login(short.url, email, 'wrong')).res.status).toBe(401);
      expect((await login(short.url, email)).res.status).toBe(200);
    } finally {
      await short.close();
    }
  });

  it('keeps the pre-locked account locked', async () => {
    const res = (await login(t.url, SPECIAL_USERS.locked)).res;
    expect(res.status).toBe(423);
    expect(res.headers.get('retry-after')).not.toBeNull();
  });
});

describe('token expiry', () => {
  it('rejects an expired access token with 401', async () => {
    const short = await startTarget({ profile: 'phase3', port: 0, overrides: { ...FAST, tokens: { accessTtlS: 1 } } });
    try {
      const { tokens } = await login(short.url, 'user1@example.test');
      expect((await call(short.url, 'GET', '/api/me', { token: tokens.accessToken })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2_100));
      const res = await call(short.url, 'GET', '/api/me', { token: tokens.accessToken });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'expired' });
    } finally {
      await short.close();
    }
  });
});
