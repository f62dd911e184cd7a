/**
 * k6-side runtime shared by the scenario scripts: the plan, stage tags, auth strategies and
 * one request function that names, times out, authenticates and checks every request.
 * Runs inside k6: no Node APIs.
 */
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { check } from 'k6';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { Counter, Gauge, Rate } from 'k6/metrics';
import type { Config } from '../../lib/config/schema.ts';
import type { AuthStrategy, Plan, PlanEndpoint, TokenSource } from '../../lib/contract/plan.ts';
import { BODY_MISMATCH_METRIC, DEFAULT_CONFIG, LOAD_START_METRIC, SAMPLE_TAGS_ENV, TIMEOUT_METRIC } from '../../lib/shared/defaults.ts';
import { buildPlan } from '../../lib/plan/build.ts';
import { compileBodyCheck } from '../../lib/shared/body-check.ts';
import { compileJsonPath, isMissing, readJsonPath, type JsonPathStep } from '../../lib/shared/json-path.ts';
import { LOAD_PROFILE_NAMES, isLoadProfileName } from '../../lib/config/profiles.ts';
import { statusMatches } from '../../lib/shared/status.ts';
import { stageIndexAt } from '../../lib/shared/stage-at.ts';
import { compileTemplate, concatTemplates, encodeValue, type Encoding, type Template, type Vars } from '../../lib/shared/template.ts';

export type { Vars };

/**
 * Set by the bundler: true in dist/<scenario>.js, which also runs on its own and so carries the
 * plan builder; false in dist/run/<scenario>.js, the bundle `loadgate run` uses, which always
 * gets a plan. k6 compiles a script once per VU, so the code it leaves out is memory per VU.
 */
declare const LOADGATE_STANDALONE: boolean;

/**
 * See TIMEOUT_METRIC: one sample per request, true when it hit the client timeout; declared
 * (in the init context, as k6 requires) only when one of the plan's k6 thresholds reads it.
 */
let timeouts: Rate | null = null;

/** Whether the plan's k6 thresholds read TIMEOUT_METRIC (a timeout target above 0; thresholds/k6.ts). */
function thresholdsReadTimeouts(plan: Plan): boolean {
  const thresholds = (plan.k6Options['thresholds'] ?? {}) as Record<string, unknown>;
  for (const key in thresholds) if (key === TIMEOUT_METRIC || key.indexOf(`${TIMEOUT_METRIC}{`) === 0) return true;
  return false;
}

function numberEnv(name: string): number | undefined {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${raw}"`);
  return n;
}

/**
 * The plan: the one the CLI wrote (LOADGATE_PLAN), or, when the script runs on its own
 * (`k6 run dist/journey.js -e BASE_URL=…`), one built from the defaults and a few env vars.
 */
export function loadPlan(scenario: string): { plan: Plan; text: string | null } {
  const path = __ENV['LOADGATE_PLAN'];
  if (path) {
    const text = open(path);
    return { plan: JSON.parse(text) as Plan, text };
  }
  // A constant the bundler sets: in dist/run/ this branch, and the plan builder with it, is gone.
  if (LOADGATE_STANDALONE) return { plan: standalonePlan(scenario), text: null };
  throw new Error('this bundle runs under `loadgate run`, which sets LOADGATE_PLAN; dist/<scenario>.js runs on its own');
}

/**
 * What a VU keeps of the plan after init. Every VU holds its own copy of whatever it keeps, and
 * goja's objects weigh about 17 times their JSON (the journey's 7 KB plan, parsed, held about
 * 130 KB in every VU): the endpoints, flows and options are compiled or read once, then dropped.
 */
export type RuntimePlan = Pick<Plan, 'scenario' | 'baseUrl' | 'users' | 'auth' | 'sessionPool' | 'stages'>;

function runtimePlan(plan: Plan): RuntimePlan {
  const { scenario, baseUrl, users, auth, sessionPool, stages } = plan;
  return { scenario, baseUrl, users, auth, sessionPool, stages };
}

