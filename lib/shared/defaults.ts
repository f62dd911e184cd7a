/**
 * The one place for the reference API's catalogue: its endpoints, its login strategy and its
 * flows, in the same model any other API's config uses (lib/config/schema.ts). They fit the
 * bundled reference API (reference-api/) exactly; a config file builds on them (`extends:
 * reference-api`, the default) or starts from nothing (`extends: none`).
 * Pure data: the k6 scripts bundle it too (for `k6 run dist/<scenario>.js` without the CLI).
 */
import type { BodyCheck } from '../contract/plan.ts';

/** An endpoint of the catalogue, every field written out (the config's field defaults aside). */
export interface EndpointDefaults {
  readonly group: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  readonly bodyType: 'json' | 'form' | 'text';
  /** An auth strategy's name, or 'none'. */
  readonly auth: string;
  /** A duration such as "2s"; null means `defaultTimeout`. */
  readonly timeout: string | null;
  readonly weight: number;
  readonly expectStatus: ReadonlyArray<number | string | { min: number; max: number }>;
  /** The body-shape check of a success (lib/contract/plan.ts `BodyCheckSchema`); null checks no body. */
  readonly expectBody: BodyCheck | null;
  readonly probe: boolean;
  readonly enabled: boolean;
}

const get = (group: string, path: string, expectBody: BodyCheck | null, extra: Partial<EndpointDefaults> = {}): EndpointDefaults => ({
  group,
  method: 'GET',
  path,
  query: {},
  headers: {},
  bodyType: 'json',
  auth: 'none',
  timeout: null,
  weight: 1,
  expectStatus: [200],
  expectBody,
  probe: false,
  enabled: true,
  ...extra,
});

/** A JSON object with these top-level fields. */
const json = (...fields: [string, ...string[]]): BodyCheck => ({ json: fields });

/**
 * Endpoint names are stable: they become k6's `name` tag, report rows and Grafana series.
 * Every body check is what the reference API answers (reference-api/README.md, "Endpoints").
 */
export const DEFAULT_ENDPOINTS = /* @__PURE__ */ defaultEndpoints();

// A function, so that a bundle which never reads the catalogue (dist/run/*.js) drops it whole.
function defaultEndpoints() {
  return {
    'auth.login': get('auth', '/api/auth/login', json('accessToken'), {
      method: 'POST',
      body: { email: '{{email}}', password: '{{password}}' },
    }),
    'auth.2fa_status': get('auth', '/api/auth/2fa/status', json('enabled'), { auth: 'bearer' }),
    'auth.request_email_verify': get('auth', '/api/auth/request-email-verify', json('status', 'email'), {
      method: 'POST',
      auth: 'bearer',
      expectStatus: [200, 202],
    }),
    'auth.refresh': get('auth', '/api/auth/refresh', json('accessToken'), {
      method: 'POST',
      body: { refreshToken: '{{refreshToken}}' },
    }),
    // 204 No Content: a body here would be a broken logout (or an error page).
    'auth.logout': get('auth', '/api/auth/logout', { empty: true }, { method: 'POST', auth: 'bearer', expectStatus: [200, 204] }),
    'user.me': get('user', '/api/me', json('email'), { auth: 'bearer' }),
    'user.profile_get': get('user', '/api/user/profile', json('displayName'), { auth: 'bearer' }),
    'user.profile_update': get('user', '/api/user/profile', json('displayName'), {
      method: 'PUT',
      auth: 'bearer',
      body: { displayName: 'Load User {{vu}}-{{iter}}' },
    }),
    // The monitoring flow picks one of these per iteration by weight: health is polled most.
    'monitoring.health': get('monitoring', '/api/monitoring/health', json('status'), { weight: 3 }),
    // Prometheus text exposition, not JSON: the request counter every scrape should carry.
    'monitoring.metrics': get('monitoring', '/api/monitoring/metrics', { contains: 'http_requests_total' }),
    'monitoring.performance': get('monitoring', '/api/monitoring/performance', json('routes')),
    'probes.health': get('probes', '/health', json('status'), { probe: true }),
    'probes.ready': get('probes', '/ready', json('status'), { probe: true }),
    'probes.live': get('probes', '/live', json('status'), { probe: true }),
  } satisfies Record<string, EndpointDefaults>;
}

/**
 * The k6 system tags a run's samples carry (the plan's `systemTags`): what the analysis and the
 * live path read of a sample (its endpoint, status, error code, scenario, check, and the
 * `::setup` group), and nothing else.
 */
