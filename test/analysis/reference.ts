/**
 * A deliberately naive reference analysis for the known-answer tests: every line through
 * JSON.parse, every value kept in an array, k6's percentile written out again. Independent of
 * the streaming code it checks.
 */
export interface RefEndpoint {
  durations: number[];
  waiting: number[];
  connecting: number[];
  outcomes: Record<string, number>;
  checks: { passes: number; fails: number };
  byStage: Map<string, number[]>;
  /** Durations and outcomes per stage × scenario, keyed `stage scenario` (a space between). */
  byCell: Map<string, { durations: number[]; outcomes: Record<string, number> }>;
}

export function k6p(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 1) return v[0] as number;
  const i = p * (v.length - 1);
  const lo = v[Math.floor(i)] as number;
  const hi = v[Math.ceil(i)] as number;
  return lo + (hi - lo) * (i - Math.floor(i));
}

/**
 * `stages`: the plan's windows. A request without a `stage` tag is in the window in which it was
 * sent (its time less its duration), counted from the load start (loadgate_load_start) before it.
 */
export function reference(
  lines: readonly string[],
  expect: Record<string, number[]>,
  stages: readonly { name: string; endS: number }[] = [],
): Map<string, RefEndpoint> {
  let loadStart: number | null = null;
  const stageOf = (time: string, durationMs: number): string => {
    if (loadStart === null || stages.length === 0) return '';
    const sentS = (Date.parse(time) + subMs(time) - durationMs - loadStart) / 1000;
    const hit = stages.find((s) => sentS < s.endS) ?? stages[stages.length - 1];
    return hit?.name ?? '';
  };
  const out = new Map<string, RefEndpoint>();
  const ep = (name: string) => {
    let e = out.get(name);
    if (!e) {
      e = {
        durations: [],
        waiting: [],
        connecting: [],
        outcomes: {},
        checks: { passes: 0, fails: 0 },
        byStage: new Map(),
        byCell: new Map(),
      };
      out.set(name, e);
    }
    return e;
  };
  for (const line of lines) {
    let o: { type?: string; metric?: string; data?: { time: string; value: number; tags?: Record<string, string> } };
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (o.type !== 'Point' || !o.data) continue;
    if (o.metric === 'loadgate_load_start') {
      loadStart ??= o.data.value;
      continue;
    }
    const tags = o.data.tags ?? {};
    const name = tags['name'];
    if (name === undefined) continue;
    const v = o.data.value;
    if (o.metric === 'http_req_duration') {
      const e = ep(name);
      e.durations.push(v);
      const stage = tags['stage'] ?? stageOf(o.data.time, v);
      e.byStage.set(stage, [...(e.byStage.get(stage) ?? []), v]);
      const status = Number(tags['status']);
      let k: string;
      if (status === 0) {
        k =
          { '1050': 'timeout', '1211': 'dialTimeout', '1212': 'connRefused', '1220': 'connReset', '1201': 'connReset' }[
            tags['error_code'] ?? ''
          ] ?? 'otherNetwork';
      } else if ((expect[name] ?? []).includes(status)) k = 'ok';
      else if (status >= 500) k = 'http5xx';
      else if (status >= 400) k = 'http4xx';
      else k = 'ok';
      e.outcomes[k] = (e.outcomes[k] ?? 0) + 1;
      const key = `${stage} ${tags['scenario'] ?? '(none)'}`;
      const c = e.byCell.get(key) ?? { durations: [], outcomes: {} };
      c.durations.push(v);
      c.outcomes[k] = (c.outcomes[k] ?? 0) + 1;
      e.byCell.set(key, c);
    } else if (o.metric === 'http_req_waiting') ep(name).waiting.push(v);
    else if (o.metric === 'http_req_connecting') ep(name).connecting.push(v);
    else if (o.metric === 'checks') {
      if (v !== 0) ep(name).checks.passes++;
      else ep(name).checks.fails++;
    }
  }
  return out;
}

/** The part of an RFC 3339 time below the millisecond (Date.parse drops it), in ms. */
function subMs(time: string): number {
  const m = /\.\d{3}(\d+)/.exec(time);
  return m ? Number(`0.${m[1]}`) : 0;
}