function standalonePlan(scenario: string): Plan {
  const profile = __ENV['PROFILE'] ?? 'smoke';
  if (!isLoadProfileName(profile)) {
    throw new Error(
      `PROFILE "${profile}" is not a built-in load profile (${LOAD_PROFILE_NAMES.join(', ')}); ` +
        "a config file's own profiles run through `loadgate run`, or with -e LOADGATE_PLAN=<run-dir>/plan.json",
    );
  }
  const config = JSON.parse(JSON.stringify(DEFAULT_CONFIG)) as Config;
  if (__ENV['BASE_URL']) config.target.baseUrl = __ENV['BASE_URL'];
  config.load.rps = numberEnv('RPS') ?? config.load.rps;
  config.load.durationScale = numberEnv('DURATION_SCALE') ?? config.load.durationScale;
  config.load.maxVUs = numberEnv('MAX_VUS') ?? config.load.maxVUs;
  // A plain `k6 run dist/<scenario>.js` sends the load only; READINESS=1 adds the readiness checks
  // (under `loadgate run` the config decides, through plan.json).
  if (config.readiness) config.readiness.enabled = __ENV['READINESS'] === '1';
  return buildPlan({ config, scenario, profile, phase: __ENV['PHASE'] ?? null, runId: 'standalone', now: new Date().toISOString() });
}

/** A logged-in session of a login strategy. */
export interface Session {
  token: string;
  refresh: string | null;
}

interface Params {
  tags: { name: string };
  timeout: string;
  headers: Record<string, string>;
  responseType: ResponseType;
  responseCallback: ReturnType<typeof http.expectedStatuses>;
}

interface PreparedEndpoint {
  method: string;
  expectStatus: PlanEndpoint['expectStatus'];
  /** Base URL, path and query ("?a=1&b={{x}}") as one template, or the URL itself when nothing is filled in. */
  url: Compact;
  body: Compact | null;
  /** Headers whose values need filling per request, as name, template, name, template, …; or null. */
  dynamicHeaders: Array<string | Compact> | null;
  /** Built once at init: static headers, tags, timeout, expected statuses. */
  params: Params;
  /** The login strategy this endpoint authenticates with, if any (one object per strategy). */
  login: { name: string; strategy: AuthStrategy & { type: 'login' } } | null;
  /** The body-shape predicate, compiled once at init (shared by the endpoints with the same check); null when the endpoint has none. */
  bodyCheck: ((r: RefinedResponse<'text'>) => boolean) | null;
}

interface Token {
  steps: JsonPathStep[] | null;
  source: TokenSource;
}

function tokenReader(source: TokenSource): Token {
  return { source, steps: 'json' in source ? compileJsonPath(source.json) : null };
}

function readToken(res: RefinedResponse<'text'>, t: Token): string | null {
  const s = t.source;
  if ('json' in s) {
    let value: unknown;
    try {
      value = res.json();
    } catch {
      return null;
    }
    const v = readJsonPath(value, t.steps ?? []);
    return isMissing(v) || v === null || typeof v === 'object' ? null : String(v);
  }
  if ('header' in s) {
    const wanted = s.header.toLowerCase();
    for (const k in res.headers) if (k.toLowerCase() === wanted) return res.headers[k] as string;
    return null;
  }
  return res.cookies[s.cookie]?.[0]?.value ?? null;
}

/** Whether any request template sends the password: only then must it be set. */
function needsPassword(plan: Plan): boolean {
  return plan.endpoints.some((ep) => ep.path.includes('{{password}}') || JSON.stringify(ep.body ?? null).includes('{{password}}'));
}

/**
 * A template as a VU keeps it: its text when there is nothing to fill in, else one array (the
 * encoding, then literal, name, literal, …, literal) rather than a Template's three objects.
 */
type Compact = string | string[];

function compact(t: Template): Compact {
  if (!t.names.length) return t.parts[0] as string;
  const out: string[] = [t.encoding, t.parts[0] as string];
  for (let i = 0; i < t.names.length; i++) out.push(t.names[i] as string, t.parts[i + 1] as string);
  return out;
}

function fill(t: Compact, vars: Vars): string {
  if (typeof t === 'string') return t;
  const encoding = t[0] as Encoding;
  let out = t[1] as string;
  for (let i = 2; i < t.length; i += 2) {
    const v = vars[t[i] as string];
    out += encodeValue(v === undefined ? '' : String(v), encoding) + (t[i + 1] as string);
  }
  return out;
}

