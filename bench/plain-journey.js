// A hand-written plain k6 script doing what the bundled `journey` scenario does: the same
// flows, requests, name tags, timeouts and checks. The harness-overhead benchmark runs it
// against dist/run/flow.js with the same executor, the same k6 and the same outputs.
// Its checks per endpoint (expected statuses, body shape) are in plain-journey-checks.json,
// which the bench compares with the harness's plan: the same checks, not only as many. As the
// harness does under `loadgate run`: the expected statuses go to k6 (responseCallback, so
// http_req_failed records them), and a body that does not have the expected shape adds 1 to
// the loadgate_body_mismatches counter (nothing for one that does).
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import exec from 'k6/execution';

const BASE = __ENV.BASE_URL;
const CHECKS = JSON.parse(open('./plain-journey-checks.json'));
const PASSWORD = __ENV.LOADGATE_PASSWORD;
const T = '2000ms';
const MISMATCHES = new Counter('loadgate_body_mismatches');
// No timeout Rate: the bench's thresholds (the production set, no timeouts) count timeouts on
// k6's own request counter by error_code, and the harness adds no such sample either.
// The same request headers the bench's config gives the harness (target.headers), on every request.
const BASE_HEADERS = { Accept: 'application/json' };
const JSON_HEADERS = { Accept: 'application/json', 'Content-Type': 'application/json' };
// The same expected statuses reach k6 as the harness hands it (responseCallback), built once.
const CALLBACKS = new Map();
function callback(expect) {
  const key = expect.join(',');
  if (!CALLBACKS.has(key)) CALLBACKS.set(key, http.expectedStatuses(...expect));
  return CALLBACKS.get(key);
}

export const options = {
  scenarios: {
    journey: { executor: 'constant-vus', vus: Number(__ENV.VUS || 10), duration: __ENV.DURATION || '20s' },
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
};

// The body shapes the harness checks: fields of a JSON object, a text it contains, or nothing.
function bodyOk(r, shape) {
  if (shape === null) return true;
  if (shape.empty) return r.body === null || r.body.length === 0;
  if (shape.contains !== undefined) return typeof r.body === 'string' && r.body.indexOf(shape.contains) >= 0;
  try {
    const b = r.json();
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
    for (let i = 0; i < shape.json.length; i++) if (!Object.hasOwn(b, shape.json[i])) return false;
    return true;
  } catch (_e) {
    return false;
  }
}

function req(method, path, body, name, token) {
  const expect = CHECKS[name].expectStatus;
  const shape = CHECKS[name].expectBody;
  const headers = body === null ? BASE_HEADERS : JSON_HEADERS;
  const h = token ? Object.assign({}, headers, { Authorization: 'Bearer ' + token }) : headers;
  const res = http.request(method, BASE + path, body, {
    tags: { name },
    timeout: T,
    headers: h,
    responseType: 'text',
    responseCallback: callback(expect),
  });
  if (shape !== null && !bodyOk(res, shape)) MISMATCHES.add(1, { name });
  return res;
}

function email() {
  return 'user' + (((exec.vu.idInTest - 1) % 200) + 1) + '@example.test';
}

function login() {
  const res = req('POST', '/api/auth/login', JSON.stringify({ email: email(), password: PASSWORD }), 'auth.login', null);
  if (res.status !== 200) return null;
  const b = res.json();
  return { access: b.accessToken, refresh: b.refreshToken };
}

function authFlow() {
  let s = login();
  if (!s) return;
  req('GET', '/api/auth/2fa/status', null, 'auth.2fa_status', s.access);
  req('POST', '/api/auth/request-email-verify', null, 'auth.request_email_verify', s.access);
  const r = req('POST', '/api/auth/refresh', JSON.stringify({ refreshToken: s.refresh }), 'auth.refresh', s.access);
  if (r.status === 200) {
    const b = r.json();
    s = { access: b.accessToken, refresh: b.refreshToken };
  }
  req('POST', '/api/auth/logout', null, 'auth.logout', s.access);
}

let session = null;
function userFlow() {
  if (!session) session = login();
  if (!session) return;
  const calls = [
    ['GET', '/api/me', null, 'user.me'],
    ['GET', '/api/user/profile', null, 'user.profile_get'],
    [
      'PUT',
      '/api/user/profile',
      () => JSON.stringify({ displayName: 'Load User ' + exec.vu.idInTest + '-' + exec.vu.iterationInScenario }),
      'user.profile_update',
    ],
  ];
  for (const [m, p, b, n] of calls) {
    const res = req(m, p, b ? b() : null, n, session.access);
    if (res.status === 401) {
      session = login();
      if (!session) return;
    }
  }
}

const MON = [
  ['/api/monitoring/health', 'monitoring.health', 3],
  ['/api/monitoring/metrics', 'monitoring.metrics', 1],
  ['/api/monitoring/performance', 'monitoring.performance', 1],
  ['/health', 'probes.health', 1],
  ['/ready', 'probes.ready', 1],
  ['/live', 'probes.live', 1],
];
function monitoringFlow() {
  let r = Math.random() * 8;
  for (const [p, n, w] of MON) {
    if (r < w) return void req('GET', p, null, n, null);
    r -= w;
  }
}

export default function () {
  const r = Math.random() * 10;
  if (r < 2) authFlow();
  else if (r < 7) userFlow();
  else monitoringFlow();
}
