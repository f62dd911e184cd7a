/**
 * The one place for defaults. They fit the bundled reference API (target/) exactly; another
 * API fits by overriding paths, methods, bodies and token fields in a config file.
 * Pure data: the k6 scripts bundle it too (for `k6 run dist/<scenario>.js` without the CLI).
 */

export interface EndpointDefaults {
  readonly group: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  readonly path: string;
  readonly body?: unknown;
  readonly auth: 'none' | 'bearer';
  /** A duration such as "2s"; null means `defaultTimeout`. */
  readonly timeout: string | null;
  readonly expectStatus: readonly number[];
  readonly expectField: string | null;
  readonly probe: boolean;
  readonly enabled: boolean;
}

const get = (group: string, path: string, expectField: string | null, extra: Partial<EndpointDefaults> = {}): EndpointDefaults => ({
  group,
  method: 'GET',
  path,
  auth: 'none',
  timeout: null,
  expectStatus: [200],
  expectField,
  probe: false,
  enabled: true,
  ...extra,
});

/** Endpoint names are stable: they become k6's `name` tag, report rows and Grafana series. */
export const DEFAULT_ENDPOINTS = {
  'auth.login': get('auth', '/api/auth/login', 'accessToken', {
    method: 'POST',
    body: { email: '{{email}}', password: '{{password}}' },
  }),
  'auth.2fa_status': get('auth', '/api/auth/2fa/status', 'enabled', { auth: 'bearer' }),
  'auth.request_email_verify': get('auth', '/api/auth/request-email-verify', null, {
    method: 'POST',
    auth: 'bearer',
    expectStatus: [200, 202],
  }),
  'auth.refresh': get('auth', '/api/auth/refresh', 'accessToken', {
    method: 'POST',
    body: { refreshToken: '{{refreshToken}}' },
  }),
  'auth.logout': get('auth', '/api/auth/logout', null, { method: 'POST', auth: 'bearer', expectStatus: [200, 204] }),
  'user.me': get('user', '/api/me', 'email', { auth: 'bearer' }),
  'user.profile_get': get('user', '/api/user/profile', 'displayName', { auth: 'bearer' }),
  'user.profile_update': get('user', '/api/user/profile', 'displayName', {
    method: 'PUT',
    auth: 'bearer',
    body: { displayName: 'Load User {{vu}}-{{iter}}' },
  }),
  'monitoring.health': get('monitoring', '/api/monitoring/health', 'status'),
  'monitoring.metrics': get('monitoring', '/api/monitoring/metrics', null),
  'monitoring.performance': get('monitoring', '/api/monitoring/performance', null),
  'probes.health': get('probes', '/health', null, { probe: true }),
  'probes.ready': get('probes', '/ready', null, { probe: true }),
  'probes.live': get('probes', '/live', null, { probe: true }),
} satisfies Record<string, EndpointDefaults>;

/**
 * A k6 Rate metric the scripts add to for every request (true = client timeout, error_code
 * 1050): k6 has no timeout metric of its own. It backs timeout-rate thresholds and live progress.
 */
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
  /** A journey iteration picks one flow by these weights, as a user population would. */
  journey: { weights: { auth: 2, user: 5, monitoring: 3 } as Record<string, number> },
  outDir: 'results',
  /** The threshold set verdicts use; null picks the run's phase, else `production`. */
  thresholdSet: null as string | null,
};
export type DefaultConfig = typeof DEFAULT_CONFIG;
