/**
 * Real APIs this project did not write (test/foreign/README.md), mapped by config alone
 * (examples/*.yaml) and run with real k6 through `loadgate run`: every auth style, captures,
 * expected 4xx answers, exact counts against k6's raw output, and no secret anywhere.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../support/influxd.ts';
import { cli, isReadiness, onlyRunDir, rawPoints, tempOut, type CliResult, type RawPoint } from '../run/helpers.ts';
import { influxQuery } from '../influx/helpers.ts';
import { ROOT, startMiniflux, startPocketBase, startWriteFreely, type ForeignServer } from './servers.ts';

interface Outcomes {
  ok: number;
  timeout: number;
  http4xx: number;
  http5xx: number;
  [k: string]: number;
}
interface AnalysisFile {
  run: { status: string; k6ExitCode: number | null };
  endpoints: Array<{ name: string; total: { requests: number; outcomes: Outcomes }; byStage: Record<string, { requests: number }> }>;
}

/** ok / timeout / 4xx / 5xx per endpoint, straight from k6's raw samples and the plan's expected statuses. */
function countsFromRaw(points: RawPoint[], expected: Record<string, (s: number) => boolean>): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const p of points) {
    // setup()'s session-pool logins come before the load, the readiness checks beside it: the analysis keeps both apart.
    if (p.metric !== 'http_reqs' || p.data.tags?.['group'] === '::setup' || isReadiness(p)) continue;
    const name = p.data.tags?.['name'] ?? '?';
    const status = Number(p.data.tags?.['status'] ?? 0);
    const code = p.data.tags?.['error_code'];
    const kind =
      code === '1050' ? 'timeout' : expected[name]?.(status) ? 'ok' : status >= 500 ? 'http5xx' : status >= 400 ? 'http4xx' : 'other';
    const c = out.get(name) ?? { requests: 0, ok: 0, timeout: 0, http4xx: 0, http5xx: 0, other: 0 };
    c['requests'] = (c['requests'] ?? 0) + 1;
    c[kind] = (c[kind] ?? 0) + 1;
    out.set(name, c);
  }
  return out;
}

async function readJson<T>(dir: string, file: string): Promise<T> {
  return JSON.parse(await readFile(join(dir, file), 'utf8')) as T;
}