export const RAW_SYSTEM_TAGS = ['name', 'status', 'error_code', 'scenario', 'check', 'group'] as const;

/**
 * k6's `error_code`s of a timed-out request: 1050 the request (its client timeout), 1211 the
 * connection (a dial timeout). The analysis counts both as timeouts (outcomes timeout and dialTimeout).
 */
export const K6_TIMEOUT_ERROR_CODES = [1050, 1211] as const;

/**
 * A k6 Rate metric the scripts add to for every request (true = client timeout), only when a k6
 * threshold reads it: a timeout target above 0, a share that k6's own metrics cannot express
 * (thresholds/k6.ts). A target of 0 and the live progress count timeouts on k6's request
 * counter by its `error_code` tag instead, with no extra sample per request.
 */
export const TIMEOUT_METRIC = 'loadgate_timeouts';

/**
 * A k6 Counter a VU adds 1 to for every answer whose body does not have its endpoint's expected
 * shape (`expectBody`), under `loadgate run`: the body checks are counted by their failures only,
 * with no sample at all for an answer that passes (one line less on every request). The analysis
 * counts an endpoint's passes as its requests less its mismatches (the plan says which endpoints
 * have a body check). The expected status needs no check of its own: k6's `http_req_failed`,
 * which the endpoint's expected statuses drive, already records it on every request. A bundle
 * that k6 runs on its own keeps k6's `check()` for both, for k6's own summary.
 */
export const BODY_MISMATCH_METRIC = 'loadgate_body_mismatches';

/**
 * A k6 Gauge each load VU sets once, on its first iteration, to the epoch ms at which k6 started
 * the scenarios (exec.scenario.startTime): the origin of the plan's stage windows in the raw
 * results. The analysis and the live path place every request in the stage in which it was sent
 * (its end time less its duration, from that origin), so no per-sample `stage` tag is needed: one
 * tag less on every line k6 writes.
 */
export const LOAD_START_METRIC = 'loadgate_load_start';

/**
 * Env var for k6: "1" tags every sample with the run's tags (the plan's k6Options.tags: `testid`,
 * `phase`) and its load stage, for k6's own samples that leave the run directory (the InfluxDB
 * `samples` mode, a k6-operator run). Off under `loadgate run` otherwise: each tag costs on every
 * line k6 writes, and the run directory's plan.json holds the run's id, phase and stages. On by
 * default when k6 runs a bundle on its own, where "0" turns it off.
 */
export const SAMPLE_TAGS_ENV = 'LOADGATE_SAMPLE_TAGS';

/**
 * The k6 sub-metrics of timed-out requests the live progress reads, one per error code (k6's
 * REST API reports a sub-metric only for a threshold key: the plan gives each one a threshold
 * without a rule, which never fails).
 */
export const LIVE_TIMEOUTS_METRICS: readonly string[] = K6_TIMEOUT_ERROR_CODES.map((c) => `http_reqs{error_code:${c}}`);

/** A header every answer of the reference API carries (reference-api/server.ts), so the pre-flight knows it. */
export const REFERENCE_API_HEADER = 'X-Loadgate-Reference-Api';

/** The origin the reference API's CORS allows (reference-api/profiles.ts), and the readiness check asks for by default. */
export const REFERENCE_API_ORIGIN = 'https://app.example.test';

/** The `phase` tag of a run given no phase (InfluxDB has no empty tag values; Grafana filters on it). */
export const NO_PHASE = 'none';

