/**
 * Runs the plan's flows: sequences of steps (with captures, think time and login sessions),
 * one endpoint picked by weight, or one flow picked by weight. k6 side: no Node APIs.
 */
import { sleep } from 'k6';
import type { Flow, Plan } from '../../lib/contract/plan.ts';
import { compileJsonPath, isMissing, readJsonPath, type JsonPathStep } from '../../lib/shared/json-path.ts';
import exec from 'k6/execution';
import { userVars, userVarsFor, type Api, type Session, type Vars } from './runtime.ts';

/** Login sessions kept for the VU's life (`session: vu`), by strategy. */
const vuSessions: Record<string, Session | undefined> = {};

/** What k6's setup() hands every VU: the session pool, by login strategy. */
export interface SetupData {
  /**
   * Each session as one string, the token, a newline and the refresh token (empty when none):
   * k6 hands every VU all of setup()'s data as objects of its own, and one string a session is
   * a third of the objects two fields would make.
   */
  sessions: Record<string, string[]>;
}

function packSession(s: Session): string {
  return `${s.token}\n${s.refresh ?? ''}`;
}

function unpackSession(packed: string): Session {
  const cut = packed.indexOf('\n');
  const refresh = cut < 0 ? '' : packed.slice(cut + 1);
  return { token: cut < 0 ? packed : packed.slice(0, cut), refresh: refresh === '' ? null : refresh };
}

/** Whether this VU took its sessions from the pool yet (each VU runs its own copy of this module). */
let seeded = false;

/** Names and their cumulative weights, as two arrays (every VU keeps its own copy: two objects, not one a name). */
interface Weighted {
  names: string[];
  cumulative: number[];
}

function table(list: ReadonlyArray<{ name: string; weight: number }>): Weighted {
  let sum = 0;
  const cumulative = list.map((e) => (sum += e.weight));
  return { names: list.map((e) => e.name), cumulative };
}

function pick(t: Weighted): string | undefined {
  const n = t.names.length;
  if (n === 0) return undefined;
  const r = Math.random() * (t.cumulative[n - 1] as number);
  for (let i = 0; i < n; i++) if (r < (t.cumulative[i] as number)) return t.names[i];
  return t.names[n - 1];
}

/** The captures of a step that has none (most): one list for all of them. */
const NO_CAPTURES: Array<[string, JsonPathStep[]]> = [];

interface CompiledStep {
  endpoint: string;
  captures: Array<[string, JsonPathStep[]]>;
  thinkS: number;
}

type Compiled =
  | { kind: 'steps'; steps: CompiledStep[]; session: 'vu' | 'iteration' }
  | { kind: 'pick'; table: Weighted }
  | { kind: 'mix'; table: Weighted };

function compile(f: Flow): Compiled {
  if (f.kind === 'steps') {
    return {
      kind: 'steps',
      session: f.session,
      steps: f.steps.map((s) => ({
        endpoint: s.endpoint,
        captures: Object.keys(s.capture).length
          ? Object.keys(s.capture).map((k) => [k, compileJsonPath(s.capture[k] as string)] as [string, JsonPathStep[]])
          : NO_CAPTURES,
        thinkS: s.thinkMs / 1000,
      })),
    };
  }
  if (f.kind === 'pick') return { kind: 'pick', table: table(f.endpoints) };
  return { kind: 'mix', table: table(f.flows) };
}

export class FlowRunner {
  private readonly flows = new Map<string, Compiled>();

  constructor(
    private readonly api: Api,
    plan: Plan,
  ) {
    // for-in and index loops: a for-of loop makes k6's runtime build its iterator machinery in every VU.
    for (const name in plan.flows) this.flows.set(name, compile(plan.flows[name] as Flow));
  }

