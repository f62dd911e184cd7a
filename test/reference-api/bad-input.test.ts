/** Bad input each gets the right status, and the server keeps serving afterwards. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { call, FAST, login } from './helpers.ts';

let t: RunningTarget;
let token: string;
beforeAll(async () => {
  t = await startTarget({ profile: 'phase3', port: 0, overrides: FAST });
  token = (await login(t.url, 'user7@example.test')).tokens.accessToken;
});
afterAll(async () => {
  await t?.close();
});

/** A body sent chunked, with no Content-Length, so only the streaming limit can catch it. */
function postChunked(path: string, chunks: number, chunkBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    for (let i = 0; i < chunks; i++) req.write('x'.repeat(chunkBytes));
    req.end();
  });
}

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"email": "a@b", '],
    ['an empty body', ''],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
  ])('answers 400 to %s', async (_label, raw) => {
    const res = await call(t.url, 'POST', '/api/auth/login', { raw });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'malformed_json' });
  });

  it('answers 400 naming a missing field', async () => {
    const res = await call(t.url, 'POST', '/api/auth/login', { body: { email: 'user1@example.test' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'password' });
  });

  it('answers 413 to a body over the limit (64 KiB), declared or streamed', async () => {
    const big = JSON.stringify({ email: 'user1@example.test', password: 'x'.repeat(70 * 1024) });
    const res = await call(t.url, 'POST', '/api/auth/login', { raw: big });
    expect(res.status).toBe(413);
    expect(await postChunked('/api/auth/login', 20, 8 * 1024)).toBe(413);
    // Far past the limit, the connection is dropped after the 413 or instead of it: never a crash.
    await postChunked('/api/auth/login', 200, 16 * 1024).catch(() => 0);
  });

  it('answers 401 to a missing, malformed or foreign token', async () => {
    expect((await call(t.url, 'GET', '/api/me')).status).toBe(401);
    expect((await call(t.url, 'GET', '/api/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await call(t.url, 'GET', '/api/me', { token: 'not.a.jwt' })).status).toBe(401);
    const other = await startTarget({ profile: 'phase3', port: 0, overrides: FAST });
    try {
      const foreign = (await login(other.url, 'user1@example.test')).tokens.accessToken;
      const res = await call(t.url, 'GET', '/api/me', { token: foreign });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'invalid' });
    } finally {
      await other.close();
    }
  });

  it('answers 405 with Allow to a wrong method', async () => {
    const res = await call(t.url, 'DELETE', '/api/me');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('GET');
    const login405 = await call(t.url, 'GET', '/api/auth/login');
    expect(login405.status).toBe(405);
    expect(login405.headers.get('allow')).toContain('POST');
  });

  it('answers 404 to an unknown route', async () => {
    expect((await call(t.url, 'GET', '/api/nope')).status).toBe(404);
    expect((await call(t.url, 'POST', '/')).status).toBe(404);
  });

  it('answers 422 naming the bad field of a profile update', async () => {
    const empty = await call(t.url, 'PUT', '/api/user/profile', { token, body: { displayName: '' } });
    expect(empty.status).toBe(422);
    expect(empty.body).toMatchObject({ field: 'displayName' });
    const unknown = await call(t.url, 'PUT', '/api/user/profile', { token, body: { isAdmin: true } });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ field: 'isAdmin' });
    const ok = await call(t.url, 'PUT', '/api/user/profile', { token, body: { displayName: 'New Name', locale: 'fr-FR' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ displayName: 'New Name', locale: 'fr-FR' });
    expect((await call(t.url, 'GET', '/api/user/profile', { token })).body).toMatchObject({ displayName: 'New Name' });
  });

  it('is still serving after all of it', async () => {
    expect((await call(t.url, 'GET', '/live')).status).toBe(200);
    expect((await call(t.url, 'GET', '/api/me', { token })).status).toBe(200);
  });
});