function bodyTemplate(ep: PlanEndpoint, env: (n: string) => string | undefined): Template | null {
  if (ep.body === undefined) return null;
  if (ep.bodyType === 'text') return compileTemplate(String(ep.body), 'raw', env);
  if (ep.bodyType === 'form') {
    // Each value's own characters are encoded here, its placeholders when filled.
    const form = ep.body as Record<string, unknown>;
    const fields: Template[] = [];
    for (const k in form) {
      fields.push(
        { parts: [`${fields.length ? '&' : ''}${encodeURIComponent(k)}=`], names: [], encoding: 'url' },
        compileTemplate(String(form[k]), 'url', env, encodeURIComponent),
      );
    }
    return concatTemplates(fields, 'url');
  }
  return compileTemplate(JSON.stringify(ep.body), 'json', env);
}

/**
 * The checks' results, one object per VU reused for every request: k6's check() takes values
 * as well as functions, so the predicates run in call() and no endpoint needs closures of its
 * own (two per endpoint in every VU cost about 10 MB of peak RSS at 60 VUs in the overhead bench).
 */
const CHECKS = { 'status is expected': false, 'body has the expected shape': false };

/**
 * Under `loadgate run`, see BODY_MISMATCH_METRIC: a body check's failures only, no k6 check() per
 * request; declared in the init context when some endpoint has a body check. A bundle k6 runs
 * on its own (no LOADGATE_PLAN) checks both with k6's check() instead, for k6's own summary.
 */
let mismatches: Counter | null = null;
const k6Checks = !__ENV['LOADGATE_PLAN'];

/** Reads the environment (a module-level function: one made in the Api's constructor kept the whole parsed plan alive in every VU). */
const envOf = (n: string): string | undefined => __ENV[n];

function missingEnv(names: readonly string[], passwordEnv: string): string[] {
  return names.filter((n) => n !== passwordEnv && (__ENV[n] === undefined || __ENV[n] === ''));
}

/**
 * One instance per distinct value, shared by every endpoint of a VU that has it: goja's objects
 * weigh about half a kilobyte each, and most endpoints have the same headers, expected
 * statuses and body check.
 */
function interned<T>(pool: Map<string, T>, key: string, make: () => T): T {
  let v = pool.get(key);
  if (v === undefined) {
    v = make();
    pool.set(key, v);
  }
  return v;
}

/**
 * The endpoints whose answers' bodies something reads besides their body check: a login or
 * refresh whose token is in the JSON body, and a flow step with captures.
 */
function endpointsReadingBodies(plan: Plan): Record<string, true> {
  const out: Record<string, true> = {};
  for (const name in plan.auth) {
    const a = plan.auth[name] as AuthStrategy;
    if (a.type !== 'login') continue;
    if ('json' in a.token) out[a.endpoint] = true;
    if (a.refresh && 'json' in a.refresh.token) out[a.refresh.endpoint] = true;
  }
  for (const f in plan.flows) {
    const flow = plan.flows[f] as Plan['flows'][string];
    if (flow.kind !== 'steps') continue;
    for (let i = 0; i < flow.steps.length; i++) {
      const step = flow.steps[i] as (typeof flow.steps)[number];
      if (Object.keys(step.capture).length) out[step.endpoint] = true;
    }
  }
  return out;
}

const CONTENT_TYPES = { json: 'application/json', form: 'application/x-www-form-urlencoded', text: 'text/plain' } as const;

export class Api {
  private readonly prepared = new Map<string, PreparedEndpoint>();
  /** Login strategies by the endpoint that logs in, and by the one that refreshes. */
  private readonly loginBy = new Map<string, { name: string; strategy: AuthStrategy & { type: 'login' } }>();
  private readonly refreshBy = new Map<string, { name: string; strategy: AuthStrategy & { type: 'login' } }>();
  private readonly tokens = new Map<string, { token: Token; refresh: Token | null }>();
  readonly password: string;
  readonly plan: RuntimePlan;

