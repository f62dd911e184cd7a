/**
 * The outcome classes of a request: the one list the analysis file's `outcomes` (analysis.ts,
 * OutcomesSchema), the analysis's counting (lib/analysis/accumulator.ts) and the live InfluxDB
 * points (lib/influx/live.ts, points.ts) all derive from, and the one rule that puts a request in
 * a class. Pure; imports nothing.
 */

/**
 * What happened to each request, in the order of the analysis file's `outcomes` (an outcome's
 * index is its place here). Every request lands in exactly one class:
 *   ok            a status the endpoint expects, or any status below 400;
 *   timeout       client timeout: k6 error_code 1050 (request timeout);
 *   dialTimeout   dial timeout: k6 error_code 1211;
 *   connRefused   connection refused (1212);
 *   connReset     connection reset (1220) or broken pipe (1201);
 *   otherNetwork  any other network-level error (DNS, TLS, EOF …), status 0;
 *   http5xx       a 5xx the endpoint did not declare as expected;
 *   http4xx       a 4xx the endpoint did not declare as expected.
 */
export const OUTCOME_KEYS = ['ok', 'timeout', 'dialTimeout', 'connRefused', 'connReset', 'otherNetwork', 'http5xx', 'http4xx'] as const;
export type OutcomeKey = (typeof OUTCOME_KEYS)[number];

/** An outcome's index into OUTCOME_KEYS (and into the analysis's per-leaf counts). */
export const OUTCOME_INDEX = Object.freeze(Object.fromEntries(OUTCOME_KEYS.map((k, i) => [k, i]))) as Readonly<Record<OutcomeKey, number>>;

/** A record with one entry per outcome class, in OUTCOME_KEYS's order. */
export function perOutcome<T>(f: (key: OutcomeKey, index: number) => T): Record<OutcomeKey, T> {
  return Object.fromEntries(OUTCOME_KEYS.map((k, i) => [k, f(k, i)])) as Record<OutcomeKey, T>;
}

const {
  ok: O_OK,
  timeout: O_TIMEOUT,
  dialTimeout: O_DIAL_TIMEOUT,
  connRefused: O_REFUSED,
  connReset: O_RESET,
  otherNetwork: O_OTHER,
  http5xx: O_5XX,
  http4xx: O_4XX,
} = OUTCOME_INDEX;

/**
 * A request's outcome (an index into OUTCOME_KEYS) from its `status` and `error_code` tags and
 * its endpoint's expected statuses. The analysis and the live InfluxDB points (lib/influx/live.ts)
 * both classify with it.
 */
export function classifyOutcome(
  status: string | undefined,
  errorCode: string | undefined,
  expect: ReadonlySet<number> | undefined,
): number {
  const code = status === undefined ? 0 : Number(status);
  if (code >= 100) {
    if (expect?.has(code)) return O_OK;
    if (code >= 500) return O_5XX;
    if (code >= 400) return O_4XX;
    return O_OK;
  }
  switch (errorCode) {
    case '1050':
      return O_TIMEOUT;
    case '1211':
      return O_DIAL_TIMEOUT;
    case '1212':
      return O_REFUSED;
    case '1220': // connection reset by peer
    case '1201': // broken pipe: the peer closed the connection
      return O_RESET;
    default:
      return O_OTHER;
  }
}

/** The `scenario` key used for samples without a `scenario` tag. */
export const NO_SCENARIO = '(none)';

/** The `group` tag k6 gives every sample of setup(). */
export const SETUP_GROUP = '::setup';
