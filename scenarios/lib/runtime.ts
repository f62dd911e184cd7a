/**
 * k6-side runtime shared by the scenario scripts: the plan, stage tags, and one request
 * function that names, times out and checks every request. Runs inside k6: no Node APIs.
 */
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';
import type { Config } from '../../lib/config/schema.ts';
import type { Plan, PlanEndpoint } from '../../lib/plan/schema.ts';
import { DEFAULT_CONFIG, TIMEOUT_METRIC, type ScenarioName } from '../../lib/shared/defaults.ts';
import { buildPlan } from '../../lib/shared/plan.ts';
import { bodyCheckOf, compileBodyCheck } from '../../lib/shared/body-check.ts';
import { LOAD_PROFILE_NAMES, isLoadProfileName } from '../../lib/shared/profiles.ts';

/**
 * Set by the bundler: true in dist/<scenario>.js, which also runs on its own and so carries the
 * plan builder; false in dist/run/<scenario>.js, the bundle `loadgate run` uses, which always
 * gets a plan. k6 compiles a script once per VU, so the code it leaves out is memory per VU.
 */
declare const LOADGATE_STANDALONE: boolean;

/** See TIMEOUT_METRIC: one sample per request, true when it hit the client timeout. */
const timeouts = new Rate(TIMEOUT_METRIC);

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
export function loadPlan(scenario: ScenarioName): Plan {
  const path = __ENV['LOADGATE_PLAN'];
  if (path) return JSON.parse(open(path)) as Plan;
  // A constant the bundler sets: in dist/run/ this branch, and the plan builder with it, is gone.
  if (LOADGATE_STANDALONE) return standalonePlan(scenario);
  throw new Error('this bundle runs under `loadgate run`, which sets LOADGATE_PLAN; dist/<scenario>.js runs on its own');
}

function standalonePlan(scenario: ScenarioName): Plan {
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
  return buildPlan({ config, scenario, profile, phase: __ENV['PHASE'] ?? null, runId: 'standalone', now: new Date().toISOString() });
}

export interface Session {
  access: string;
  refresh: string;
}

export interface Vars {
  email: string;
  password: string;
  refreshToken?: string;
  [key: string]: string | number | undefined;
}

/** A template split once at init into literal parts and placeholder names, filled per request. */
interface Template {
  parts: string[];
  names: string[];
}

function compile(text: string): Template {
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  const re = /\{\{(\w+)\}\}/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    parts.push(text.slice(last, m.index));
    names.push(m[1] as string);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return { parts, names };
}

function fill(t: Template, vars: Vars, json: boolean): string {
  if (t.names.length === 0) return t.parts[0] as string;
  let out = t.parts[0] as string;
  for (let i = 0; i < t.names.length; i++) {
    const v = vars[t.names[i] as string];
    const s = v === undefined ? '' : String(v);
    // In a JSON body a placeholder sits inside a string literal, so its value is JSON-escaped.
    out += (json ? JSON.stringify(s).slice(1, -1) : encodeURIComponent(s)) + (t.parts[i + 1] as string);
  }
  return out;
}

type Checks = Record<string, (r: RefinedResponse<'text'>) => boolean>;

interface PreparedEndpoint {
  ep: PlanEndpoint;
  path: Template;
  body: Template | null;
  params: { tags: { name: string }; timeout: string; headers: Record<string, string>; responseType: ResponseType };
  checkTags: { name: string };
  /** Built once at init: the hot path makes no closures per request. */
  checks: Checks;
}

/** Whether any request template sends the password: only then must it be set. */
function needsPassword(plan: Plan): boolean {
  return plan.endpoints.some((ep) => ep.path.includes('{{password}}') || JSON.stringify(ep.body ?? null).includes('{{password}}'));
}

export class Api {
  private readonly prepared = new Map<string, PreparedEndpoint>();
  readonly password: string;

