/**
 * Remediation profiles of the reference API, as validated data. One schema (strict: unknown
 * keys are errors that name their path), one base profile that holds every default, and four
 * named profiles that differ from it only where the remediation plan changed something.
 *
 * The bottleneck is a simulated database connection pool (see pool.ts) that the auth and user
 * handlers queue for, plus password hashing on login. Latency comes from waiting in that queue,
 * never from a fixed sleep: at low load every profile answers in a few milliseconds.
 */
import { z } from 'zod';
import { REFERENCE_API_ORIGIN } from '../lib/shared/defaults.ts';

/** Every route the server knows, by the name metrics, faults and the README use. */
export const ROUTE_NAMES = [
  'POST /api/auth/login',
  'POST /api/auth/refresh',
  'POST /api/auth/logout',
  'GET /api/auth/2fa/status',
  'POST /api/auth/request-email-verify',
  'GET /api/me',
  'GET /api/user/profile',
  'PUT /api/user/profile',
  'GET /api/monitoring/health',
  'GET /api/monitoring/metrics',
  'GET /api/monitoring/performance',
  'GET /health',
  'GET /ready',
  'GET /live',
] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];
const RouteNameSchema = z.enum(ROUTE_NAMES);

const ms = z.number().finite().nonnegative();

/** An added latency, drawn per request from the fault RNG. */
export const LatencySchema = z.discriminatedUnion('dist', [
  z.object({ dist: z.literal('fixed'), ms }).strict(),
  z
    .object({ dist: z.literal('uniform'), minMs: ms, maxMs: ms })
    .strict()
    .refine((l) => l.maxMs >= l.minMs, {
      message: 'maxMs must be >= minMs',
      path: ['maxMs'],
    }),
  z.object({ dist: z.literal('exponential'), meanMs: ms, maxMs: ms.optional() }).strict(),
]);
export type Latency = z.infer<typeof LatencySchema>;

const rate = z.number().min(0).max(1);

/** A fault on one route. `fixedMs: 3000` is shorthand for `latency: { dist: 'fixed', ms: 3000 }`. */
export const RouteFaultSchema = z
  .object({
    latency: LatencySchema.optional(),
    fixedMs: ms.optional(),
    errorRate: rate.optional(),
    /** Status of an injected error (default 500). */
    errorStatus: z.number().int().min(400).max(599).optional(),
  })
  .strict();
export type RouteFault = z.infer<typeof RouteFaultSchema>;

export const FaultsSchema = z
  .object({
    /** Seeds the fault RNG and the pool's service-time jitter: same seed, same draws. */
    seed: z.number().int().nonnegative(),
    /** Added to every route. */
    latency: LatencySchema.optional(),
    /** Injected error rate per route, 0..1. */
    errorRate: z.partialRecord(RouteNameSchema, rate).optional(),
    /** Per-route faults, added on top of `latency`. */
    routes: z.partialRecord(RouteNameSchema, RouteFaultSchema).optional(),
  })
  .strict();

export const ProfileSchema = z
  .object({
    name: z.string().min(1),
    description: z.string(),
    users: z.object({ count: z.number().int().min(1).max(100_000) }).strict(),
    pool: z
      .object({
        /** Connections: at most this many queries run at once; the rest wait in FIFO order. */
        size: z.number().int().min(1).max(1024),
        /** Mean service time of one query. */
        queryMs: ms,
        /** Service time is uniform in queryMs × [1 - jitter, 1 + jitter]. */
        jitter: z.number().min(0).max(1),
        /** A query that waited this long for a connection fails with 503. */
        acquireTimeoutMs: z.number().int().positive(),
        /** Drop queued queries whose client has gone (timed out) instead of running them anyway. */
        skipAbandoned: z.boolean(),
      })
      .strict(),
    hashing: z
      .object({
        /** PBKDF2-HMAC-SHA256 iterations per password check. */
        iterations: z.number().int().min(1).max(10_000_000),
        /** `sync` hashes on the event loop (stalls every route); `async` on libuv's thread pool. */
        mode: z.enum(['sync', 'async']),
      })
      .strict(),
    cache: z
      .object({
        /** Serve /api/me and GET /api/user/profile from memory for this long (0 = always query). */
        userTtlMs: ms,
        /** Reuse the database check of /api/monitoring/health for this long (0 = query each time). */
        healthTtlMs: ms,
        /** Reuse a verified access token's claims for this long; revocation is still checked per request. */
        tokenVerifyTtlMs: ms,
      })
      .strict(),
    tokens: z
      .object({
        accessTtlS: z.number().int().positive(),
        refreshTtlS: z.number().int().positive(),
      })
      .strict(),
    lockout: z
      .object({
        /** Failed logins in a row that lock the account. */
        maxAttempts: z.number().int().positive(),
        durationS: z.number().int().positive(),
      })
      .strict(),
    http: z
      .object({
        /** Larger request bodies get 413. */
        bodyLimitBytes: z.number().int().positive(),
        keepAliveTimeoutMs: z.number().int().positive(),
      })
      .strict(),
    security: z
      .object({
        headers: z.boolean(),
        cors: z.boolean(),
        gzip: z.boolean(),
        /** Responses at least this large are gzipped when the client accepts it. */
        gzipMinBytes: z.number().int().nonnegative(),
        /** With `cors`: the origins CORS admits (echoed in Access-Control-Allow-Origin); `*` admits every origin. */
        corsOrigins: z.array(z.string().min(1)).min(1),
      })
      .strict(),
    faults: FaultsSchema,
  })
  .strict();

