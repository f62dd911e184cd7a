/**
 * Readiness checks: what a production-ready API answers besides its latencies (security headers,
 * CORS, compression, fast probes and working monitoring while the load runs). One table of the
 * checks, their categories and rules, and the pure functions that judge one answer; the k6
 * readiness scenario (scenarios/lib/readiness.ts) runs them on real answers and emits one sample
 * of the Rate metric READINESS_METRIC per check and answer, tagged `check` and `endpoint`. The
 * analysis counts them (analysis.readiness), the verdict turns them into the readiness score
 * (lib/shared/readiness-score.ts). Rules documented in docs/verdicts.md, "Production readiness".
 * Pure and free of Node and k6 APIs: shared by both sides.
 */
import type { ReadinessCategory } from '../contract/readiness.ts';

/** The k6 scenario that runs the checks beside the load; its samples are kept out of every load figure. */
export const READINESS_SCENARIO = 'loadgate_readiness';
/** The k6 Rate metric of the checks: one sample per check and answer (1 = passed). */
export const READINESS_METRIC = 'loadgate_readiness';
/** The `name` tag of the readiness requests: never an endpoint's name, so no endpoint figure or k6 threshold counts them. */
export const READINESS_REQUEST_NAME = 'loadgate.readiness';

/**
 * k6 submetrics of the readiness scenario that the live progress subtracts from k6's totals, so
 * its RPS and error share are the load's. k6 tracks a submetric only for a threshold key: the
 * plan gives each one a threshold without a rule (it never fails); k6's REST API then reports it.
 */
export const READINESS_LIVE_METRICS = {
  requests: 'http_reqs{scenario:loadgate_readiness}',
  failed: 'http_req_failed{scenario:loadgate_readiness}',
  dropped: 'dropped_iterations{scenario:loadgate_readiness}',
  // K6_TIMEOUT_ERROR_CODES (lib/shared/defaults.ts): a client timeout, a dial timeout.
  timeouts: 'http_reqs{scenario:loadgate_readiness,error_code:1050}',
  dialTimeouts: 'http_reqs{scenario:loadgate_readiness,error_code:1211}',
} as const satisfies Record<string, `${string}{scenario:${typeof READINESS_SCENARIO}${string}}`>;

export interface ReadinessCheckDef {
  category: ReadinessCategory;
  title: string;
  /** The rule one answer must satisfy, in words (reports and docs show it). */
  rule: string;
  /** The check passes when at least this share of its samples pass. */
  minShare: number;
}

/** Every readiness check, by id. The order is the order of every table. */
export const READINESS_CHECKS = {
  'security.content-type-options': {
    category: 'security',
    title: 'X-Content-Type-Options',
    rule: 'every answer carries X-Content-Type-Options: nosniff',
    minShare: 0.99,
  },
  'security.frame-options': {
    category: 'security',
    title: 'Framing refused',
    rule: 'every answer carries X-Frame-Options DENY or SAMEORIGIN, or a Content-Security-Policy with frame-ancestors',
    minShare: 0.99,
  },
  'security.referrer-policy': {
    category: 'security',
    title: 'Referrer-Policy',
    rule: 'every answer carries a Referrer-Policy other than unsafe-url',
    minShare: 0.99,
  },
  'security.hsts': {
    category: 'security',
    title: 'HSTS',
    rule: 'over https: every answer carries Strict-Transport-Security with max-age of at least 180 days',
    minShare: 0.99,
  },
  'cors.allowed': {
    category: 'security',
    title: 'CORS: configured origin allowed',
    rule: 'a preflight (OPTIONS) from the configured origin gets a 2xx with Access-Control-Allow-Origin for it (or *) and every requested header allowed',
    minShare: 0.99,
  },
  'cors.refused': {
    category: 'security',
    title: 'CORS: other origin refused',
    rule: 'a preflight from another origin gets no Access-Control-Allow-Origin that admits it (neither that origin nor *)',
    minShare: 0.99,
  },
  compression: {
    category: 'performance',
    title: 'Compression',
    rule: 'an answer of at least minBytes, asked for with Accept-Encoding: gzip, deflate, br, comes compressed (Content-Encoding gzip, br, deflate or zstd)',
    minShare: 0.99,
  },
  'probes.latency': {
    category: 'monitoring',
    title: 'Probes fast under load',
    rule: 'a probe answers with an expected status in under maxMs (100 ms) while the load runs',
    minShare: 0.95,
  },
  'monitoring.answering': {
    category: 'monitoring',
    title: 'Monitoring endpoints answer',
    rule: 'a monitoring endpoint answers within the readiness timeout with an expected status and body while the load runs',
    minShare: 0.99,
  },
  'monitoring.prometheus': {
    category: 'monitoring',
    title: 'Prometheus exposition valid',
    rule: 'a declared Prometheus endpoint answers valid Prometheus text exposition with at least one sample',
    minShare: 0.99,
  },
} as const satisfies Record<string, ReadinessCheckDef>;

