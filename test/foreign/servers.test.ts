/**
 * The third-party servers of ./servers.ts, checked with plain fetch: each auth style for real
 * (accepted with the credential, refused without it), and every endpoint of ./README.md's tables
 * with the status and body shape the README promises. Needs `bash scripts/foreign-servers.sh`.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, type ForeignServer, startMiniflux, startPocketBase, startWriteFreely } from './servers.ts';

interface Answer {
  status: number;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
}

async function send(
  server: ForeignServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  const init: RequestInit = { method, headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(15_000) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  const res = await fetch(`${server.baseUrl}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** `{name}` placeholders of a README path, filled from the seeded ids. */
function fill(path: string, ids: Record<string, string | number>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = ids[name];
    if (v === undefined) throw new Error(`no seeded id for {${name}} in ${path}`);
    return String(v);
  });
}

/** A request body with every whole-string `'{name}'` replaced by that seeded id (number or string). */
function fillBody(v: unknown, ids: Record<string, string | number>): unknown {
  if (typeof v === 'string') {
    const m = /^\{(\w+)\}$/.exec(v);
    if (!m) return v;
    const id = ids[m[1] as string];
    if (id === undefined) throw new Error(`no seeded id for ${v}`);
    return id;
  }
  if (Array.isArray(v)) return v.map((x) => fillBody(x, ids));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillBody(x, ids)]));
  return v;
}

/** One row of README.md's endpoint table for a server. */
interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: string;
  body?: unknown;
  status: number;
  /** Asserts the documented body shape. */
  shape?: (a: Answer, ids: Record<string, string | number>) => void;
}

const arrayOf = (min: number, item: Record<string, unknown>) => (a: Answer) => {
  expect(Array.isArray(a.json), a.text).toBe(true);
  expect((a.json as unknown[]).length).toBeGreaterThanOrEqual(min);
  for (const x of a.json as unknown[]) expect(x).toMatchObject(item);
};

// --- Miniflux -----------------------------------------------------------------------------------