export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;

/** A recursive partial of a profile, merged over a named profile (records merge, the rest replaces). */
export type ProfileOverrides = DeepPartial<ProfileInput>;
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The one place for defaults: the named profiles spread it and change what their phase changed. */
const BASE: Profile = {
  name: 'base',
  description: '',
  users: { count: 200 },
  pool: { size: 2, queryMs: 30, jitter: 0.5, acquireTimeoutMs: 10_000, skipAbandoned: false },
  hashing: { iterations: 200_000, mode: 'sync' },
  cache: { userTtlMs: 0, healthTtlMs: 0, tokenVerifyTtlMs: 30_000 },
  tokens: { accessTtlS: 900, refreshTtlS: 86_400 },
  lockout: { maxAttempts: 5, durationS: 900 },
  http: { bodyLimitBytes: 64 * 1024, keepAliveTimeoutMs: 65_000 },
  security: { headers: true, cors: true, gzip: true, gzipMinBytes: 1024, corsOrigins: ['*'] },
  faults: { seed: 1 },
};

const PROFILES = {
  baseline: {
    ...BASE,
    name: 'baseline',
    description:
      'Before remediation: 2 pooled connections at ~30 ms a query, password hashing on the event loop, no caching, no security headers or gzip.',
    security: { headers: false, cors: false, gzip: false, gzipMinBytes: 1024, corsOrigins: ['*'] },
  },
  phase1: {
    ...BASE,
    name: 'phase1',
    description:
      'Hashing moved off the event loop at half the cost, pool at 5 connections, production headers and gzip on, CORS open to every origin.',
    pool: { ...BASE.pool, size: 5, queryMs: 25 },
    hashing: { iterations: 100_000, mode: 'async' },
  },
  phase2: {
    ...BASE,
    name: 'phase2',
    description:
      "Indexed queries (~20 ms), 7 connections, abandoned requests dropped from the queue, health check cached, CORS restricted to the app's origin.",
    pool: { ...BASE.pool, size: 7, queryMs: 20, skipAbandoned: true },
    hashing: { iterations: 50_000, mode: 'async' },
    cache: { ...BASE.cache, healthTtlMs: 1_000 },
    security: { ...BASE.security, corsOrigins: [REFERENCE_API_ORIGIN] },
  },
  phase3: {
    ...BASE,
    name: 'phase3',
    description: '16 connections at ~5 ms, user reads cached for 5 s, hashing cost tuned for the login budget.',
    pool: { ...BASE.pool, size: 16, queryMs: 5, skipAbandoned: true, acquireTimeoutMs: 2_000 },
    hashing: { iterations: 20_000, mode: 'async' },
    cache: { ...BASE.cache, userTtlMs: 5_000, healthTtlMs: 1_000 },
    security: { ...BASE.security, corsOrigins: [REFERENCE_API_ORIGIN] },
  },
} as const satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;
export const profileNames = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}

/** Thrown for an unknown profile name or a profile that does not validate; the message names the path. */
export class ProfileError extends Error {
  override name = 'ProfileError';
}

/** A validated copy of a named profile. */
export function loadProfile(name: string): Profile {
  if (!isProfileName(name)) {
    throw new ProfileError(`unknown profile "${name}"; valid profiles: ${profileNames.join(', ')}`);
  }
  return parseProfile(structuredClone(PROFILES[name]));
}

/** Validates profile data; errors read like `profile.pool.size must be ...`. */
export function parseProfile(input: unknown): Profile {
  const result = ProfileSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = ['profile', ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return `${path}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path}: ${issue.message}`;
  });
  throw new ProfileError(lines.join('; '));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

/** A named profile (or a full one) with overrides merged in, validated again. */
export function resolveProfile(profile: ProfileName | Profile, overrides?: ProfileOverrides, seed?: number): Profile {
  const base = typeof profile === 'string' ? loadProfile(profile) : parseProfile(profile);
  let merged = overrides === undefined ? base : deepMerge(base, overrides);
  if (seed !== undefined) merged = deepMerge(merged, { faults: { seed } });
  return parseProfile(merged);
}