export type ReadinessCheckId = keyof typeof READINESS_CHECKS;
// Pure: the k6 bundle, which does not use the ids, leaves them and the rules out.
export const READINESS_CHECK_IDS = /* @__PURE__ */ Object.keys(READINESS_CHECKS) as ReadinessCheckId[];

export function readinessCheck(id: string): ReadinessCheckDef | null {
  return Object.hasOwn(READINESS_CHECKS, id) ? ((READINESS_CHECKS as Record<string, ReadinessCheckDef>)[id] as ReadinessCheckDef) : null;
}

/** An answer as the checks read it (a k6 response, or a fetch response in tests). */
export interface ReadinessAnswer {
  /** 0 when there was no answer (timeout, connection error). */
  status: number;
  /** Header names in any case; a repeated header joined with ", ". */
  headers: Record<string, string>;
  /** Length of the (decompressed) body, in characters. */
  bodyLength: number;
}

/** A header's value, whatever the case of its name; null when absent. */
export function header(headers: Record<string, string>, name: string): string | null {
  const want = name.toLowerCase();
  for (const k in headers) if (k.toLowerCase() === want) return headers[k] ?? null;
  return null;
}

/** HSTS of at least 180 days: Mozilla Observatory's bar. */
export const HSTS_MIN_MAX_AGE_S = 15_552_000;

/** The security-header checks of one answer; none for no answer (a timeout carries no headers to judge). */
export function securityHeaderResults(a: ReadinessAnswer, opts: { hsts: boolean }): Array<[ReadinessCheckId, boolean]> {
  if (a.status === 0) return [];
  const h = (n: string) => header(a.headers, n);
  const xcto = (h('X-Content-Type-Options') ?? '').trim().toLowerCase() === 'nosniff';
  const xfo = /^(deny|sameorigin)$/i.test((h('X-Frame-Options') ?? '').trim());
  const csp = /(^|;)\s*frame-ancestors\s/i.test(h('Content-Security-Policy') ?? '');
  const referrer = (h('Referrer-Policy') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out: Array<[ReadinessCheckId, boolean]> = [
    ['security.content-type-options', xcto],
    ['security.frame-options', xfo || csp],
    ['security.referrer-policy', referrer.length > 0 && !referrer.includes('unsafe-url')],
  ];
  if (opts.hsts) {
    const m = /max-age\s*=\s*"?(\d+)/i.exec(h('Strict-Transport-Security') ?? '');
    out.push(['security.hsts', m !== null && Number(m[1]) >= HSTS_MIN_MAX_AGE_S]);
  }
  return out;
}

const listHas = (value: string | null, item: string) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .some((v) => v === '*' || v === item.toLowerCase());

/** `cors.allowed` for the answer to a preflight from `origin` that asked for `requestHeaders`; null without an answer. */
export function corsAllowedResult(a: ReadinessAnswer, origin: string, requestHeaders: readonly string[]): boolean | null {
  if (a.status === 0) return null;
  const acao = (header(a.headers, 'Access-Control-Allow-Origin') ?? '').trim();
  const allowsOrigin = acao === '*' || acao === origin;
  const acah = header(a.headers, 'Access-Control-Allow-Headers');
  return a.status >= 200 && a.status < 300 && allowsOrigin && requestHeaders.every((n) => listHas(acah, n));
}

/** `cors.refused` for the answer to a preflight from `origin`, which must not be admitted; null without an answer. */
export function corsRefusedResult(a: ReadinessAnswer, origin: string): boolean | null {
  if (a.status === 0) return null;
  const acao = (header(a.headers, 'Access-Control-Allow-Origin') ?? '').trim();
  return !(acao === '*' || acao === origin);
}

// A list, not a Set: k6 runs this module in every VU, and a Set costs each of them its machinery.
const ENCODINGS = ['gzip', 'x-gzip', 'br', 'deflate', 'zstd'];

/** `compression` for an answer asked for with Accept-Encoding; null when it is too small to need it (or there is none). */
export function compressionResult(a: ReadinessAnswer, minBytes: number): boolean | null {
  if (a.status === 0 || a.bodyLength < minBytes) return null;
  const enc = (header(a.headers, 'Content-Encoding') ?? '').split(',').map((s) => s.trim().toLowerCase());
  return enc.some((e) => ENCODINGS.includes(e));
}

/** The Accept-Encoding the readiness requests send. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';