/** Every text a run leaves: each file of its directory (gunzipped), stdout and stderr. */
async function everyText(dir: string, r: CliResult): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ];
  for (const f of await readdir(dir, { recursive: true })) {
    const path = join(dir, String(f));
    const buf = await readFile(path).catch(() => null);
    if (!buf) continue;
    out.push([String(f), (String(f).endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8')]);
  }
  return out;
}

/** A secret in each encoding a file or a log line could hold it in. */
function encodings(secret: string): string[] {
  return [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64')];
}

function expectNoSecret(texts: Array<[string, string]>, secrets: string[]): void {
  for (const s of secrets) {
    for (const form of encodings(s)) {
      for (const [where, text] of texts) expect(text.includes(form), `a secret (${form.length} chars) appears in ${where}`).toBe(false);
    }
  }
}

/** The checks of one finished run against k6's own output: completed, k6 exit 0, counts equal. */
async function checkRun(dir: string, expected: Record<string, (s: number) => boolean>): Promise<AnalysisFile> {
  const analysis = await readJson<AnalysisFile>(dir, 'analysis.json');
  const run = await readJson<{ status: string; k6ExitCode: number }>(dir, 'run.json');
  expect(run.status).toBe('completed');
  expect(run.k6ExitCode).toBe(0);
  const points = await rawPoints(dir);
  const raw = countsFromRaw(points, expected);
  expect(new Set(analysis.endpoints.filter((e) => e.total.requests > 0).map((e) => e.name))).toEqual(new Set(raw.keys()));
  for (const e of analysis.endpoints) {
    const r = raw.get(e.name);
    if (!r) continue;
    expect({
      name: e.name,
      requests: e.total.requests,
      ok: e.total.outcomes.ok,
      timeout: e.total.outcomes.timeout,
      http4xx: e.total.outcomes.http4xx,
      http5xx: e.total.outcomes.http5xx,
    }).toEqual({
      name: e.name,
      requests: r['requests'],
      ok: r['ok'],
      timeout: r['timeout'],
      http4xx: r['http4xx'],
      http5xx: r['http5xx'],
    });
  }
  // k6 agrees: with the expected statuses in its responseCallback, no expected answer is "failed".
  const failed = points.filter(
    (p) => p.metric === 'http_req_failed' && p.data.value === 1 && expected[p.data.tags?.['name'] ?? '']?.(Number(p.data.tags?.['status'])),
  );
  expect(failed).toEqual([]);
  return analysis;
}

const config = (name: string) => join(ROOT, 'examples', `${name}.yaml`);

describe('Miniflux: API key and basic auth, by config alone', () => {
  let server: ForeignServer;
  let influx: InfluxdHandle;
  beforeAll(async () => {
    [server, influx] = await Promise.all([startMiniflux(), startInfluxd()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), influx?.stop()]);
  });
  const expected = {
    'feeds.list': (s: number) => s === 200,
    'feeds.get': (s: number) => s === 200,
    'feeds.entries': (s: number) => s === 200,
    'entries.get': (s: number) => s === 200,
    'entries.missing': (s: number) => s === 404,
    'account.me': (s: number) => s === 200,
    'account.anonymous': (s: number) => s === 401,
    'health.check': (s: number) => s === 200,
  };

  it('API key in a header, captures in paths, a step profile, an expected 404: counts equal k6 raw output', async () => {
    const out = await tempOut();
    const r = await cli(['run', '--config', config('miniflux'), '--profile', 'steps', '--target', server.baseUrl, '--out', out], {
      env: server.env,
    });
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(out);
    const analysis = await checkRun(dir, expected);
    const byName = new Map(analysis.endpoints.map((e) => [e.name, e.total]));
    // Every step of the flow ran, with its captured id: no 4xx where a 200 was expected.
    for (const name of ['feeds.list', 'feeds.get', 'feeds.entries', 'entries.get', 'entries.missing']) {
      expect(byName.get(name)?.outcomes.ok, name).toBeGreaterThan(10);
      expect(byName.get(name)?.outcomes.http4xx, name).toBe(0);
    }
    // The step profile: each stage offered its own rate (5 and 15 requests/s for 6 s).
    const perStage = new Map<string, number>();
    for (const e of analysis.endpoints)
      for (const [st, x] of Object.entries(e.byStage)) perStage.set(st, (perStage.get(st) ?? 0) + x.requests);
    expect(Math.abs((perStage.get('low') ?? 0) - 30), `low: ${perStage.get('low')}`).toBeLessThanOrEqual(5);
    expect(Math.abs((perStage.get('high') ?? 0) - 90), `high: ${perStage.get('high')}`).toBeLessThanOrEqual(5);
    // The readiness checks ran beside it (on by default): its probe and GET endpoints judged, what
    // Miniflux's config does not name (monitoring, Prometheus, a CORS origin) skipped with the reason.
    type Check = { id: string; status: string; passes: number; fails: number; reason: string | null };
    const checks = new Map(
      (await readJson<{ readiness: { checks: Check[] } }>(dir, 'verdict.json')).readiness.checks.map((c) => [c.id, c]),
    );
    for (const id of ['probes.latency', 'security.content-type-options']) {
      expect(checks.get(id)?.status, id).toMatch(/^(pass|fail)$/);
      expect((checks.get(id)?.passes ?? 0) + (checks.get(id)?.fails ?? 0), id).toBeGreaterThan(3);
    }
    expect(checks.get('monitoring.answering')).toMatchObject({
      status: 'off',
      reason: expect.stringMatching(/^no monitoring endpoint configured/),
    });
    expect(checks.get('cors.allowed')).toMatchObject({
      status: 'off',
      reason: 'no allowed origin configured (readiness.cors.allowedOrigin)',
    });
    expectNoSecret(await everyText(dir, r), [server.env['MINIFLUX_API_KEY'] ?? 'missing']);
  }, 120_000);

  it('HTTP basic auth and an expected 401, streamed to InfluxDB with no secret in any point', async () => {
    const out = await tempOut();
    const r = await cli(
      [
        'run',
        '--config',
        config('miniflux'),
        '--scenario',
        'account',
        '--profile',
        'smoke',
        '--rps',
        '30',
        '--target',
        server.baseUrl,
        '--out',
        out,
        '--influx',
        influx.url,
        '--influx-db',
        'foreign',
        // loadgate's own points and every k6 sample, so that both kinds are searched for secrets.
        '--influx-mode',
        'samples',
      ],
      { env: server.env },
    );
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(out);
    const analysis = await checkRun(dir, expected);
    const me = analysis.endpoints.find((e) => e.name === 'account.me')?.total;
    expect(me?.outcomes.ok).toBeGreaterThan(3);
    expect(analysis.endpoints.find((e) => e.name === 'account.anonymous')?.total.outcomes.ok).toBeGreaterThan(3);
    const user = server.env['MINIFLUX_USER'] ?? '';
    const password = server.env['MINIFLUX_PASSWORD'] ?? 'missing';
    const texts = await everyText(dir, r);
    const measurements = (await influxQuery(influx.url, 'foreign', 'SHOW MEASUREMENTS')).flatMap((x) => x.values.map((v) => String(v[0])));
    expect(measurements).toEqual(
      // No `checks`: under loadgate run a body check writes its failures only (none here).
      expect.arrayContaining(['http_reqs', 'http_req_duration', 'loadgate_live', 'loadgate_live_totals']),
    );
    // Every point of every measurement in every retention policy (run events also go to the history one), not only those.
    const policies = (await influxQuery(influx.url, 'foreign', 'SHOW RETENTION POLICIES ON "foreign"')).flatMap((x) =>
      x.values.map((v) => String(v[0])),
    );
    for (const measurement of measurements) {
      let points = 0;
      for (const rp of policies) {
        const series = await influxQuery(influx.url, 'foreign', `SELECT * FROM "foreign"."${rp}"."${measurement}"`);
        points += series.reduce((n, x) => n + x.values.length, 0);
        texts.push([`influx ${rp}.${measurement}`, JSON.stringify(series)]);
      }
      expect(points, measurement).toBeGreaterThan(0);
    }
    texts.push(['influx tags', JSON.stringify(await influxQuery(influx.url, 'foreign', 'SHOW TAG VALUES WITH KEY =~ /.*/'))]);
    expectNoSecret(texts, [password, `${user}:${password}`, server.env['MINIFLUX_API_KEY'] ?? 'missing']);
  }, 120_000);
});

describe('PocketBase: a login, a token by JSON path, nested captures, an expected 401', () => {
  let server: ForeignServer;
  beforeAll(async () => {
    server = await startPocketBase();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  const expected = {
    'users.login': (s: number) => s === 200,
    'users.get': (s: number) => s === 200,
    'users.refresh': (s: number) => s === 200,
    'users.refresh_anonymous': (s: number) => s === 401,
    'notes.list': (s: number) => s === 200,
    'notes.get': (s: number) => s === 200,
    'probes.health': (s: number) => s >= 200 && s < 300,
  };

  it('logs in every iteration, uses the token and the captured ids, refreshes; k6 exits 0 and loadgate passes', async () => {
    const out = await tempOut();
    const r = await cli(['run', '--config', config('pocketbase'), '--profile', 'short', '--target', server.baseUrl, '--out', out], {
      env: server.env,
    });
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(out);
    const analysis = await checkRun(dir, expected);
    const ok = (n: string) => analysis.endpoints.find((e) => e.name === n)?.total.outcomes.ok ?? 0;
    // One login per iteration, and every later step of the iteration succeeded with its token and ids.
    expect(ok('users.login')).toBeGreaterThan(4);
    for (const n of ['users.get', 'notes.list', 'notes.get', 'users.refresh', 'users.refresh_anonymous'])
      expect(ok(n), n).toBe(ok('users.login'));
    const verdict = await readJson<{ status: string }>(dir, 'verdict.json');
    expect(verdict.status).toBe('pass');
    // Logins are in the plan: 6 requests per iteration, so the achieved rate is the offered one.
    const plan = await readJson<{ requestsPerIteration: number }>(dir, 'plan.json');
    expect(plan.requestsPerIteration).toBe(6);
    expectNoSecret(await everyText(dir, r), [server.env['POCKETBASE_PASSWORD'] ?? 'missing']);
  }, 120_000);

  it('one session per VU: the pool logs in before the load, and no login lands in it', async () => {
    const out = await tempOut();
    const r = await cli(
      ['run', '--config', config('pocketbase'), '--scenario', 'reads', '--profile', 'short', '--target', server.baseUrl, '--out', out],
      {
        env: server.env,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(out);
    const analysis = await checkRun(dir, expected);
    const requests = (n: string) => analysis.endpoints.find((e) => e.name === n)?.total.requests ?? 0;
    expect(requests('notes.get')).toBeGreaterThan(10);
    // The session pool's logins ran in k6's setup(), before the load: none is in the load.
    expect(requests('users.login')).toBe(0);
    const plan = await readJson<{ sessionPool?: Record<string, number> }>(dir, 'plan.json');
    expect(plan.sessionPool).toEqual({ session: 10 });
    const full = await readJson<{ input: { skipped: { setup?: number } } }>(dir, 'analysis.json');
    expect(full.input.skipped.setup).toBeGreaterThan(0);
    const setupLogins = (await rawPoints(dir)).filter((p) => p.metric === 'http_reqs' && p.data.tags?.['group'] === '::setup');
    expect(setupLogins).toHaveLength(10);
  }, 120_000);

  it('with the pool off (users.sessions: 0), each VU logs in on its first authenticated request only', async () => {
    const out = await tempOut();
    const file = join(out, 'no-pool.yaml');
    await writeFile(
      file,
      (await readFile(config('pocketbase'), 'utf8')).replace(
        'passwordEnv: POCKETBASE_PASSWORD',
        'passwordEnv: POCKETBASE_PASSWORD\n  sessions: 0',
      ),
    );
    // Two VUs: k6 hands iterations to its pool's VUs in turn, so each VU logs in once.
    const r = await cli(
      [
        'run',
        '--config',
        file,
        '--scenario',
        'reads',
        '--profile',
        'short',
        '--max-vus',
        '2',
        '--target',
        server.baseUrl,
        '--out',
        join(out, 'r'),
      ],
      {
        env: server.env,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(join(out, 'r'));
    const analysis = await checkRun(dir, expected);
    const requests = (n: string) => analysis.endpoints.find((e) => e.name === n)?.total.requests ?? 0;
    expect(requests('notes.get')).toBeGreaterThan(10);
    expect(requests('users.login')).toBeGreaterThan(0);
    expect(requests('users.login')).toBeLessThanOrEqual(2);
  }, 120_000);

  it('a login whose password variable is unset is a config error (exit 2) before any load, not a fallback', async () => {
    const out = await tempOut();
    const r = await cli(['run', '--config', config('pocketbase'), '--profile', 'short', '--target', server.baseUrl, '--out', out], {
      env: { ...server.env, POCKETBASE_PASSWORD: '' },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/read POCKETBASE_PASSWORD, which is not set/);
    expect(await readdir(out)).toEqual([]);
  }, 60_000);
});

/** Every UUID-shaped string in the texts: WriteFreely's access tokens are UUIDs. */
function uuidsIn(texts: Array<[string, string]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [where, text] of texts)
    for (const m of text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)) out.set(m[0], where);
  return out;
}

/**
 * The tokens k6's logins got are not known outside k6, so every UUID a run left anywhere is
 * shown to WriteFreely: none may be a live access token (each must answer 401).
 */
async function expectNoLiveToken(server: ForeignServer, texts: Array<[string, string]>): Promise<void> {
  for (const [uuid, where] of uuidsIn(texts)) {
    const res = await fetch(`${server.baseUrl}/api/me`, {
      headers: { accept: 'application/json', authorization: `Token ${uuid}` },
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    expect(res.status, `a UUID in ${where} is a live WriteFreely access token`).toBe(401);
  }
}

describe('WriteFreely: a login with a nested token (data.access_token), Authorization: Token, a captured post id', () => {
  let server: ForeignServer;
  beforeAll(async () => {
    server = await startWriteFreely();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  const expected = {
    'auth.login': (s: number) => s === 200,
    'account.me': (s: number) => s === 200,
    'account.posts': (s: number) => s === 200,
    'account.anonymous': (s: number) => s === 400,
    'posts.create': (s: number) => s === 201,
    'posts.get': (s: number) => s === 200,
    'posts.delete': (s: number) => s === 204,
    'posts.gone': (s: number) => s === 404,
    'probes.nodeinfo': (s: number) => s === 200,
  };

  /** The pooled run's directory and texts, for the test of its summary.json below. */
  let pooled: { dir: string; texts: Array<[string, string]> } | null = null;

  it('three pooled sessions write, read back by the captured id and delete posts; counts equal k6 raw output; no password or live token in any of its files', async () => {
    const out = await tempOut();
    const r = await cli(['run', '--config', config('writefreely'), '--profile', 'short', '--target', server.baseUrl, '--out', out], {
      env: server.env,
    });
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(out);
    const analysis = await checkRun(dir, expected);
    const total = (n: string) => analysis.endpoints.find((e) => e.name === n)?.total;
    // Every step of every iteration succeeded with the nested token and the captured id.
    expect(total('posts.create')?.outcomes.ok).toBeGreaterThan(4);
    for (const n of ['posts.create', 'posts.get', 'account.me', 'posts.delete', 'posts.gone', 'account.anonymous']) {
      expect(total(n)?.outcomes.ok, n).toBe(total('posts.create')?.requests);
      expect(total(n)?.requests, n).toBe(total('posts.create')?.requests);
    }
    // The session pool: setup() logged each of the three writers in once, before the load.
    const plan = await readJson<{ sessionPool?: Record<string, number>; requestsPerIteration: number }>(dir, 'plan.json');
    expect(plan.sessionPool).toEqual({ writer: 3 });
    expect(plan.requestsPerIteration).toBe(6);
    const setupLogins = (await rawPoints(dir)).filter((p) => p.metric === 'http_reqs' && p.data.tags?.['group'] === '::setup');
    expect(setupLogins.map((p) => [p.data.tags?.['name'], p.data.tags?.['status']])).toEqual([
      ['auth.login', '200'],
      ['auth.login', '200'],
      ['auth.login', '200'],
    ]);
    expect(total('auth.login')?.requests ?? 0).toBe(0);
    // The posts were deleted: only the seeded ones are left.
    const blog = await fetch(`${server.baseUrl}/api/collections/${server.info['collection']}`, { headers: { accept: 'application/json' } });
    expect(await blog.json()).toMatchObject({ data: { total_posts: 2 } });
    const texts = await everyText(dir, r);
    pooled = { dir, texts };
    expectNoSecret(texts, [server.env['WRITEFREELY_PASSWORD'] ?? 'missing']);
    await expectNoLiveToken(server, texts);
  }, 120_000);

  it("the pooled run keeps k6's summary.json, without setup()'s data (the session pool's tokens)", async () => {
    expect(pooled, 'the pooled run above did not finish').not.toBeNull();
    const summary = pooled?.texts.filter(([where]) => where === 'summary.json') ?? [];
    expect(summary).toHaveLength(1);
    expect(summary[0]?.[1]).not.toContain('setup_data');
    await expectNoLiveToken(server, summary);
  });

  it('with the pool off (users.sessions: 0), each VU logs in inside the load, as its own writer', async () => {
    const out = await tempOut();
    const file = join(out, 'no-pool.yaml');
    await writeFile(file, (await readFile(config('writefreely'), 'utf8')).replace('  sessions: 3\n', '  sessions: 0\n'));
    // Two VUs, two writers (VU n logs in as lg-writer-n): no alias is tried twice within WriteFreely's 3 s throttle.
    const r = await cli(
      [
        'run',
        '--config',
        file,
        '--scenario',
        'reading',
        '--profile',
        'short',
        '--max-vus',
        '2',
        '--target',
        server.baseUrl,
        '--out',
        join(out, 'r'),
      ],
      { env: server.env },
    );
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(join(out, 'r'));
    const analysis = await checkRun(dir, expected);
    const total = (n: string) => analysis.endpoints.find((e) => e.name === n)?.total;
    expect(total('account.me')?.outcomes.ok).toBeGreaterThan(10);
    for (const n of ['account.me', 'account.posts', 'probes.nodeinfo']) expect(total(n)?.outcomes.http4xx, n).toBe(0);
    // The logins are in the load now, each answered with a token the later steps used.
    expect(total('auth.login')?.requests).toBeGreaterThan(0);
    expect(total('auth.login')?.requests).toBeLessThanOrEqual(2);
    expect(total('auth.login')?.outcomes.ok).toBe(total('auth.login')?.requests);
    const plan = await readJson<{ sessionPool?: Record<string, number> }>(dir, 'plan.json');
    expect(plan.sessionPool ?? {}).toEqual({});
    const texts = await everyText(dir, r);
    expectNoSecret(texts, [server.env['WRITEFREELY_PASSWORD'] ?? 'missing']);
    await expectNoLiveToken(server, texts);
  }, 120_000);
});
