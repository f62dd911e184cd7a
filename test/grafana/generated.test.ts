import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_DIR, DASHBOARD_FILES, DATASOURCE, generateDashboards } from '../../grafana/generate.ts';
import { ALL, formatInterval, listDashboardQueries, substituteMacros, unresolved, type MacroContext } from '../../grafana/queries.ts';
import { DEFAULT_ENDPOINTS } from '../../lib/shared/defaults.ts';

const generated = generateDashboards();
const dashboards = Object.fromEntries(Object.entries(generated).map(([f, json]) => [f, JSON.parse(json) as Dashboard]));
const live = dashboards[DASHBOARD_FILES.live]!;
const trends = dashboards[DASHBOARD_FILES.trends]!;

interface Panel {
  type: string;
  title: string;
  fieldConfig?: {
    defaults?: { thresholds?: { steps: { value: number | null }[] }; custom?: { thresholdsStyle?: { mode: string } } };
    overrides?: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
  };
  targets?: { datasource?: unknown }[];
}
const panels = (d: Dashboard) => (d.panels ?? []) as unknown as Panel[];

describe('generated dashboards', () => {
  it('are committed exactly as the code generates them (run `npx tsx grafana/generate.ts`)', async () => {
    for (const [file, json] of Object.entries(generated)) {
      expect(await readFile(join(DASHBOARD_DIR, file), 'utf8'), file).toBe(json);
    }
  });

  it('use modern panel types only, all on the provisioned datasource', () => {
    for (const d of [live, trends]) {
      for (const p of panels(d)) {
        expect(['timeseries', 'stat', 'table', 'row'], p.title).toContain(p.type);
        for (const t of p.targets ?? []) expect(t.datasource).toEqual(DATASOURCE);
      }
    }
  });

  it('draw P95 target lines from thresholds/: production SLO 500 ms, probes 100 ms', () => {
    const auth = panels(live).find((p) => p.title === 'P95 latency — auth')!;
    expect(auth.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value)).toEqual([null, 500]);
    expect(auth.fieldConfig?.defaults?.custom?.thresholdsStyle?.mode).toBe('dashed');
    const probes = panels(trends).find((p) => p.title === 'P95 per run — probes')!;
    expect(probes.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value)).toEqual([null, 100]);
  });

  it('override the line for an endpoint whose target differs from its panel', () => {
    const errors = panels(live).find((p) => p.title === 'Error rate per endpoint')!;
    // production: errorRate 0.05 everywhere, so no override is needed…
    expect(errors.fieldConfig?.overrides?.filter((o) => o.matcher.id === 'byName')).toEqual([]);
    // …but with a set whose probes differ, the probes get their own line.
    const custom = JSON.parse(
      generateDashboards({ sloSet: { defaults: { p95Ms: 300, errorRate: 0.02 }, probes: { errorRate: 0.5 } } })[DASHBOARD_FILES.live]!,
    ) as Dashboard;
    const over = panels(custom)
      .find((p) => p.title === 'Error rate per endpoint')!
      .fieldConfig?.overrides?.filter((o) => o.matcher.id === 'byName');
    expect(over?.map((o) => o.matcher.options).sort()).toEqual(['probes.health', 'probes.live', 'probes.ready']);
  });

  it('have one P95 panel per endpoint group of the catalogue', () => {
    const groups = [...new Set(Object.values(DEFAULT_ENDPOINTS).map((e) => e.group))];
    expect(
      panels(live)
        .filter((p) => p.title.startsWith('P95 latency — '))
        .map((p) => p.title.slice('P95 latency — '.length)),
    ).toEqual(groups);
  });

  it('have a run selector, annotations from run events, and a verdict history', () => {
    expect(live.templating?.list?.map((v) => v.name)).toEqual(['testid', 'endpoint']);
    expect(listDashboardQueries(live).filter((q) => q.kind === 'annotation')[0]?.query).toContain('"loadgate_events"');
    expect(panels(trends).find((p) => p.title === 'Verdict history')?.type).toBe('table');
  });
});

describe('Grafana macro substitution', () => {
  const ctx: MacroContext = {
    from: new Date(1000),
    to: new Date(61_000),
    intervalMs: 10_000,
    vars: { testid: 'R-1', endpoint: ['auth.login', 'user.me'], phase: ALL },
  };

  it('substitutes $timeFilter, $__interval and variables as Grafana does for InfluxQL', () => {
    const q = substituteMacros(
      `SELECT x FROM m WHERE "testid" = '$testid' AND "name" =~ /^$endpoint$/ AND "phase" =~ /^\${phase}$/ AND $timeFilter GROUP BY time($__interval)`,
      ctx,
    );
    expect(q).toBe(
      `SELECT x FROM m WHERE "testid" = 'R-1' AND "name" =~ /^(auth\\.login|user\\.me)$/ AND "phase" =~ /^.*$/ AND time >= 1000ms and time <= 61000ms GROUP BY time(10s)`,
    );
    expect(unresolved(q)).toEqual([]);
  });

  it('reports what it could not resolve', () => {
    expect(unresolved(substituteMacros(`WHERE "x" = '$nope'`, ctx))).toEqual(['$nope']);
  });

  it.each([
    [1000, '1s'],
    [60_000, '1m'],
    [250, '250ms'],
    [1500, '1500ms'],
  ])('formats %d ms as %s', (ms, s) => expect(formatInterval(ms)).toBe(s));
});

describe('provisioning', () => {
  it('defines the datasource the dashboards use, and a provider for the dashboards folder', async () => {
    const ds = parseYaml(await readFile(new URL('../../grafana/provisioning/datasources/loadgate.yaml', import.meta.url), 'utf8')) as {
      datasources: { uid: string; type: string; jsonData: { version: string } }[];
    };
    expect(ds.datasources[0]).toMatchObject({ uid: DATASOURCE.uid, type: 'influxdb', jsonData: { version: 'InfluxQL' } });
    const prov = parseYaml(await readFile(new URL('../../grafana/provisioning/dashboards/loadgate.yaml', import.meta.url), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(prov.providers[0]?.type).toBe('file');
  });
});