/** The built-in scenarios: flows of the reference API's catalogue, each with its own bundle in dist/. */
export const SCENARIO_NAMES = ['auth', 'user', 'monitoring', 'journey'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const DEFAULT_CONFIG = {
  /** `reference-api`: build on the catalogue below; `none`: start from no endpoints, auth or flows. */
  extends: 'reference-api' as 'reference-api' | 'none',
  target: {
    baseUrl: 'http://127.0.0.1:8080',
    headers: {} as Record<string, string>,
    /** A path probed once before any load; null probes the base URL itself. */
    preflight: null as string | null,
  },
  defaultTimeout: '2s',
  /** The reference API logs in with an email and a password and answers with JWTs. */
  auth: {
    bearer: {
      type: 'login',
      endpoint: 'auth.login',
      token: { json: 'accessToken' },
      header: 'Authorization',
      scheme: 'Bearer',
      refresh: { endpoint: 'auth.refresh', token: { json: 'refreshToken' } },
      reloginOn: [401],
    },
  } as Record<string, unknown>,
  groups: {} as Record<string, { auth?: string }>,
  endpoints: DEFAULT_ENDPOINTS as Record<string, EndpointDefaults>,
  flows: {
    /** login → 2FA status → request-email-verify → refresh → logout, a fresh session each time. */
    auth: {
      steps: ['auth.login', 'auth.2fa_status', 'auth.request_email_verify', 'auth.refresh', 'auth.logout'],
      session: 'iteration',
    },
    /** A logged-in user's reads and an update, one session per VU, a fresh login on 401. */
    user: { steps: ['user.me', 'user.profile_get', 'user.profile_update'], session: 'vu' },
    /** One monitoring or probe request per iteration, by the endpoints' weights. */
    monitoring: { pick: { groups: ['monitoring', 'probes'] } },
    /** A weighted mix of the flows, as a user population would produce. */
    journey: { mix: { auth: 2, user: 5, monitoring: 3 } },
  } as Record<string, unknown>,
  scenario: 'journey' as string | null,
  /**
   * The test users. `sessions` of them log in once before the load (k6's setup()); the VUs of
   * `vu`-session flows share those sessions, so no login lands in the load the plan offers.
   */
  users: { emailTemplate: 'user{{i}}@example.test', count: 200, passwordEnv: 'LOADGATE_PASSWORD', sessions: 10 },
  load: {
    /** The target request rate the profiles scale (their 100 %). */
    rps: 100,
    /** Multiplies every stage duration: 0.1 runs the same shapes ten times faster (CI). */
    durationScale: 1,
    /** VU cap for arrival-rate executors; null derives it from the rate and the timeouts. */
    maxVUs: null as number | null,
    /** k6 processes the test is split across (k6 execution segments); 1 runs one process. */
    segments: 1,
  },
  /**
   * Load profiles of the config's own, beside the built-in ones (lib/config/profiles.ts), which
   * they may not rename: `loadgate run --profile NAME` picks either. None by default (their
   * type is lib/config/schema.ts's LoadProfile; this layer stays below the config).
   */
  profiles: {} as Record<string, never>,
  outDir: 'results',
  /** The threshold set verdicts use; null picks the run's phase, else `production`. */
  thresholdSet: null as string | null,
  /**
   * The readiness checks that run beside the load (lib/config/schema.ts ReadinessConfigSchema,
   * docs/verdicts.md "Production readiness"). They fit the reference API: its CORS allows
   * REFERENCE_API_ORIGIN, and monitoring.metrics is its Prometheus endpoint.
   */
  readiness: {
    /**
     * On by default: every run answers how far the system is from production, readiness included.
     * They add about four requests a second beside the load, kept out of every load figure; a
     * config switches them off with `readiness: { enabled: false }`, or one check at a time.
     */
    enabled: true,
    /** Iterations per second of the readiness scenario: at most four requests each. */
    rate: 1,
    timeout: '2s',
    securityHeaders: { enabled: true, endpoints: null as string[] | null, hsts: 'auto' as 'auto' | 'always' | 'never' },
    cors: {
      enabled: true,
      endpoint: null as string | null,
      allowedOrigin: REFERENCE_API_ORIGIN as string | null,
      refusedOrigin: 'https://elsewhere.example.test',
      requestHeaders: ['authorization', 'content-type'],
    },
    compression: { enabled: true, minBytes: 1024 },
    probes: { enabled: true, endpoints: null as string[] | null, maxMs: 100 },
    monitoring: { enabled: true, endpoints: null as string[] | null, prometheus: ['monitoring.metrics'] as string[] },
  },
};
export type DefaultConfig = typeof DEFAULT_CONFIG;

/** What `extends: none` starts from: the settings, without the reference API's catalogue. */
export function emptyCatalogue(): DefaultConfig {
  const c = JSON.parse(JSON.stringify(DEFAULT_CONFIG)) as DefaultConfig;
  c.extends = 'none';
  c.auth = {};
  c.endpoints = {};
  c.flows = {};
  c.scenario = null;
  // The readiness defaults name the reference API's Prometheus endpoint and the origin its CORS
  // allows: another API names its own (`readiness: { cors: { allowedOrigin: … }, monitoring: { prometheus: [...] } }`);
  // until it does, those checks are skipped with that reason (lib/plan/build.ts resolveReadiness).
  c.readiness.monitoring.prometheus = [];
  c.readiness.cors.allowedOrigin = null;
  return c;
}