describe('Miniflux: API key header (X-Auth-Token) and HTTP basic auth', () => {
  let mf: ForeignServer;
  let ids: Record<string, string | number> = {};
  const auth: Record<string, () => Record<string, string>> = {
    none: () => ({}),
    'api key': () => ({ 'x-auth-token': mf.env['MINIFLUX_API_KEY'] as string }),
    basic: () => ({ authorization: basicAuth(mf.env['MINIFLUX_USER'] as string, mf.env['MINIFLUX_PASSWORD'] as string) }),
  };

  beforeAll(async () => {
    mf = await startMiniflux();
    const feedIds = mf.info['feedIds'] as number[];
    const entryIds = mf.info['entryIds'] as number[];
    ids = {
      categoryID: mf.info['categoryId'] as number,
      feedID: feedIds[0] as number,
      entryID: entryIds[0] as number,
      lastEntryID: entryIds[5] as number,
    };
  });
  afterAll(async () => {
    await mf?.stop();
  });

  it('seeds credentials with the special characters the secret-leak checks look for', () => {
    expect(mf.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mf.env['MINIFLUX_API_KEY']).toMatch(/^[0-9a-f]{64}$/);
    expect(mf.env['MINIFLUX_PASSWORD']).toMatch(/%.*\/.*@.*:.*ü/);
    expect(mf.info['feedIds']).toHaveLength(2);
    expect(mf.info['entryIds']).toHaveLength(6);
  });

  it('API key: GET /v1/me answers 200 with X-Auth-Token, 401 without it or with a wrong key', async () => {
    const ok = await send(mf, 'GET', '/v1/me', auth['api key']!());
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ id: mf.info['userId'], username: mf.env['MINIFLUX_USER'] });
    expect((await send(mf, 'GET', '/v1/me')).status).toBe(401);
    const wrong = await send(mf, 'GET', '/v1/me', { 'x-auth-token': `${mf.env['MINIFLUX_API_KEY']}0` });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error_message: 'access unauthorized' });
  });

  it('basic auth: GET /v1/feeds answers 200 with the seeded user, 401 without it or with a wrong password', async () => {
    const ok = await send(mf, 'GET', '/v1/feeds', auth['basic']!());
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toHaveLength(2);
    expect((await send(mf, 'GET', '/v1/feeds')).status).toBe(401);
    const wrong = await send(mf, 'GET', '/v1/feeds', { authorization: basicAuth(mf.env['MINIFLUX_USER'] as string, 'not-the-password') });
    expect(wrong.status).toBe(401);
  });

  // README.md's Miniflux table, row for row (in this order: the writes come last).
  const endpoints: Endpoint[] = [
    { method: 'GET', path: '/healthcheck', auth: 'none', status: 200, shape: (a) => expect(a.text).toBe('OK') },
    {
      method: 'GET',
      path: '/v1/version',
      auth: 'api key',
      status: 200,
      shape: (a) => expect(a.json).toMatchObject({ version: expect.any(String) }),
    },
    {
      method: 'GET',
      path: '/v1/me',
      auth: 'basic',
      status: 200,
      shape: (a) => expect(a.json).toMatchObject({ id: expect.any(Number), username: 'lg-reader', is_admin: true }),
    },
    {
      method: 'GET',
      path: '/v1/categories',
      auth: 'api key',
      status: 200,
      shape: arrayOf(2, { id: expect.any(Number), title: expect.any(String) }),
    },
    {
      method: 'GET',
      path: '/v1/categories/{categoryID}/feeds',
      auth: 'api key',
      status: 200,
      shape: arrayOf(2, { id: expect.any(Number), category: { id: expect.any(Number) } }),
    },
    {
      method: 'GET',
      path: '/v1/categories/{categoryID}/entries',
      auth: 'api key',
      status: 200,
      shape: (a) => expect(a.json).toMatchObject({ total: 6, entries: expect.any(Array) }),
    },
    {
      method: 'GET',
      path: '/v1/feeds',
      auth: 'api key',
      status: 200,
      shape: arrayOf(2, {
        id: expect.any(Number),
        title: expect.any(String),
        feed_url: expect.any(String),
        category: { id: expect.any(Number) },
      }),
    },
    {
      method: 'GET',
      path: '/v1/feeds/{feedID}',
      auth: 'api key',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ id: v['feedID'], title: 'Feed A' }),
    },
    {
      method: 'GET',
      path: '/v1/feeds/counters',
      auth: 'api key',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ reads: {}, unreads: { [String(v['feedID'])]: 3 } }),
    },
    {
      method: 'GET',
      path: '/v1/feeds/{feedID}/entries?limit=10',
      auth: 'api key',
      status: 200,
      shape: (a) =>
        expect(a.json).toMatchObject({ total: 3, entries: expect.arrayContaining([expect.objectContaining({ id: expect.any(Number) })]) }),
    },
    {
      method: 'GET',
      path: '/v1/feeds/{feedID}/entries/{entryID}',
      auth: 'api key',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ id: v['entryID'], feed_id: v['feedID'] }),
    },
    {
      method: 'GET',
      path: '/v1/entries?status=unread&limit=5&order=id&direction=asc',
      auth: 'api key',
      status: 200,
      shape: (a, v) => {
        expect(a.json).toMatchObject({ total: 6 });
        const entries = (a.json as { entries: { id: number }[] }).entries;
        expect(entries).toHaveLength(5);
        expect(entries[0]?.id).toBe(v['entryID']);
      },
    },
    {
      method: 'GET',
      path: '/v1/entries/{entryID}',
      auth: 'api key',
      status: 200,
      shape: (a, v) =>
        expect(a.json).toMatchObject({
          id: v['entryID'],
          feed_id: v['feedID'],
          status: 'unread',
          title: expect.any(String),
          feed: { id: v['feedID'] },
        }),
    },
    {
      method: 'GET',
      path: '/v1/entries/999999',
      auth: 'api key',
      status: 404,
      shape: (a) => expect(a.json).toEqual({ error_message: 'resource not found' }),
    },
    { method: 'GET', path: '/v1/export', auth: 'api key', status: 200, shape: (a) => expect(a.text).toContain('<opml') },
    {
      method: 'GET',
      path: '/v1/me',
      auth: 'none',
      status: 401,
      shape: (a) => expect(a.json).toEqual({ error_message: 'access unauthorized' }),
    },
    { method: 'PUT', path: '/v1/entries', auth: 'api key', body: { entry_ids: ['{lastEntryID}'], status: 'read' }, status: 204 },
    { method: 'PUT', path: '/v1/entries/{entryID}/bookmark', auth: 'api key', status: 204 },
    {
      method: 'POST',
      path: '/v1/categories',
      auth: 'api key',
      body: { title: 'Made by the test' },
      status: 201,
      shape: (a) => expect(a.json).toMatchObject({ id: expect.any(Number), title: 'Made by the test' }),
    },
    {
      method: 'POST',
      path: '/v1/categories',
      auth: 'api key',
      body: { title: 'Made by the test' },
      status: 400,
      shape: (a) => expect(a.json).toMatchObject({ error_message: expect.any(String) }),
    },
  ];

  for (const e of endpoints) {
    it(`${e.method} ${e.path} (${e.auth}) → ${e.status}`, async () => {
      const a = await send(mf, e.method, fill(e.path, ids), auth[e.auth]!(), fillBody(e.body, ids));
      expect(a.status, a.text).toBe(e.status);
      e.shape?.(a, ids);
    });
  }

  it('stop() ends Miniflux and PostgreSQL and removes the data directory', async () => {
    await mf.stop();
    await expect(fetch(`${mf.baseUrl}/healthcheck`)).rejects.toThrow();
    expect(existsSync(mf.info['dataDir'] as string)).toBe(false);
  });
});