  constructor(readonly plan: Plan) {
    for (const ep of plan.endpoints) {
      this.prepared.set(ep.name, {
        ep,
        path: compile(ep.path),
        body: ep.body === undefined ? null : compile(JSON.stringify(ep.body)),
        params: {
          tags: { name: ep.name },
          timeout: `${ep.timeoutMs}ms`,
          headers: ep.body === undefined ? {} : { 'Content-Type': 'application/json' },
          responseType: 'text',
        },
        checkTags: { name: ep.name },
        checks: {
          'status is expected': (r) => ep.expectStatus.includes(r.status),
          'body has the expected shape': compileBodyCheck(bodyCheckOf(ep)),
        },
      });
    }
    const password = __ENV[plan.users.passwordEnv];
    if (password === undefined && needsPassword(plan)) {
      throw new Error(
        `the ${plan.scenario} scenario logs in as the test users: set their password in the env var ` +
          `${plan.users.passwordEnv} (k6 run -e ${plan.users.passwordEnv}=… ; the reference API's is in target/README.md)`,
      );
    }
    this.password = password ?? '';
  }

  has(name: string): boolean {
    return this.prepared.has(name);
  }

  /** Sends one request as endpoint `name`; returns null when the endpoint is disabled in the config. */
  call(name: string, vars: Vars, session: Session | null): RefinedResponse<'text'> | null {
    const p = this.prepared.get(name);
    if (!p) return null;
    const url = this.plan.baseUrl + fill(p.path, vars, false);
    const body = p.body === null ? null : fill(p.body, vars, true);
    // A new params object only where a token goes in; the others reuse the one built at init.
    const params =
      p.ep.auth === 'bearer' && session
        ? { ...p.params, headers: { ...p.params.headers, Authorization: `Bearer ${session.access}` } }
        : p.params;
    const res = http.request(p.ep.method, url, body, params) as RefinedResponse<'text'>;
    timeouts.add(res.error_code === 1050, p.checkTags);
    check(res, p.checks, p.checkTags);
    return res;
  }

  /** Logs in as a seeded user; returns the session, or null when login failed. */
  login(vars: Vars): Session | null {
    const res = this.call('auth.login', vars, null);
    return res ? sessionFrom(res, this.plan) : null;
  }
}

export function sessionFrom(res: RefinedResponse<'text'>, plan: Plan): Session | null {
  if (res.status !== 200) return null;
  try {
    const body = res.json() as Record<string, unknown>;
    const access = body[plan.tokens.access];
    const refresh = body[plan.tokens.refresh];
    return typeof access === 'string' && typeof refresh === 'string' ? { access, refresh } : null;
  } catch {
    return null;
  }
}

/** The seeded user for this VU (round-robin over the user pool). */
export function userVars(plan: Plan, password: string): Vars {
  const i = ((exec.vu.idInTest - 1) % plan.users.count) + 1;
  return {
    email: plan.users.emailTemplate.replace('{{i}}', String(i)),
    password,
    vu: exec.vu.idInTest,
    iter: exec.vu.iterationInScenario,
  };
}

/**
 * Tags every sample of this iteration with its load stage, from the plan's timeline. The
 * stage is looked up once per iteration and only written when it changes.
 */
export function tagStage(plan: Plan): void {
  const elapsedS = (Date.now() - exec.scenario.startTime) / 1000;
  const stages = plan.stages;
  let name = (stages[stages.length - 1] as { name: string }).name;
  for (const s of stages) {
    if (elapsedS < s.endS) {
      name = s.name;
      break;
    }
  }
  // Reading exec.vu.metrics.tags builds an object on every access: touch it only on a change.
  if (name === currentStage) return;
  currentStage = name;
  (exec.vu.metrics.tags as Record<string, string>)['stage'] = name;
}

/** The stage this VU's samples are tagged with (each VU runs its own copy of this module). */
let currentStage: string | null = null;
