/**
 * The one place for defaults. They fit the bundled reference API (target/) exactly; another
 * API fits by overriding paths, methods, bodies and token fields in a config file.
 * Pure data: the k6 scripts bundle it too (for `k6 run dist/<scenario>.js` without the CLI).
 */
import type { BodyCheck } from '../plan/schema.ts';
import type { LoadProfile } from './profiles.ts';

export interface EndpointDefaults {
  readonly group: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  readonly path: string;
  readonly body?: unknown;
  readonly auth: 'none' | 'bearer';
  /** A duration such as "2s"; null means `defaultTimeout`. */
  readonly timeout: string | null;
  readonly expectStatus: readonly number[];
  /** The body-shape check of a success (lib/plan/schema.ts `BodyCheckSchema`); null checks no body. */
  readonly expectBody: BodyCheck | null;
  readonly probe: boolean;
  readonly enabled: boolean;
}

const get = (group: string, path: string, expectBody: BodyCheck | null, extra: Partial<EndpointDefaults> = {}): EndpointDefaults => ({
  group,
  method: 'GET',
  path,
  auth: 'none',
  timeout: null,
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
 * Every body check is what the reference API answers (target/README.md, "Endpoints").
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
    'monitoring.health': get('monitoring', '/api/monitoring/health', json('status')),
    // Prometheus text exposition, not JSON: the request counter every scrape should carry.
    'monitoring.metrics': get('monitoring', '/api/monitoring/metrics', { contains: 'http_requests_total' }),
    'monitoring.performance': get('monitoring', '/api/monitoring/performance', json('routes')),
    'probes.health': get('probes', '/health', json('status'), { probe: true }),
    'probes.ready': get('probes', '/ready', json('status'), { probe: true }),
    'probes.live': get('probes', '/live', json('status'), { probe: true }),
  } satisfies Record<string, EndpointDefaults>;
}

/**
 * A k6 Rate metric the scripts add to for every request (true = client timeout, error_code
 * 1050): k6 has no timeout metric of its own. It backs timeout-rate thresholds and live progress.
 */
/** The `phase` tag of a run given no phase (InfluxDB has no empty tag values; Grafana filters on it). */
export const NO_PHASE = 'none';

export const TIMEOUT_METRIC = 'loadgate_timeouts';

export const SCENARIO_NAMES = ['auth', 'user', 'monitoring', 'journey'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Which endpoints each flow calls, in order (auth, user) or by weight (monitoring). */
export const FLOWS = {
  auth: ['auth.login', 'auth.2fa_status', 'auth.request_email_verify', 'auth.refresh', 'auth.logout'],
  user: ['user.me', 'user.profile_get', 'user.profile_update'],
} as const;

/** Relative weights of monitoring endpoints within the monitoring flow (one request per iteration). */
export const MONITORING_WEIGHTS: Record<string, number> = {
  'monitoring.health': 3,
  'monitoring.metrics': 1,
  'monitoring.performance': 1,
  'probes.health': 1,
  'probes.ready': 1,
  'probes.live': 1,
};

export const DEFAULT_CONFIG = {
  target: { baseUrl: 'http://127.0.0.1:8080' },
  defaultTimeout: '2s',
  endpoints: DEFAULT_ENDPOINTS as Record<string, EndpointDefaults>,
  tokens: { access: 'accessToken', refresh: 'refreshToken' },
  users: { emailTemplate: 'user{{i}}@example.test', count: 200, passwordEnv: 'LOADGATE_PASSWORD' },
  load: {
    /** The target request rate the profiles scale (their 100 %). */
    rps: 100,
    /** Multiplies every stage duration: 0.1 runs the same shapes ten times faster (CI). */
    durationScale: 1,
    /** VU cap for arrival-rate executors; null derives it from the rate and the timeouts. */
    maxVUs: null as number | null,
  },
  /**
   * Load profiles of the config's own, beside the built-in ones (lib/shared/profiles.ts), which
   * they may not rename: `loadgate run --profile NAME` picks either.
   */
  profiles: {} as Record<string, LoadProfile>,
  /** A journey iteration picks one flow by these weights, as a user population would. */
  journey: { weights: { auth: 2, user: 5, monitoring: 3 } as Record<string, number> },
  outDir: 'results',
  /** The threshold set verdicts use; null picks the run's phase, else `production`. */
  thresholdSet: null as string | null,
};
export type DefaultConfig = typeof DEFAULT_CONFIG;