// --- PocketBase ---------------------------------------------------------------------------------

describe('PocketBase: login answering {token, record:{id}}, token sent as Authorization', () => {
  let pb: ForeignServer;
  let token = '';
  let ids: Record<string, string | number> = {};
  const credentials = () => ({ identity: pb.env['POCKETBASE_EMAIL'], password: pb.env['POCKETBASE_PASSWORD'] });
  const auth: Record<string, () => Record<string, string>> = {
    none: () => ({}),
    token: () => ({ authorization: token }),
    'Bearer token': () => ({ authorization: `Bearer ${token}` }),
  };

  beforeAll(async () => {
    pb = await startPocketBase();
    const noteIds = pb.info['noteIds'] as string[];
    ids = { userID: pb.info['userId'] as string, noteID: noteIds[0] as string, lastNoteID: noteIds[2] as string };
  });
  afterAll(async () => {
    await pb?.stop();
  });

  it('seeds a user whose password has the special characters the secret-leak checks look for', () => {
    expect(pb.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(pb.env['POCKETBASE_PASSWORD']).toMatch(/%.*\/.*@.*:.*ü/);
    expect(pb.info['noteIds']).toHaveLength(3);
  });

  it('login: the answer carries the token (and the user id under record), and the token opens an authenticated endpoint', async () => {
    const login = await send(pb, 'POST', '/api/collections/users/auth-with-password', {}, credentials());
    expect(login.status, login.text).toBe(200);
    expect(login.json).toMatchObject({
      token: expect.stringMatching(/^eyJ/),
      record: { id: pb.info['userId'], email: pb.env['POCKETBASE_EMAIL'] },
    });
    token = (login.json as { token: string }).token;

    const refreshed = await send(pb, 'POST', '/api/collections/users/auth-refresh', { authorization: token });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.json).toMatchObject({ token: expect.any(String), record: { id: pb.info['userId'] } });
    expect((await send(pb, 'POST', '/api/collections/users/auth-refresh')).status).toBe(401);
    expect((await send(pb, 'POST', '/api/collections/users/auth-refresh', { authorization: 'not-a-token' })).status).toBe(401);

    const notes = await send(pb, 'GET', '/api/collections/notes/records', { authorization: token });
    expect(notes.json).toMatchObject({ totalItems: 3 });
    const anonymous = await send(pb, 'GET', '/api/collections/notes/records');
    expect(anonymous.status).toBe(200);
    expect(anonymous.json).toMatchObject({ totalItems: 0, items: [] });
  });

  const noteShape = {
    id: expect.any(String),
    collectionName: 'notes',
    title: expect.any(String),
    body: expect.any(String),
    owner: expect.any(String),
    created: expect.any(String),
  };
  // README.md's PocketBase table, row for row (in this order: the writes come last).
  const endpoints: Endpoint[] = [
    {
      method: 'GET',
      path: '/api/health',
      auth: 'none',
      status: 200,
      shape: (a) => expect(a.json).toMatchObject({ code: 200, message: expect.any(String) }),
    },
    {
      method: 'POST',
      path: '/api/collections/users/auth-with-password',
      auth: 'none',
      body: 'credentials',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ token: expect.any(String), record: { id: v['userID'], email: expect.any(String) } }),
    },
    {
      method: 'POST',
      path: '/api/collections/users/auth-with-password',
      auth: 'none',
      body: { identity: 'lg-user@example.com', password: 'wrong-password' },
      status: 400,
      shape: (a) => expect(a.json).toMatchObject({ status: 400, message: 'Failed to authenticate.' }),
    },
    {
      method: 'POST',
      path: '/api/collections/users/auth-refresh',
      auth: 'token',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ token: expect.any(String), record: { id: v['userID'] } }),
    },
    { method: 'POST', path: '/api/collections/users/auth-refresh', auth: 'Bearer token', status: 200 },
    {
      method: 'POST',
      path: '/api/collections/users/auth-refresh',
      auth: 'none',
      status: 401,
      shape: (a) => expect(a.json).toMatchObject({ status: 401 }),
    },
    {
      method: 'GET',
      path: '/api/collections/notes/records?page=1&perPage=30&sort=-created',
      auth: 'token',
      status: 200,
      shape: (a) => {
        expect(a.json).toMatchObject({ page: 1, perPage: 30, totalItems: 3, totalPages: 1 });
        for (const item of (a.json as { items: unknown[] }).items) expect(item).toMatchObject(noteShape);
      },
    },
    {
      method: 'GET',
      path: '/api/collections/notes/records',
      auth: 'none',
      status: 200,
      shape: (a) => expect(a.json).toMatchObject({ totalItems: 0, items: [] }),
    },
    {
      method: 'GET',
      path: '/api/collections/notes/records/{noteID}',
      auth: 'token',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ ...noteShape, id: v['noteID'] }),
    },
    {
      method: 'GET',
      path: '/api/collections/notes/records/{noteID}',
      auth: 'none',
      status: 404,
      shape: (a) => expect(a.json).toMatchObject({ status: 404 }),
    },
    {
      method: 'GET',
      path: '/api/collections/users/records/{userID}',
      auth: 'token',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ id: v['userID'], email: expect.any(String) }),
    },
    { method: 'GET', path: '/api/collections', auth: 'token', status: 403 },
    { method: 'GET', path: '/api/collections', auth: 'none', status: 401 },
    {
      method: 'POST',
      path: '/api/collections/notes/records',
      auth: 'token',
      body: { title: 'Made by the test', body: 'x', owner: '{userID}' },
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ ...noteShape, owner: v['userID'] }),
    },
    { method: 'POST', path: '/api/collections/notes/records', auth: 'none', body: { title: 'anonymous' }, status: 400 },
    {
      method: 'PATCH',
      path: '/api/collections/notes/records/{noteID}',
      auth: 'token',
      body: { title: 'Renamed by the test' },
      status: 200,
      shape: (a) => expect(a.json).toMatchObject({ title: 'Renamed by the test' }),
    },
    { method: 'DELETE', path: '/api/collections/notes/records/{lastNoteID}', auth: 'token', status: 204 },
  ];

  for (const e of endpoints) {
    it(`${e.method} ${e.path} (${e.auth}) → ${e.status}`, async () => {
      if (e.auth.includes('token') && !token) {
        const login = await send(pb, 'POST', '/api/collections/users/auth-with-password', {}, credentials());
        token = (login.json as { token: string }).token;
      }
      const body = e.body === 'credentials' ? credentials() : fillBody(e.body, ids);
      const a = await send(pb, e.method, fill(e.path, ids), auth[e.auth]!(), body);
      expect(a.status, a.text).toBe(e.status);
      e.shape?.(a, ids);
    });
  }

  it('stop() ends PocketBase and removes the data directory', async () => {
    await pb.stop();
    await expect(fetch(`${pb.baseUrl}/api/health`)).rejects.toThrow();
    expect(existsSync(pb.info['dataDir'] as string)).toBe(false);
  });
});