  constructor(plan: Plan) {
    this.plan = runtimePlan(plan);
    if (timeouts === null && thresholdsReadTimeouts(plan)) timeouts = new Rate(TIMEOUT_METRIC);
    if (mismatches === null && !k6Checks && plan.endpoints.some((ep) => ep.expectBody !== null))
      mismatches = new Counter(BODY_MISMATCH_METRIC);
    loadStart ??= new Gauge(LOAD_START_METRIC);
    const env = envOf;
    const missing = missingEnv(plan.env, plan.users.passwordEnv);
    if (missing.length) {
      throw new Error(
        `the requests read the env var${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not set`,
      );
    }
    const global: Record<string, string> = {};
    const globalDynamic: Array<string | Compact> = [];
    // for-in and index loops in the k6 code: a for-of loop (or array destructuring, or spreading
    // an array) makes k6's runtime build its iterator and Symbol machinery in every VU.
    const planHeaders = plan.headers ?? {};
    for (const k in planHeaders) {
      const t = compileTemplate(planHeaders[k] as string, 'raw', env);
      if (t.names.length) globalDynamic.push(k, compact(t));
      else global[k] = t.parts[0] as string;
    }
    for (const name in plan.auth) {
      const a = plan.auth[name] as AuthStrategy;
      if (a.type !== 'login') continue;
      this.loginBy.set(a.endpoint, { name, strategy: a });
      if (a.refresh) this.refreshBy.set(a.refresh.endpoint, { name, strategy: a });
      this.tokens.set(name, { token: tokenReader(a.token), refresh: a.refresh ? tokenReader(a.refresh.token) : null });
    }
    const bodyNeeded = endpointsReadingBodies(plan);
    const headerSets = new Map<string, Record<string, string>>();
    const callbacks = new Map<string, Params['responseCallback']>();
    const bodyChecks = new Map<string, PreparedEndpoint['bodyCheck']>();
    const logins = new Map<string, NonNullable<PreparedEndpoint['login']>>();
    const statusLists = new Map<string, PlanEndpoint['expectStatus']>();
    const base: Template = { parts: [plan.baseUrl], names: [], encoding: 'url' };
    for (let e = 0; e < plan.endpoints.length; e++) {
      const ep = plan.endpoints[e] as PlanEndpoint;
      let headers: Record<string, string> = { ...global };
      const dynamicHeaders = globalDynamic.slice();
      const body = bodyTemplate(ep, env);
      if (body) headers['Content-Type'] = CONTENT_TYPES[ep.bodyType];
      let query = Object.keys(ep.query)
        .map((k) => `${encodeURIComponent(k)}=${ep.query[k]}`)
        .join('&');
      const strategy = ep.auth === 'none' ? null : (plan.auth[ep.auth] ?? null);
      if (ep.auth !== 'none' && !strategy)
        throw new Error(`endpoint ${ep.name} names the auth strategy "${ep.auth}", which the plan lacks`);
      if (strategy?.type === 'apiKey') {
        const key = __ENV[strategy.env] ?? '';
        if (strategy.in === 'header') headers[strategy.name] = key;
        else query += `${query ? '&' : ''}${encodeURIComponent(strategy.name)}=${encodeURIComponent(key)}`;
      } else if (strategy?.type === 'basic') {
        const user = strategy.username ?? __ENV[strategy.usernameEnv ?? ''] ?? '';
        headers['Authorization'] = `Basic ${encoding.b64encode(`${user}:${__ENV[strategy.passwordEnv] ?? ''}`)}`;
      } else if (strategy?.type === 'bearer') {
        const token = __ENV[strategy.env] ?? '';
        headers[strategy.header] = strategy.scheme ? `${strategy.scheme} ${token}` : token;
      }
      for (const k in ep.headers) {
        const t = compileTemplate(ep.headers[k] as string, 'raw', env);
        if (t.names.length) dynamicHeaders.push(k, compact(t));
        else headers[k] = t.parts[0] as string;
      }
      const expectBody = ep.expectBody;
      const bodyCheck = expectBody === null ? null : interned(bodyChecks, JSON.stringify(expectBody), () => compileBodyCheck(expectBody));
      const expect = interned(statusLists, JSON.stringify(ep.expectStatus), () => ep.expectStatus);
      const fixed = headers;
      headers = interned(headerSets, JSON.stringify(fixed), () => fixed);
      this.prepared.set(ep.name, {
        method: ep.method,
        expectStatus: expect,
        url: compact(
          concatTemplates(
            query
              ? [base, compileTemplate(ep.path, 'url', env), compileTemplate(`?${query}`, 'url', env)]
              : [base, compileTemplate(ep.path, 'url', env)],
            'url',
          ),
        ),
        body: body && compact(body),
        dynamicHeaders: dynamicHeaders.length ? dynamicHeaders : null,
        params: {
          // Also the tags of its checks.
          tags: { name: ep.name },
          timeout: `${ep.timeoutMs}ms`,
          headers,
          // k6 hands a VU the body only where something reads it (a body check, a token, a
          // capture); elsewhere it reads the answer and drops it, as discardResponseBodies does.
          responseType: ep.expectBody !== null || bodyNeeded[ep.name] === true ? 'text' : 'none',
          // k6's own http_req_failed (and its thresholds and exit code) then agree with loadgate's outcome classes.
          responseCallback: interned(callbacks, JSON.stringify(expect), () =>
            http.expectedStatuses.apply(null, expect as Parameters<typeof http.expectedStatuses>),
          ),
        },
        login: strategy?.type === 'login' ? interned(logins, ep.auth, () => ({ name: ep.auth, strategy })) : null,
        bodyCheck,
      });
    }
    const password = __ENV[plan.users.passwordEnv];
    if (password === undefined && needsPassword(plan)) {
      throw new Error(
        `the ${plan.scenario} scenario logs in as the test users: set their password in the env var ` +
          `${plan.users.passwordEnv} (k6 run -e ${plan.users.passwordEnv}=… ; the reference API's is in reference-api/README.md)`,
      );
    }
    this.password = password ?? '';
  }

