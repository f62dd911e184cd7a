/**
 * The reference API: the default system under test. Plain node:http on loopback only, real
 * JWTs, real password hashing, a simulated connection pool as the shared bottleneck, and
 * metrics from its own traffic. Profiles (profiles.ts) decide how remediated it is.
 *
 * The hot path is kept lean on purpose: routing is one Map lookup, headers are precomputed per
 * profile, token verification is cached briefly, and metrics are preallocated arrays, so that the
 * server itself is never the limit of a phase3 run.
 */
import { REFERENCE_API_HEADER } from '../lib/shared/defaults.ts';
import { isLoopback } from './loopback.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { z } from 'zod';
import { Metrics, RECENT_WINDOW_MS, UNMATCHED, type Gauge } from './metrics.ts';
import { AbandonedError, Pool, PoolTimeoutError } from './pool.ts';
import { resolveProfile, ROUTE_NAMES, type Profile, type ProfileName, type ProfileOverrides, type RouteName } from './profiles.ts';
import { createRng, sampleLatency, type Rng } from './rng.ts';
import { TokenService, type Claims } from './tokens.ts';
import { seedUsers, verifyPassword, type User } from './users.ts';

export type { Profile, ProfileName, ProfileOverrides } from './profiles.ts';

export interface StartTargetOptions {
  profile: ProfileName | Profile;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback only: 127.0.0.1 (default), another 127.x address, ::1 or localhost. */
  host?: string;
  /** Seeds pool jitter and fault draws; overrides profile.faults.seed. */
  seed?: number;
  /** Merged over the profile and validated again, e.g. `{ faults: { routes: { 'GET /api/me': { fixedMs: 3000 } } } }`. */
  overrides?: ProfileOverrides;
}

export interface RunningTarget {
  url: string;
  port: number;
  host: string;
  profile: Profile;
  close(): Promise<void>;
}

const VERSION = '1.0.0';

export { isLoopback };

/** Starts the reference API and resolves once it listens. */
export async function startTarget(opts: StartTargetOptions): Promise<RunningTarget> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`the reference API listens on loopback only; "${host}" is not a loopback address`);
  const profile = resolveProfile(opts.profile, opts.overrides, opts.seed);
  const app = await createApp(profile);
  const server = createServer({ keepAliveTimeout: profile.http.keepAliveTimeoutMs }, app.handle);
  server.headersTimeout = Math.max(60_000, profile.http.keepAliveTimeoutMs + 1_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    profile,
    close: () => (closing ??= closeServer(server, app)),
  };
}

async function closeServer(server: Server, app: App): Promise<void> {
  app.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Requests in flight get a moment to finish; then every connection goes.
  const grace = setTimeout(() => server.closeAllConnections(), 500);
  await closed;
  clearTimeout(grace);
  app.dispose();
}

// ---------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Ctx {
  req: IncomingMessage;
  body: unknown;
  claims: Claims | null;
  abandoned: () => boolean;
}

interface Route {
  name: RouteName;
  bodyKind: 'json' | 'none';
  auth: boolean;
  handler: (ctx: Ctx) => Promise<Reply> | Reply;
}

interface App {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  draining: boolean;
  dispose(): void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body['error']));
  }
}

const gzip = promisify(gzipCb);

const ProfileUpdateSchema = z
  .object({
    displayName: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    bio: z.string().max(500, 'must be at most 500 characters').optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a locale such as "en" or "en-US"')
      .optional(),
    timezone: z.string().min(1).max(64).optional(),
  })
  .strict();

