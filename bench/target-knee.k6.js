// Open-model load on the reference API for bench/target-knee.ts: a journey-like mix (20 % auth
// flow of 5 requests, 50 % user flow of 3, 30 % one monitoring/probe request) started at a
// constant arrival rate, so that a slow server cannot slow the offered load down.
// Plain JS on purpose: the bench must not depend on the harness's bundling step.
// Env: BASE_URL, PASSWORD, RATE (requests/s), WARM_S, MEASURE_S, OUT (summary JSON path).
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';

const BASE = __ENV.BASE_URL;
const PASSWORD = __ENV.PASSWORD;
const RATE = Number(__ENV.RATE);
const WARM_S = Number(__ENV.WARM_S || 5);
const MEASURE_S = Number(__ENV.MEASURE_S || 15);
const USERS = 200;
// Requests per iteration of the mix: 0.2 × 5 + 0.5 × 3 + 0.3 × 1.
const RPI = 2.8;
const perMinute = Math.max(1, Math.round((RATE / RPI) * 60));
const itPerS = perMinute / 60;
const timeouts = new Counter('timeouts');

const executor = (startTime, duration) => ({
  executor: 'constant-arrival-rate',
  rate: perMinute,
  timeUnit: '1m',
  duration: `${duration}s`,
  startTime: `${startTime}s`,
  preAllocatedVUs: Math.min(400, Math.ceil(itPerS * 2) + 10),
  // Enough VUs for every iteration to hit the 2 s timeout on each of its requests.
  maxVUs: Math.min(1500, Math.ceil(itPerS * 11) + 20),
  gracefulStop: '3s',
});

export const options = {
  scenarios: { warm: executor(0, WARM_S), measure: executor(WARM_S, MEASURE_S) },
  // Sub-metric thresholds exist only so the summary carries figures for the measured window.
  thresholds: {
    'http_req_duration{scenario:measure}': ['p(95)<500'],
    'http_req_failed{scenario:measure}': ['rate<0.01'],
    'http_reqs{scenario:measure}': ['count>=0'],
    'timeouts{scenario:measure}': ['count>=0'],
    'dropped_iterations{scenario:measure}': ['count>=0'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max', 'count'],
  discardResponseBodies: false,
  noConnectionReuse: false,
};

const JSON_HDR = { 'Content-Type': 'application/json' };
const TIMEOUT = '2s';

function req(method, path, body, token) {
  const headers = body === null ? {} : { ...JSON_HDR };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = http.request(method, BASE + path, body, { headers, timeout: TIMEOUT, tags: { name: `${method} ${path}` } });
  if (res.error_code === 1050) timeouts.add(1);
  return res;
}

function email() {
  return `user${((exec.vu.idInTest - 1) % USERS) + 1}@example.test`;
}

function login() {
  const res = req('POST', '/api/auth/login', JSON.stringify({ email: email(), password: PASSWORD }), null);
  if (res.status !== 200) return null;
  const b = res.json();
  return { access: b.accessToken, refresh: b.refreshToken };
}

function authFlow() {
  let s = login();
  if (!s) return;
  req('GET', '/api/auth/2fa/status', null, s.access);
  req('POST', '/api/auth/request-email-verify', null, s.access);
  const r = req('POST', '/api/auth/refresh', JSON.stringify({ refreshToken: s.refresh }), null);
  if (r.status === 200) s = { access: r.json().accessToken, refresh: r.json().refreshToken };
  req('POST', '/api/auth/logout', null, s.access);
}

let session = null;
function userFlow() {
  if (!session) session = login();
  if (!session) return;
  for (const [m, p, body] of [
    ['GET', '/api/me', null],
    ['GET', '/api/user/profile', null],
    ['PUT', '/api/user/profile', JSON.stringify({ displayName: `Load User ${exec.vu.idInTest}` })],
  ]) {
    if (req(m, p, body, session.access).status === 401) {
      session = login();
      if (!session) return;
    }
  }
}

const MONITORING = [
  '/api/monitoring/health',
  '/api/monitoring/health',
  '/api/monitoring/health',
  '/api/monitoring/metrics',
  '/api/monitoring/performance',
  '/health',
  '/ready',
  '/live',
];

export default function () {
  const r = Math.random();
  if (r < 0.2) authFlow();
  else if (r < 0.7) userFlow();
  else req('GET', MONITORING[Math.floor(Math.random() * MONITORING.length)], null, null);
}

export function handleSummary(data) {
  const m = (name) => (data.metrics[name] ? data.metrics[name].values : {});
  const d = m('http_req_duration{scenario:measure}');
  const out = {
    rate: RATE,
    measureS: MEASURE_S,
    requests: m('http_reqs{scenario:measure}').count || 0,
    p50Ms: d.med ?? null,
    p95Ms: d['p(95)'] ?? null,
    p99Ms: d['p(99)'] ?? null,
    failedRate: m('http_req_failed{scenario:measure}').rate ?? null,
    timeouts: m('timeouts{scenario:measure}').count || 0,
    dropped: m('dropped_iterations{scenario:measure}').count || 0,
  };
  return { [__ENV.OUT]: JSON.stringify(out) };
}