  endpoint(name: string): PreparedEndpoint | undefined {
    return this.prepared.get(name);
  }

  /** The login strategy whose login (or refresh) is this endpoint. */
  loginStrategyOf(name: string): string | null {
    return this.loginBy.get(name)?.name ?? null;
  }

  refreshStrategyOf(name: string): string | null {
    return this.refreshBy.get(name)?.name ?? null;
  }

  /** Sends one request as endpoint `name`; returns null when the endpoint is not in the plan. */
  call(name: string, vars: Vars, session: Session | null): RefinedResponse<'text'> | null {
    const p = this.prepared.get(name);
    if (!p) return null;
    const url = fill(p.url, vars);
    const body = p.body === null ? null : fill(p.body, vars);
    // A new params object only where a token or a filled header goes in; the others reuse the one built at init.
    let params: Params = p.params;
    const login = p.login?.strategy;
    const sessionHeader = login && session && !('cookie' in login.token);
    if (sessionHeader || p.dynamicHeaders) {
      const headers = { ...p.params.headers };
      const d = p.dynamicHeaders;
      if (d) for (let i = 0; i < d.length; i += 2) headers[d[i] as string] = fill(d[i + 1] as Compact, vars);
      if (sessionHeader && login && session) headers[login.header] = login.scheme ? `${login.scheme} ${session.token}` : session.token;
      params = { ...p.params, headers };
    }
    const res = http.request(p.method, url, body, params) as RefinedResponse<'text'>;
    if (timeouts !== null) {
      // K6_TIMEOUT_ERROR_CODES: the request's client timeout, or the connection's (read once: each read crosses into Go).
      const code = res.error_code;
      timeouts.add(code === 1050 || code === 1211, p.params.tags);
    }
    if (mismatches !== null) {
      if (p.bodyCheck !== null && !p.bodyCheck(res)) mismatches.add(1, p.params.tags);
    } else if (k6Checks) {
      CHECKS['status is expected'] = statusMatches(p.expectStatus, res.status);
      CHECKS['body has the expected shape'] = p.bodyCheck === null || p.bodyCheck(res);
      // @types/k6 lists only functions; k6 itself takes any value (internal/js/modules/k6/k6.go).
      check(res, CHECKS as unknown as Parameters<typeof check<RefinedResponse<'text'>>>[1], p.params.tags);
    }
    return res;
  }

  /** Whether a response has one of its endpoint's expected statuses. */
  expected(name: string, res: RefinedResponse<'text'>): boolean {
    const p = this.prepared.get(name);
    return p !== undefined && statusMatches(p.expectStatus, res.status);
  }

  /** Logs in with strategy `strategy`; the session, or null when the login failed. */
  login(strategy: string, vars: Vars): Session | null {
    const a = this.plan.auth[strategy];
    if (a?.type !== 'login') return null;
    const res = this.call(a.endpoint, vars, null);
    return res ? this.sessionFrom(strategy, res, null) : null;
  }