async function createApp(profile: Profile): Promise<App> {
  const startedAt = Date.now();
  const users = await seedUsers(profile);
  const usersById = new Map<string, User>();
  for (const u of users.values()) usersById.set(u.id, u);
  // Two streams from one seed, so adding a fault does not shift the pool's jitter draws.
  const pool = new Pool(profile.pool, createRng(profile.faults.seed * 2 + 1));
  const faultRng: Rng = createRng(profile.faults.seed * 2 + 2);
  const tokens = new TokenService({ ...profile.tokens, verifyTtlMs: profile.cache.tokenVerifyTtlMs });
  const metrics = new Metrics();
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const eldReset = setInterval(() => eld.reset(), 10_000).unref();
  const userCache = new Map<string, number>();
  let healthCache: { until: number; latencyMs: number } | null = null;

  const app: App = {
    handle,
    draining: false,
    dispose() {
      pool.close();
      tokens.close();
      eld.disable();
      clearInterval(eldReset);
    },
  };

  // Response headers, computed once per profile.
  const security: Record<string, string> = profile.security.headers
    ? {
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      }
    : {};
  // Bearer tokens, no cookies: a wildcard origin is what a public API may send (phase1); a
  // restricted one names the app's origins and echoes the caller's when it is one of them.
  const corsWildcard = profile.security.cors && profile.security.corsOrigins.includes('*');
  const corsOrigins = new Set(profile.security.cors && !corsWildcard ? profile.security.corsOrigins : []);
  const cors: Record<string, string> = corsWildcard ? { 'Access-Control-Allow-Origin': '*' } : {};
  // Identifies the reference API to loadgate's pre-flight: only here may a run fall back to the demo password.
  const baseHeaders = { [REFERENCE_API_HEADER]: 'loadgate', ...security, ...cors };

  // ---- faults -----------------------------------------------------------------------------
  type Fault = { latency: Array<NonNullable<Profile['faults']['latency']>>; errorRate: number; errorStatus: number };
  const faults = new Map<RouteName, Fault>();
  for (const name of ROUTE_NAMES) {
    const f = profile.faults;
    const r = f.routes?.[name];
    const latency = [f.latency, r?.latency, r?.fixedMs === undefined ? undefined : { dist: 'fixed' as const, ms: r.fixedMs }].filter(
      (l): l is NonNullable<typeof l> => l !== undefined,
    );
    const errorRate = r?.errorRate ?? f.errorRate?.[name] ?? 0;
    if (latency.length > 0 || errorRate > 0) faults.set(name, { latency, errorRate, errorStatus: r?.errorStatus ?? 500 });
  }

  // ---- helpers ----------------------------------------------------------------------------
  const db = (ctx: Ctx) => pool.query(ctx.abandoned);

  function userOf(ctx: Ctx): User {
    const u = ctx.claims ? usersById.get(ctx.claims.userId) : undefined;
    if (!u) throw new HttpError(401, { error: 'unauthorized', reason: 'unknown_user' });
    return u;
  }

  /** A user read: from the cache when the profile has one and it is fresh, else one query. */
  async function readUser(ctx: Ctx): Promise<User> {
    const u = userOf(ctx);
    if (profile.cache.userTtlMs > 0) {
      const now = Date.now();
      if ((userCache.get(u.id) ?? 0) > now) return u;
      await db(ctx);
      userCache.set(u.id, now + profile.cache.userTtlMs);
      return u;
    }
    await db(ctx);
    return u;
  }

  function field(body: unknown, name: string): string {
    const v = (body as Record<string, unknown>)[name];
    if (typeof v !== 'string' || v.length === 0) {
      throw new HttpError(400, { error: 'invalid_body', field: name, message: `${name} must be a non-empty string` });
    }
    return v;
  }

  function retryAfter(lockedUntil: number): string {
    return String(Number.isFinite(lockedUntil) ? Math.max(1, Math.ceil((lockedUntil - Date.now()) / 1000)) : 86_400);
  }

  function publicProfile(u: User) {
    return { id: u.id, email: u.email, ...u.profile };
  }

  async function dbCheck(ctx: Ctx): Promise<{ ok: boolean; latencyMs: number }> {
    const now = Date.now();
    if (healthCache && healthCache.until > now) return { ok: true, latencyMs: healthCache.latencyMs };
    const t = performance.now();
    try {
      await db(ctx);
    } catch (err) {
      if (err instanceof PoolTimeoutError) return { ok: false, latencyMs: performance.now() - t };
      throw err;
    }
    const latencyMs = Math.round((performance.now() - t) * 100) / 100;
    if (profile.cache.healthTtlMs > 0) healthCache = { until: now + profile.cache.healthTtlMs, latencyMs };
    return { ok: true, latencyMs };
  }

  function extraMetrics(): Gauge[] {
    return [
      {
        name: 'db_pool_connections',
        help: 'Simulated database connections by state.',
        type: 'gauge',
        samples: [
          { labels: { state: 'busy' }, value: pool.busy },
          { labels: { state: 'idle' }, value: pool.size - pool.busy },
        ],
      },
      { name: 'db_pool_waiting', help: 'Queries waiting for a connection.', type: 'gauge', samples: [{ value: pool.waiting }] },
      { name: 'db_pool_queries_total', help: 'Queries run to completion.', type: 'counter', samples: [{ value: pool.completed }] },
      {
        name: 'db_pool_acquire_timeouts_total',
        help: 'Queries that gave up waiting for a connection.',
        type: 'counter',
        samples: [{ value: pool.timeouts }],
      },
      {
        name: 'db_pool_abandoned_total',
        help: 'Queued queries dropped because their client had gone.',
        type: 'counter',
        samples: [{ value: pool.skipped }],
      },
      { name: 'auth_sessions', help: 'Live sessions.', type: 'gauge', samples: [{ value: tokens.sessionCount }] },
      {
        name: 'nodejs_eventloop_lag_p99_seconds',
        help: 'Event loop delay, p99 over the last 10 s.',
        type: 'gauge',
        samples: [{ value: eld.percentile(99) / 1e9 }],
      },
      {
        name: 'process_uptime_seconds',
        help: 'Seconds since the server started.',
        type: 'gauge',
        samples: [{ value: (Date.now() - startedAt) / 1000 }],
      },
    ];
  }

  // ---- routes -----------------------------------------------------------------------------
  const routeList: Route[] = [
    {
      name: 'POST /api/auth/login',
      bodyKind: 'json',
      auth: false,
      async handler(ctx) {
        const email = field(ctx.body, 'email').toLowerCase();
        const password = field(ctx.body, 'password');
        await db(ctx); // SELECT the user by email
        const user = users.get(email);
        if (user && user.lockedUntil > Date.now()) {
          throw new HttpError(423, { error: 'account_locked' }, { 'Retry-After': retryAfter(user.lockedUntil) });
        }
        if (user && user.lockedUntil > 0) {
          // The lock ran out: the account starts again with a clean count of failures.
          user.lockedUntil = 0;
          user.failedLogins = 0;
        }
        const ok = await verifyPassword(user, password, profile.hashing);
        if (!ok || !user) {
          if (user) {
            user.failedLogins++;
            if (user.failedLogins >= profile.lockout.maxAttempts) user.lockedUntil = Date.now() + profile.lockout.durationS * 1000;
          }
          return { status: 401, body: { error: 'invalid_credentials' } };
        }
        user.failedLogins = 0;
        await db(ctx); // INSERT the session
        return { status: 200, body: await tokens.issue(user.id) };
      },
    },
    {
      name: 'POST /api/auth/refresh',
      bodyKind: 'json',
      auth: false,
      async handler(ctx) {
        const refreshToken = field(ctx.body, 'refreshToken');
        await db(ctx); // UPDATE the session's refresh token
        const pair = await tokens.refresh(refreshToken);
        return pair ? { status: 200, body: pair } : { status: 401, body: { error: 'invalid_refresh_token' } };
      },
    },
    {
      name: 'POST /api/auth/logout',
      bodyKind: 'none',
      auth: true,
      async handler(ctx) {
        await db(ctx); // DELETE the session
        tokens.revoke((ctx.claims as Claims).sessionId);
        return { status: 204 };
      },
    },
    {
      name: 'GET /api/auth/2fa/status',
      bodyKind: 'none',
      auth: true,
      async handler(ctx) {
        const u = userOf(ctx);
        await db(ctx);
        return { status: 200, body: { enabled: u.twoFactor.enabled, methods: u.twoFactor.methods } };
      },
    },
    {
      name: 'POST /api/auth/request-email-verify',
      bodyKind: 'none',
      auth: true,
      async handler(ctx) {
        const u = userOf(ctx);
        await db(ctx); // INSERT the verification request
        return { status: 202, body: { status: u.emailVerified ? 'already_verified' : 'queued', email: u.email } };
      },
    },
    {
      name: 'GET /api/me',
      bodyKind: 'none',
      auth: true,
      async handler(ctx) {
        const u = await readUser(ctx);
        return {
          status: 200,
          body: {
            id: u.id,
            email: u.email,
            displayName: u.profile.displayName,
            emailVerified: u.emailVerified,
            twoFactorEnabled: u.twoFactor.enabled,
            createdAt: u.createdAt,
          },
        };
      },
    },
    {
      name: 'GET /api/user/profile',
      bodyKind: 'none',
      auth: true,
      async handler(ctx) {
        return { status: 200, body: publicProfile(await readUser(ctx)) };
      },
    },
    {
      name: 'PUT /api/user/profile',
      bodyKind: 'json',
      auth: true,
      async handler(ctx) {
        const u = userOf(ctx);
        const parsed = ProfileUpdateSchema.safeParse(ctx.body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const fieldName = issue?.code === 'unrecognized_keys' ? String(issue.keys[0]) : (issue?.path.map(String).join('.') ?? '');
          throw new HttpError(422, {
            error: 'validation_failed',
            field: fieldName || '(body)',
            message: issue?.code === 'unrecognized_keys' ? `unknown field "${fieldName}"` : (issue?.message ?? 'invalid'),
          });
        }
        await db(ctx); // UPDATE … RETURNING
        for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) (u.profile as unknown as Record<string, string>)[k] = v;
        userCache.delete(u.id);
        return { status: 200, body: publicProfile(u) };
      },
    },
    {
      name: 'GET /api/monitoring/health',
      bodyKind: 'none',
      auth: false,
      async handler(ctx) {
        const dbc = await dbCheck(ctx);
        const lagMs = Math.round(eld.percentile(99) / 1e4) / 100;
        const loopOk = lagMs < 200;
        const status = !dbc.ok ? 'down' : loopOk && pool.waiting < pool.size * 10 ? 'ok' : 'degraded';
        return {
          status: dbc.ok ? 200 : 503,
          body: {
            status,
            version: VERSION,
            profile: profile.name,
            uptime: Math.round((Date.now() - startedAt) / 10) / 100,
            checks: {
              database: {
                status: dbc.ok ? 'ok' : 'down',
                latencyMs: dbc.latencyMs,
                pool: { size: pool.size, busy: pool.busy, waiting: pool.waiting },
              },
              eventLoop: { status: loopOk ? 'ok' : 'degraded', lagP99Ms: lagMs },
            },
          },
        };
      },
    },
    {
      name: 'GET /api/monitoring/metrics',
      bodyKind: 'none',
      auth: false,
      handler() {
        return { status: 200, text: metrics.render(extraMetrics()), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
      },
    },
    {
      name: 'GET /api/monitoring/performance',
      bodyKind: 'none',
      auth: false,
      handler() {
        return {
          status: 200,
          body: {
            windowS: RECENT_WINDOW_MS / 1000,
            routes: metrics.performance(),
            pool: { size: pool.size, busy: pool.busy, waiting: pool.waiting },
          },
        };
      },
    },
    { name: 'GET /health', bodyKind: 'none', auth: false, handler: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      name: 'GET /ready',
      bodyKind: 'none',
      auth: false,
      handler: () => (app.draining ? { status: 503, body: { status: 'draining' } } : { status: 200, body: { status: 'ready' } }),
    },
    { name: 'GET /live', bodyKind: 'none', auth: false, handler: () => ({ status: 200, body: { status: 'alive' } }) },
  ];

  const routes = new Map<string, Map<string, Route>>();
  for (const r of routeList) {
    const [method, path] = r.name.split(' ') as [string, string];
    let byMethod = routes.get(path);
    if (!byMethod) {
      byMethod = new Map();
      routes.set(path, byMethod);
    }
    byMethod.set(method, r);
  }
  const allow = new Map<string, string>();
  for (const [path, byMethod] of routes) allow.set(path, [...byMethod.keys(), ...(profile.security.cors ? ['OPTIONS'] : [])].join(', '));

  // ---- request cycle ----------------------------------------------------------------------
  function send(req: IncomingMessage, res: ServerResponse, route: string, start: number, reply: Reply): void {
    const headers: Record<string, string | number> = { ...baseHeaders, ...reply.headers };
    if (corsOrigins.size > 0) {
      const origin = req.headers.origin;
      if (origin !== undefined && corsOrigins.has(origin)) headers['Access-Control-Allow-Origin'] = origin;
      headers['Vary'] = 'Origin';
    }
    let payload: string | undefined;
    if (reply.text !== undefined) {
      payload = reply.text;
      headers['Content-Type'] = reply.contentType ?? 'text/plain; charset=utf-8';
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    const finish = (data: string | Buffer | undefined) => {
      if (data !== undefined) headers['Content-Length'] = Buffer.byteLength(data);
      else if (reply.status !== 204 && reply.status !== 304) headers['Content-Length'] = 0;
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(reply.status, headers);
        res.end(data);
      }
      metrics.record(route, reply.status, performance.now() - start);
    };
    if (
      payload !== undefined &&
      profile.security.gzip &&
      payload.length >= profile.security.gzipMinBytes &&
      /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')
    ) {
      headers['Content-Encoding'] = 'gzip';
      headers['Vary'] = headers['Vary'] ? `${headers['Vary']}, Accept-Encoding` : 'Accept-Encoding';
      gzip(payload).then(finish, () => {
        delete headers['Content-Encoding'];
        finish(payload);
      });
    } else {
      finish(payload);
    }
  }

  function fail(req: IncomingMessage, res: ServerResponse, route: string, start: number, err: unknown): void {
    if (err instanceof HttpError) return send(req, res, route, start, { status: err.status, body: err.body, headers: err.headers });
    if (err instanceof PoolTimeoutError) {
      return send(req, res, route, start, { status: 503, body: { error: 'db_pool_timeout' }, headers: { 'Retry-After': '1' } });
    }
    if (err instanceof AbandonedError) {
      // The client has gone; nothing to answer. 499 is nginx's "client closed request", for the metrics only.
      metrics.record(route, 499, performance.now() - start);
      return;
    }
    send(req, res, route, start, { status: 500, body: { error: 'internal_error' } });
  }

  function readBody(req: IncomingMessage, limit: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      let size = 0;
      let tooLarge = declared > limit;
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) tooLarge = true;
        if (!tooLarge) chunks.push(chunk);
        // Far past the limit: stop reading and drop the connection rather than swallow it all.
        else if (size > limit * 16) {
          reject(new HttpError(413, { error: 'payload_too_large', limitBytes: limit }, { Connection: 'close' }));
          req.destroy();
        }
      });
      req.on('end', () => {
        // The body was read to its end (and discarded) so the 413 reaches a client still sending.
        if (tooLarge) reject(new HttpError(413, { error: 'payload_too_large', limitBytes: limit }));
        else resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      });
      req.on('error', reject);
    });
  }

  function parseJson(raw: string): unknown {
    if (raw.length === 0) throw new HttpError(400, { error: 'malformed_json', message: 'a JSON body is required' });
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      throw new HttpError(400, { error: 'malformed_json', message: err instanceof Error ? err.message : 'invalid JSON' });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new HttpError(400, { error: 'malformed_json', message: 'the body must be a JSON object' });
    return v;
  }

  function sleep(msDelay: number): Promise<void> {
    return msDelay > 0 ? new Promise((r) => setTimeout(r, msDelay)) : Promise.resolve();
  }

  async function run(req: IncomingMessage, res: ServerResponse, route: Route, start: number): Promise<void> {
    const fault = faults.get(route.name);
    if (fault) {
      let delay = 0;
      for (const l of fault.latency) delay += sampleLatency(l, faultRng);
      await sleep(delay);
      if (fault.errorRate > 0 && faultRng() < fault.errorRate) {
        return send(req, res, route.name, start, { status: fault.errorStatus, body: { error: 'injected_fault', route: route.name } });
      }
    }
    let body: unknown;
    if (route.bodyKind === 'json') body = parseJson(await readBody(req, profile.http.bodyLimitBytes));
    let claims: Claims | null = null;
    if (route.auth) {
      const v = await tokens.verify(req.headers.authorization);
      if (!v.ok) {
        throw new HttpError(
          401,
          { error: 'unauthorized', reason: v.reason },
          { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${v.reason}"` },
        );
      }
      claims = v.claims;
    }
    const socket = req.socket;
    const ctx: Ctx = { req, body, claims, abandoned: () => socket.destroyed };
    send(req, res, route.name, start, await route.handler(ctx));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const byMethod = routes.get(path);
    const method = req.method ?? 'GET';
    if (!byMethod) return send(req, res, UNMATCHED, start, { status: 404, body: { error: 'not_found', path } });
    const route = byMethod.get(method);
    if (!route) {
      if (method === 'OPTIONS' && profile.security.cors) {
        return send(req, res, UNMATCHED, start, {
          status: 204,
          headers: {
            Allow: allow.get(path) ?? '',
            'Access-Control-Allow-Methods': allow.get(path) ?? '',
            'Access-Control-Allow-Headers': 'Authorization, Content-Type',
            'Access-Control-Max-Age': '600',
          },
        });
      }
      return send(req, res, UNMATCHED, start, {
        status: 405,
        body: { error: 'method_not_allowed', allow: allow.get(path) },
        headers: { Allow: allow.get(path) ?? '' },
      });
    }
    run(req, res, route, start).catch((err: unknown) => fail(req, res, route.name, start, err));
  }

  return app;
}