// --- WriteFreely --------------------------------------------------------------------------------

describe('WriteFreely: login answering {code, data:{access_token, user}}, token sent as Authorization: Token', () => {
  let wf: ForeignServer;
  let login: Answer;
  let token = '';
  let ids: Record<string, string | number> = {};
  const loginAs = (alias: string, pass: string) => send(wf, 'POST', '/api/auth/login', {}, { alias, pass });
  const auth: Record<string, () => Record<string, string>> = {
    none: () => ({}),
    token: () => ({ authorization: `Token ${token}` }),
    'bare token': () => ({ authorization: token }),
    'Bearer token': () => ({ authorization: `Bearer ${token}` }),
    'unknown token': () => ({ authorization: 'Token 00000000-0000-4000-8000-000000000000' }),
    // Without Accept (or Content-Type) application/json WriteFreely takes the browser's path.
    'token, no JSON Accept': () => ({ authorization: `Token ${token}`, accept: '*/*' }),
  };

  beforeAll(async () => {
    wf = await startWriteFreely();
    const postIds = wf.info['postIds'] as string[];
    ids = {
      collection: wf.info['collection'] as string,
      postID: postIds[0] as string,
      slug: (wf.info['postSlugs'] as string[])[0] as string,
      draftID: wf.info['draftId'] as string,
    };
    // The one login of lg-writer-1: WriteFreely refuses a second attempt for an alias within 3 s.
    login = await loginAs(wf.env['WRITEFREELY_ALIAS'] as string, wf.env['WRITEFREELY_PASSWORD'] as string);
    token = (login.json as { data?: { access_token?: string } } | undefined)?.data?.access_token ?? '';
  });
  afterAll(async () => {
    await wf?.stop();
  });

  it('seeds writers whose password has the special characters the secret-leak checks look for', () => {
    expect(wf.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(wf.env['WRITEFREELY_PASSWORD']).toMatch(/%.*\/.*@.*:.*ü/);
    expect(wf.info['aliases']).toEqual(['lg-writer-1', 'lg-writer-2', 'lg-writer-3']);
    expect(wf.info['postIds']).toHaveLength(2);
    expect(wf.info['postSlugs']).toEqual(['post-1', 'post-2']);
    expect(wf.info['draftId']).toMatch(/^[a-z0-9]{10}$/);
  });

  it('login: the token is nested (data.access_token), and Authorization: Token <t> opens GET /api/me', async () => {
    expect(login.status, login.text).toBe(200);
    expect(login.json).toEqual({
      code: 200,
      data: {
        access_token: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        user: { username: 'lg-writer-1', has_pass: false, email: '', created: expect.any(String), status: 0 },
      },
    });
    const me = await send(wf, 'GET', '/api/me', auth['token']!());
    expect(me.status, me.text).toBe(200);
    expect(me.json).toEqual({ code: 200, data: { username: 'lg-writer-1' } });
    const bearer = await send(wf, 'GET', '/api/me', auth['Bearer token']!());
    expect(bearer.status).toBe(400);
    expect(bearer.json).toEqual({ code: 400, error_msg: 'Authorization token required.' });
  });

  it('login: a wrong password answers 401, an unknown alias 404', async () => {
    const wrong = await loginAs('lg-writer-2', 'not-the-password');
    expect(wrong.status, wrong.text).toBe(401);
    expect(wrong.json).toEqual({ code: 401, error_msg: 'Incorrect password.' });
    const unknown = await loginAs('lg-nobody', 'not-the-password');
    expect(unknown.status, unknown.text).toBe(404);
    expect(unknown.json).toEqual({ code: 404, error_msg: "User doesn't exist." });
  });

  it('login throttle: of two attempts for one alias at once, one gets a token and the other 429', async () => {
    const password = wf.env['WRITEFREELY_PASSWORD'] as string;
    const answers = await Promise.all([loginAs('lg-writer-3', password), loginAs('lg-writer-3', password)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 429]);
    expect(answers.find((a) => a.status === 429)?.json).toEqual({ code: 429, error_msg: "You're doing that too much." });
  });

  const postShape = {
    id: expect.stringMatching(/^[a-z0-9]{10}$/),
    title: expect.any(String),
    body: expect.any(String),
    created: expect.any(String),
    tags: [],
  };
  // README.md's WriteFreely table, row for row (in this order: the writes come last).
  const endpoints: Endpoint[] = [
    {
      method: 'GET',
      path: '/.well-known/nodeinfo',
      auth: 'none',
      status: 200,
      shape: (a) => expect(a.json).toMatchObject({ links: [{ rel: expect.any(String), href: expect.stringContaining('/api/nodeinfo') }] }),
    },
    {
      method: 'GET',
      path: '/api/nodeinfo',
      auth: 'none',
      status: 200,
      shape: (a) =>
        expect(a.json).toMatchObject({
          software: { name: 'writefreely', version: '0.15.1' },
          openRegistrations: true,
          usage: { users: { total: 3 } },
        }),
    },
    {
      method: 'GET',
      path: '/api/me',
      auth: 'token',
      status: 200,
      shape: (a) => expect(a.json).toEqual({ code: 200, data: { username: 'lg-writer-1' } }),
    },
    {
      method: 'GET',
      path: '/api/me',
      auth: 'bare token',
      status: 200,
      shape: (a) => expect(a.json).toEqual({ code: 200, data: { username: 'lg-writer-1' } }),
    },
    {
      method: 'GET',
      path: '/api/me',
      auth: 'Bearer token',
      status: 400,
      shape: (a) => expect(a.json).toEqual({ code: 400, error_msg: 'Authorization token required.' }),
    },
    {
      method: 'GET',
      path: '/api/me',
      auth: 'none',
      status: 400,
      shape: (a) => expect(a.json).toEqual({ code: 400, error_msg: 'Authorization token required.' }),
    },
    {
      method: 'GET',
      path: '/api/me',
      auth: 'unknown token',
      status: 401,
      shape: (a) => expect(a.json).toEqual({ code: 401, error_msg: 'Invalid access token.' }),
    },
    {
      method: 'GET',
      path: '/api/me',
      auth: 'token, no JSON Accept',
      status: 200,
      shape: (a) => expect(a.json).toEqual({ code: 200, data: {} }),
    },
    {
      method: 'GET',
      path: '/api/me/posts',
      auth: 'token',
      status: 200,
      shape: (a) => {
        const posts = (a.json as { data: unknown[] }).data;
        expect(posts).toHaveLength(3);
        for (const p of posts) expect(p).toMatchObject(postShape);
      },
    },
    {
      method: 'GET',
      path: '/api/me/posts',
      auth: 'none',
      status: 400,
      shape: (a) => expect(a.json).toEqual({ code: 400, error_msg: 'Authorization token required.' }),
    },
    {
      method: 'GET',
      path: '/api/me/posts',
      auth: 'token, no JSON Accept',
      status: 406,
      shape: (a) => expect(a.json).toEqual({ code: 406, error_msg: 'Bad requested Content-Type.' }),
    },
    {
      method: 'GET',
      path: '/api/me/collections',
      auth: 'token',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ code: 200, data: [{ alias: v['collection'], title: expect.any(String) }] }),
    },
    {
      method: 'GET',
      path: '/api/collections/{collection}',
      auth: 'none',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ code: 200, data: { alias: v['collection'], total_posts: 2 } }),
    },
    {
      method: 'GET',
      path: '/api/collections/{collection}/posts',
      auth: 'none',
      status: 200,
      shape: (a, v) => {
        expect(a.json).toMatchObject({ code: 200, data: { alias: v['collection'], total_posts: 2 } });
        const posts = (a.json as { data: { posts: unknown[] } }).data.posts;
        expect(posts).toHaveLength(2);
        for (const p of posts) expect(p).toMatchObject({ ...postShape, slug: expect.any(String) });
      },
    },
    {
      method: 'GET',
      path: '/api/collections/{collection}/posts/{slug}',
      auth: 'none',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ code: 200, data: { ...postShape, id: v['postID'], slug: v['slug'] } }),
    },
    {
      method: 'GET',
      path: '/api/collections/lg-nobody',
      auth: 'none',
      status: 404,
      shape: (a) => expect(a.json).toEqual({ code: 404, error_msg: "Collection doesn't exist." }),
    },
    {
      method: 'GET',
      path: '/api/posts/{postID}',
      auth: 'none',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ code: 200, data: { ...postShape, id: v['postID'] } }),
    },
    {
      method: 'GET',
      path: '/api/posts/{draftID}',
      auth: 'token',
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ code: 200, data: { ...postShape, id: v['draftID'], slug: null } }),
    },
    {
      method: 'GET',
      path: '/api/posts/zzzzzzzzzz',
      auth: 'none',
      status: 404,
      shape: (a) => expect(a.json).toEqual({ code: 404, error_msg: 'Post not found.' }),
    },
    {
      method: 'POST',
      path: '/api/posts',
      auth: 'token',
      body: { title: 'Made by the test', body: 'x' },
      status: 201,
      shape: (a) => expect(a.json).toMatchObject({ code: 201, data: { ...postShape, title: 'Made by the test', slug: null } }),
    },
    {
      method: 'POST',
      path: '/api/posts',
      auth: 'none',
      body: { title: 'Anonymous', body: 'x' },
      status: 401,
      shape: (a) => expect(a.json).toEqual({ code: 401, error_msg: 'Not logged in.' }),
    },
    {
      method: 'POST',
      path: '/api/collections/{collection}/posts',
      auth: 'token',
      body: { title: 'Published by the test', body: 'x' },
      status: 201,
      shape: (a, v) =>
        expect(a.json).toMatchObject({
          code: 201,
          data: { ...postShape, slug: 'published-by-the-test', collection: { alias: v['collection'] } },
        }),
    },
    {
      method: 'POST',
      path: '/api/posts/{draftID}',
      auth: 'token',
      body: { title: 'Edited by the test', body: 'y' },
      status: 200,
      shape: (a, v) => expect(a.json).toMatchObject({ code: 200, data: { id: v['draftID'], title: 'Edited by the test', body: 'y' } }),
    },
    {
      method: 'DELETE',
      path: '/api/posts/{draftID}',
      auth: 'none',
      status: 400,
      shape: (a) => expect(a.json).toEqual({ code: 400, error_msg: 'Authorization token required.' }),
    },
    { method: 'DELETE', path: '/api/posts/{draftID}', auth: 'token', status: 204, shape: (a) => expect(a.text).toBe('') },
    { method: 'GET', path: '/api/posts/{draftID}', auth: 'none', status: 404 },
    { method: 'DELETE', path: '/api/auth/me', auth: 'token', status: 204, shape: (a) => expect(a.text).toBe('') },
    {
      method: 'GET',
      path: '/api/me',
      auth: 'token',
      status: 401,
      shape: (a) => expect(a.json).toEqual({ code: 401, error_msg: 'Invalid access token.' }),
    },
  ];

  for (const e of endpoints) {
    it(`${e.method} ${e.path} (${e.auth}) → ${e.status}`, async () => {
      // Every row with a token uses lg-writer-1's one login (beforeAll): a second would be throttled.
      if (e.auth.includes('token') && e.auth !== 'unknown token') expect(token, 'the login in beforeAll gave no token').not.toBe('');
      const a = await send(wf, e.method, fill(e.path, ids), auth[e.auth]!(), fillBody(e.body, ids));
      expect(a.status, a.text).toBe(e.status);
      e.shape?.(a, ids);
    });
  }

  it('stop() ends WriteFreely and removes the data directory', async () => {
    await wf.stop();
    await expect(fetch(`${wf.baseUrl}/.well-known/nodeinfo`)).rejects.toThrow();
    expect(existsSync(wf.info['dataDir'] as string)).toBe(false);
  });
});