  /** The session a login or refresh answer carries (a refresh may leave the refresh token as it was). */
  sessionFrom(strategy: string, res: RefinedResponse<'text'>, previous: Session | null): Session | null {
    const a = this.plan.auth[strategy];
    const readers = this.tokens.get(strategy);
    if (a?.type !== 'login' || !readers) return null;
    const endpoint = previous ? (a.refresh?.endpoint ?? a.endpoint) : a.endpoint;
    if (!this.expected(endpoint, res)) return null;
    const token = readToken(res, readers.token);
    if (token === null) return null;
    const refresh = readers.refresh ? readToken(res, readers.refresh) : null;
    return { token, refresh: refresh ?? previous?.refresh ?? null };
  }

  /** Answers to an authenticated request after which its session is dropped and logged in again. */
  reloginOn(name: string, status: number): string | null {
    const p = this.prepared.get(name);
    return p?.login?.strategy.reloginOn.includes(status) ? p.login.name : null;
  }
}

/** Test user `i` (1-based) of the plan's user pool. */
export function userVarsFor(plan: Pick<Plan, 'users'>, password: string, i: number): Vars {
  return { email: plan.users.emailTemplate.replace('{{i}}', String(i)), password, vu: 0, iter: 0 };
}

/**
 * k6/execution builds a new object, with a wrapped function per field, on every read of
 * `exec.vu` or `exec.scenario`: read per request or iteration, they were most of the heap a VU
 * held beyond a plain script's (about 0.3 MB a VU). What does not change is read once per VU.
 */
let vuId = 0;
/** This VU's iterations of the load scenario so far (k6's exec.vu.iterationInScenario, counted here). */
let iterations = 0;

/** The seeded user for this VU (round-robin over the user pool). */
export function userVars(plan: Pick<Plan, 'users'>, password: string): Vars {
  if (vuId === 0) vuId = exec.vu.idInTest;
  const vars = userVarsFor(plan, password, ((vuId - 1) % plan.users.count) + 1);
  vars['vu'] = vuId;
  vars['iter'] = iterations++;
  return vars;
}

/** When the scenarios started (every scenario of a plan starts with the test), read once per VU. */
let startedAt = 0;
/** See LOAD_START_METRIC; declared in the init context (k6 allows no new metric later). */
let loadStart: Gauge | null = null;
/**
 * Tag every sample with the run's tags and its stage (read once, at init): with
 * SAMPLE_TAGS_ENV=1, and by default when k6 runs a bundle on its own (no LOADGATE_PLAN), where no
 * plan.json keeps them for a later `loadgate analyze`; SAMPLE_TAGS_ENV=0 turns it off there.
 */
export const tagSamples = __ENV[SAMPLE_TAGS_ENV] === '1' || (__ENV[SAMPLE_TAGS_ENV] !== '0' && !__ENV['LOADGATE_PLAN']);

/**
 * The start of one load iteration: on a VU's first, it records the scenarios' start time
 * (LOAD_START_METRIC), from which the analysis places every request in its stage; with
 * SAMPLE_TAGS_ENV it also tags the samples with the stage.
 */
export function beginIteration(plan: Pick<Plan, 'stages'>): void {
  if (startedAt === 0) {
    startedAt = exec.scenario.startTime;
    loadStart?.add(startedAt);
  }
  tagStage(plan);
}

/**
 * Tags every sample of this iteration with its load stage, from the plan's timeline (only with
 * SAMPLE_TAGS_ENV). The stage is looked up once per iteration and only written when it changes.
 */
export function tagStage(plan: Pick<Plan, 'stages'>): void {
  if (!tagSamples) return;
  if (startedAt === 0) startedAt = exec.scenario.startTime;
  const name = (plan.stages[stageIndexAt(plan.stages, (Date.now() - startedAt) / 1000)] as { name: string }).name;
  // Reading exec.vu.metrics.tags builds an object on every access: touch it only on a change.
  if (name === currentStage) return;
  currentStage = name;
  (exec.vu.metrics.tags as Record<string, string>)['stage'] = name;
}

/** The stage this VU's samples are tagged with (each VU runs its own copy of this module). */
let currentStage: string | null = null;
