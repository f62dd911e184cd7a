/** The user flows the scenarios are made of. k6 side: no Node APIs. */
import { FLOWS, MONITORING_WEIGHTS } from '../../lib/shared/defaults.ts';
import { sessionFrom, userVars, type Api, type Session } from './runtime.ts';

/** login → 2FA status → request-email-verify → refresh → logout. */
export function authFlow(api: Api): void {
  const vars = userVars(api.plan, api.password);
  let session = api.login(vars);
  if (!session) return;
  api.call('auth.2fa_status', vars, session);
  api.call('auth.request_email_verify', vars, session);
  const refreshed = api.call('auth.refresh', { ...vars, refreshToken: session.refresh }, session);
  if (refreshed) session = sessionFrom(refreshed, api.plan) ?? session;
  api.call('auth.logout', vars, session);
}

/** One logged-in session per VU, kept across iterations; a fresh login on 401. */
let userSession: Session | null = null;

export function userFlow(api: Api): void {
  const vars = userVars(api.plan, api.password);
  if (!userSession) userSession = api.login(vars);
  if (!userSession) return;
  for (const name of FLOWS.user) {
    const res = api.call(name, vars, userSession);
    if (res?.status === 401) {
      userSession = api.login(vars);
      if (!userSession) return;
    }
  }
}

interface Weighted {
  name: string;
  cumulative: number;
}

let monitoringTable: Weighted[] | null = null;

function monitoringEndpoints(api: Api): Weighted[] {
  if (monitoringTable) return monitoringTable;
  let sum = 0;
  monitoringTable = api.plan.endpoints
    .filter((e) => e.group === 'monitoring' || e.group === 'probes' || MONITORING_WEIGHTS[e.name] !== undefined)
    .map((e) => {
      sum += MONITORING_WEIGHTS[e.name] ?? 1;
      return { name: e.name, cumulative: sum };
    });
  return monitoringTable;
}

function pick<T extends { cumulative: number }>(table: readonly T[]): T | undefined {
  const last = table[table.length - 1];
  if (!last) return undefined;
  const r = Math.random() * last.cumulative;
  return table.find((w) => r < w.cumulative) ?? last;
}

/** One monitoring or probe request per iteration, picked by weight. */
export function monitoringFlow(api: Api): void {
  const choice = pick(monitoringEndpoints(api));
  if (choice) api.call(choice.name, userVars(api.plan, api.password), null);
}

const FLOW_FNS = { auth: authFlow, user: userFlow, monitoring: monitoringFlow } as const;
let journeyTable: Array<{ flow: keyof typeof FLOW_FNS; cumulative: number }> | null = null;

/** A weighted mix of the flows, as a user population would produce. */
export function journeyFlow(api: Api): void {
  if (!journeyTable) {
    let sum = 0;
    journeyTable = (['auth', 'user', 'monitoring'] as const)
      .filter((f) => (api.plan.journeyWeights[f] ?? 0) > 0)
      .map((flow) => {
        sum += api.plan.journeyWeights[flow] ?? 0;
        return { flow, cumulative: sum };
      });
  }
  const choice = pick(journeyTable);
  if (choice) FLOW_FNS[choice.flow](api);
}
