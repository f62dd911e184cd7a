/**
 * Every query a generated dashboard runs (panel targets, query variables, annotations), and
 * Grafana's macro and variable substitution for InfluxQL, so that the proof can execute each
 * one against a real InfluxDB exactly as Grafana would send it.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

export interface DashboardQuery {
  dashboard: string;
  kind: 'panel' | 'variable' | 'annotation';
  /** e.g. `panel "P95 latency — auth" B`, `variable endpoint`, `annotation "Run events"`. */
  where: string;
  query: string;
}

interface RawTarget {
  refId?: string;
  query?: string;
  hide?: boolean;
}

interface RawPanel {
  type?: string;
  title?: string;
  targets?: RawTarget[];
  panels?: RawPanel[];
}

/** Lists every query of every panel (rows included), query variable and annotation. */
export function listDashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const name = dashboard.uid ?? dashboard.title ?? 'dashboard';
  const out: DashboardQuery[] = [];
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type === 'query' && typeof v.query === 'string')
      out.push({ dashboard: name, kind: 'variable', where: `variable ${v.name}`, query: v.query });
  }
  for (const a of dashboard.annotations?.list ?? []) {
    const target = a.target as unknown as RawTarget | undefined;
    if (target?.query) out.push({ dashboard: name, kind: 'annotation', where: `annotation "${a.name}"`, query: target.query });
  }
  const walk = (panels: readonly RawPanel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (t.hide) continue;
        if (typeof t.query === 'string')
          out.push({ dashboard: name, kind: 'panel', where: `panel "${p.title ?? '?'}" ${t.refId ?? ''}`.trim(), query: t.query });
      }
      if (p.panels) walk(p.panels);
    }
  };
  walk((dashboard.panels ?? []) as unknown as RawPanel[]);
  return out;
}

/** A variable's value: one string, several (multi-select), or `ALL` (the variable's All option). */
export const ALL: unique symbol = Symbol('all');
export type VariableValue = string | readonly string[] | typeof ALL;

export interface MacroContext {
  from: Date;
  to: Date;
  /** What Grafana computes as `$__interval` (range ÷ max data points, rounded). */
  intervalMs: number;
  vars: Readonly<Record<string, VariableValue>>;
  /** The All value per variable (the dashboard's `allValue`); default `.*`. */
  allValues?: Readonly<Record<string, string>>;
}

/** Grafana's InfluxDB datasource escapes regex metacharacters of multi/All variable values. */
function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/** Grafana's interval rendering: the largest whole unit (`10s`, `1m`, `250ms`). */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/**
 * Substitutes `$timeFilter`, `$__interval`, `$__interval_ms`, `$__timeFilter`-free InfluxQL
 * macros and `$var` / `${var}` / `[[var]]` variables as Grafana's InfluxDB datasource does:
 * `$timeFilter` → `time >= <from>ms and time <= <to>ms`; multi or All values become a regex
 * alternation `(a|b)` (All → the variable's allValue, unescaped); single values are inserted
 * as they are (inside a regex, escaped).
 */
export function substituteMacros(query: string, ctx: MacroContext): string {
  const timeFilter = `time >= ${ctx.from.getTime()}ms and time <= ${ctx.to.getTime()}ms`;
  let out = query
    .replace(/\$timeFilter\b/g, timeFilter)
    .replace(/\$__interval_ms\b/g, String(ctx.intervalMs))
    .replace(/\$__interval\b/g, formatInterval(ctx.intervalMs));
  const render = (name: string, inRegex: boolean): string | null => {
    if (!Object.hasOwn(ctx.vars, name)) return null;
    const value = ctx.vars[name] as VariableValue;
    if (value === ALL) return ctx.allValues?.[name] ?? '.*';
    if (typeof value === 'string') return inRegex ? escapeRegex(value) : value;
    const escaped = value.map(escapeRegex);
    return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
  };
  // Inside /…/ regex literals values are escaped; elsewhere they are inserted as is.
  out = out.replace(
    /\/\^?[^/]*\$?\/|\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g,
    (match, a: string | undefined, b: string | undefined, c: string | undefined) => {
      const name = a ?? b ?? c;
      if (name === undefined) {
        // a regex literal: substitute the variables inside it
        return match.replace(
          /\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g,
          (m, x: string | undefined, y: string | undefined, z: string | undefined) => {
            const n = (x ?? y ?? z) as string;
            return render(n, true) ?? m;
          },
        );
      }
      return render(name, false) ?? match;
    },
  );
  return out;
}

/** The `$…` left in a substituted query (unknown variables or macros): the proof fails on any. */
export function unresolved(query: string): string[] {
  return [...query.matchAll(/\$\{?\w+\}?|\[\[\w+\]\]/g)].map((m) => m[0]).filter((m) => m !== '$');
}