  /**
   * k6's setup(): logs in the plan's session pool before the load, so that the VUs of `vu`
   * flows share those sessions instead of each logging in inside the load.
   */
  setup(): SetupData {
    const sessions: Record<string, string[]> = {};
    const pool = this.api.plan.sessionPool ?? {};
    for (const strategy in pool) {
      const size = pool[strategy] as number;
      const list: string[] = [];
      for (let i = 1; i <= size; i++) {
        const s = this.api.login(strategy, userVarsFor(this.api.plan, this.api.password, i));
        if (s) list.push(packSession(s));
      }
      sessions[strategy] = list;
    }
    return { sessions };
  }

  /** One iteration of flow `name`; `data` is what setup() returned. */
  run(name: string, data?: SetupData | null): void {
    if (!seeded) {
      seeded = true;
      const sessions = data?.sessions ?? {};
      for (const strategy in sessions) {
        const pool = sessions[strategy] as string[];
        // An empty pool (every login failed) leaves the VU to log in on its own.
        if (pool.length) vuSessions[strategy] = unpackSession(pool[(exec.vu.idInTest - 1) % pool.length] as string);
      }
    }
    const f = this.flows.get(name);
    if (!f) return;
    if (f.kind === 'mix') {
      const choice = pick(f.table);
      if (choice) this.run(choice, data);
      return;
    }
    const vars = userVars(this.api.plan, this.api.password);
    if (f.kind === 'pick') {
      const choice = pick(f.table);
      if (choice) this.send(choice, vars, vuSessions);
      return;
    }
    const sessions: Record<string, Session | undefined> = f.session === 'vu' ? vuSessions : {};
    for (let s = 0; s < f.steps.length; s++) {
      const step = f.steps[s] as CompiledStep;
      const res = this.send(step.endpoint, vars, sessions);
      if (!res) return; // no session could be had, or the request's answer cannot carry the flow on
      if (step.captures.length) {
        // k6 caches the parsed body, but one parse per step is all a capture needs.
        let body: unknown;
        try {
          body = res.json();
        } catch {
          return;
        }
        for (let c = 0; c < step.captures.length; c++) {
          const capture = step.captures[c] as [string, JsonPathStep[]];
          const k = capture[0];
          const path = capture[1];
          const v = readJsonPath(body, path);
          // A capture that is not there would send nonsense on: the iteration stops here.
          if (isMissing(v) || v === null) return;
          vars[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
        }
      }
      if (step.thinkS > 0) sleep(step.thinkS);
    }
  }

  /**
   * Sends one step: a login or refresh step updates its strategy's session; an authenticated
   * step logs in first when there is no session, and again after a `reloginOn` answer.
   * Returns the response, or null when the flow cannot go on.
   */
  private send(name: string, vars: Vars, sessions: Record<string, Session | undefined>) {
    const api = this.api;
    const loginOf = api.loginStrategyOf(name);
    if (loginOf) {
      const res = api.call(name, vars, null);
      const session = res ? api.sessionFrom(loginOf, res, null) : null;
      sessions[loginOf] = session ?? undefined;
      return session ? res : null;
    }
    const refreshOf = api.refreshStrategyOf(name);
    if (refreshOf) {
      const current = sessions[refreshOf];
      const res = api.call(name, { ...vars, refreshToken: current?.refresh ?? '' }, current ?? null);
      const next = res && current ? api.sessionFrom(refreshOf, res, current) : null;
      if (next) sessions[refreshOf] = next;
      return res;
    }
    const strategy = api.endpoint(name)?.login?.name ?? null;
    let session: Session | null = null;
    if (strategy) {
      session = sessions[strategy] ?? null;
      if (!session) {
        session = api.login(strategy, vars);
        sessions[strategy] = session ?? undefined;
        if (!session) return null;
      }
    }
    const res = api.call(name, vars, session);
    if (res && strategy && api.reloginOn(name, res.status)) {
      sessions[strategy] = api.login(strategy, vars) ?? undefined;
      if (!sessions[strategy]) return null;
    }
    return res;
  }
}
