import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  DASHBOARD_DIR,
  DASHBOARD_FILES,
  DATASOURCE,
  DATASOURCE_INPUT,
  IMPORT_DIR,
  INPUT_DATASOURCE,
  generateDashboards,
  panelTypes,
} from '../../grafana/generate.ts';
import { MissingImportInputError, evaluateImport } from '../../grafana/importer.ts';
import { ALL, formatInterval, listDashboardQueries, substituteMacros, unresolved, type MacroContext } from '../../grafana/queries.ts';
import { DEFAULT_ENDPOINTS } from '../../lib/shared/defaults.ts';
import { findSet } from '../../thresholds/sets.ts';

const generated = generateDashboards();
const generatedImport = generateDashboards({ form: 'import' });
const parseAll = (files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).map(([f, json]) => [f, JSON.parse(json) as Dashboard & Record<string, unknown>]));
const dashboards = parseAll(generated);
const importable = parseAll(generatedImport);
const live = dashboards[DASHBOARD_FILES.live]!;
const trends = dashboards[DASHBOARD_FILES.trends]!;

interface Threshold {
  value: number | null;
  color: string;
}
interface Panel {
  type: string;
  title: string;
  datasource?: unknown;
  options?: {
    colorMode?: string;
    textMode?: string;
    reduceOptions?: { calcs?: string[]; values?: boolean; fields?: string };
  };
  fieldConfig?: {
    defaults?: {
      color?: { mode: string };
      thresholds?: { mode?: string; steps: Threshold[] };
      custom?: { thresholdsStyle?: { mode: string } };
    };
    overrides?: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
  };
  targets?: { datasource?: unknown; alias?: string; query?: string }[];
  panels?: Panel[];
}
const panels = (d: Dashboard) => (d.panels ?? []) as unknown as Panel[];
const panel = (d: Dashboard, title: string) => {
  const p = panels(d).find((x) => x.title === title);
  if (!p) throw new Error(`no panel "${title}" in ${d.uid}`);
  return p;
};

/** Every value held under a `datasource` key, at any depth, with where it is. */
function datasourceRefs(value: unknown, path = '$'): { path: string; ref: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => datasourceRefs(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'datasource' ? [{ path: `${path}.${k}`, ref: v }, ...datasourceRefs(v, `${path}.${k}`)] : datasourceRefs(v, `${path}.${k}`),
  );
}

/** The colour Grafana gives a value: the last step it reaches (value >= step), as getActiveThreshold does. */
function colourOf(value: number, steps: readonly Threshold[]): string {
  let active = steps[0]!;
  for (const s of steps) {
    if (value >= (s.value ?? Number.NEGATIVE_INFINITY)) active = s;
    else break;
  }
  return active.color;
}

/** Grafana's stringToJsRegex for a `/body/flags` option. */
const jsRegex = (s: string) => {
  const m = /^\/(.*)\/([gimsuy]*)$/.exec(s);
  if (!m) throw new Error(`not a /regex/: ${s}`);
  return new RegExp(m[1]!, m[2]);
};

describe('generated dashboards', () => {
  it('are committed exactly as the code generates them, in both forms (run `npx tsx grafana/generate.ts`)', async () => {
    for (const [file, json] of Object.entries(generated)) {
      expect(await readFile(join(DASHBOARD_DIR, file), 'utf8'), file).toBe(json);
    }
    for (const [file, json] of Object.entries(generatedImport)) {
      expect(await readFile(join(IMPORT_DIR, file), 'utf8'), `import/${file}`).toBe(json);
    }
  });

  it('use modern panel types only; the provisioned form names the provisioned datasource everywhere', () => {
    for (const d of [live, trends]) {
      for (const p of panels(d)) expect(['timeseries', 'stat', 'table', 'row'], p.title).toContain(p.type);
      const refs = datasourceRefs(d);
      expect(refs.length).toBeGreaterThan(20);
      for (const { path, ref } of refs) expect(ref, `${d.uid} ${path}`).toEqual(DATASOURCE);
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

describe("the import form (grafana/import/): importable through Grafana's Import and into any instance", () => {
  it('declares the InfluxDB datasource as the input DS_INFLUXDB', () => {
    for (const d of Object.values(importable)) {
      expect(d['__inputs']).toEqual([
        expect.objectContaining({
          name: 'DS_INFLUXDB',
          label: 'InfluxDB',
          type: 'datasource',
          pluginId: 'influxdb',
          pluginName: 'InfluxDB',
        }),
      ]);
      expect(Object.keys(d).slice(0, 4)).toEqual(['__inputs', '__elements', '__requires', 'id']);
      expect(d.id).toBeNull();
    }
  });

  it('references the input in every panel, query, variable and annotation: no hard-coded uid is left', () => {
    for (const [file, d] of Object.entries(importable)) {
      const refs = datasourceRefs(d);
      for (const { path, ref } of refs) expect(ref, `${file} ${path}`).toEqual({ type: 'influxdb', uid: `\${DS_INFLUXDB}` });
      // every kind of place a datasource is named is covered
      for (const kind of [
        /^\$\.panels\[\d+\]\.datasource$/,
        /\.targets\[\d+\]\.datasource$/,
        /^\$\.templating\.list\[\d+\]\.datasource$/,
        /^\$\.annotations\.list\[\d+\]\.datasource$/,
      ])
        expect(
          refs.some((r) => kind.test(r.path)),
          `${file}: ${kind}`,
        ).toBe(true);
      // as many references as the provisioned form has, and its uid nowhere
      expect(refs).toHaveLength(datasourceRefs(dashboards[file]).length);
      expect(generatedImport[file]).not.toContain(DATASOURCE.uid);
    }
    expect(INPUT_DATASOURCE).toEqual({ type: 'influxdb', uid: '${' + DATASOURCE_INPUT.name + '}' });
  });

  it(`every \${…} in it is a declared input or a dashboard variable`, () => {
    for (const [file, d] of Object.entries(importable)) {
      const known = new Set([
        ...(d['__inputs'] as { name: string }[]).map((i) => i.name),
        ...(d.templating?.list ?? []).map((v) => v.name),
      ]);
      const used = [...generatedImport[file]!.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
      expect(used).toContain('DS_INFLUXDB');
      for (const name of used) expect(known, `${file}: \${${name}}`).toContain(name);
    }
  });

  it('lists in __requires Grafana, the InfluxDB datasource and exactly the panel types it uses, sorted by id', () => {
    for (const [file, d] of Object.entries(importable)) {
      const requires = d['__requires'] as { type: string; id: string; name: string; version: string }[];
      expect(
        requires.map((r) => r.id),
        file,
      ).toEqual([...requires.map((r) => r.id)].sort());
      expect(requires.find((r) => r.type === 'grafana')).toMatchObject({
        id: 'grafana',
        name: 'Grafana',
        version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      });
      expect(requires.filter((r) => r.type === 'datasource')).toEqual([
        { type: 'datasource', id: 'influxdb', name: 'InfluxDB', version: '1.0.0' },
      ]);
      const used = panelTypes(d);
      expect(used).not.toContain('row');
      expect(
        requires.filter((r) => r.type === 'panel').map((r) => r.id),
        file,
      ).toEqual(used);
      // …and those are the types of its panels, rows' collapsed panels included
      const walk = (ps: Panel[]): string[] => ps.flatMap((p) => [p.type, ...walk(p.panels ?? [])]);
      expect(new Set(walk(panels(d)).filter((t) => t !== 'row'))).toEqual(new Set(used));
    }
    // the Grafana release is the one for the schema version the dashboards carry
    expect(live.schemaVersion).toBe(42);
    expect((importable[DASHBOARD_FILES.live]!['__requires'] as { id: string; version: string }[])[0]).toEqual(
      expect.objectContaining({ id: 'grafana', version: '12.2.0' }),
    );
  });

  it('imported as Grafana imports it, with the provisioned datasource picked, is the provisioned form', () => {
    for (const [file, d] of Object.entries(importable)) {
      const imported = evaluateImport(d, [{ name: 'DS_INFLUXDB', type: 'datasource', value: DATASOURCE.uid }]);
      const { __elements, __requires, id, ...rest } = imported;
      expect({ __elements, id }).toEqual({ __elements: {}, id: null });
      expect(__requires).toEqual(d['__requires']);
      expect(rest, file).toEqual(dashboards[file]);
    }
  });

  it('cannot be imported without a datasource for the input', () => {
    expect(() => evaluateImport(importable[DASHBOARD_FILES.live]!, [])).toThrow(MissingImportInputError);
    expect(() => evaluateImport(importable[DASHBOARD_FILES.live]!, [{ name: 'DS_OTHER', type: 'datasource', value: 'x' }])).toThrow(
      /DS_INFLUXDB missing/,
    );
  });
});

describe('stat panels', () => {
  const stats = [live, trends].flatMap((d) => panels(d).filter((p) => p.type === 'stat'));

  it('the stage, a text field, is shown: its field selected by name, the last non-null value, as text without colour', () => {
    const stage = panel(live, 'Stage');
    expect(stage.options?.reduceOptions).toEqual({ calcs: ['lastNotNull'], values: false, fields: '/^stage$/' });
    expect(stage.options).toMatchObject({ textMode: 'value', colorMode: 'none' });
    // the InfluxDB datasource names the field by the query's alias: the regex must match it
    expect(stage.targets).toHaveLength(1);
    expect(jsRegex(stage.options!.reduceOptions!.fields!).test(stage.targets![0]!.alias!)).toBe(true);
  });

  it("every stat that selects fields by name does so completely, and matches each of its queries' field", () => {
    const selecting = stats.filter((p) => p.options?.reduceOptions?.fields);
    expect(selecting.map((p) => p.title)).toEqual(['Stage']);
    for (const p of selecting) {
      expect(p.options?.reduceOptions, p.title).toMatchObject({ calcs: ['lastNotNull'], values: false });
      expect(p.options?.textMode, p.title).not.toBe('auto');
      for (const t of p.targets ?? []) expect(jsRegex(p.options!.reduceOptions!.fields!).test(t.alias ?? ''), p.title).toBe(true);
    }
  });

  it('error rate: green below the production target (5 %), red at and over it', () => {
    const target = findSet('production')!.defaults.errorRate!;
    expect(target).toBe(0.05);
    const p = panel(live, 'Error rate');
    expect(p.fieldConfig?.defaults?.color).toEqual({ mode: 'thresholds' });
    const steps = p.fieldConfig!.defaults!.thresholds!.steps;
    expect(p.fieldConfig?.defaults?.thresholds?.mode).toBe('absolute');
    expect(steps).toEqual([
      { value: null, color: 'green' },
      { value: target, color: 'red' },
    ]);
    expect([0, 0.0499, target, 0.2, 1].map((v) => colourOf(v, steps))).toEqual(['green', 'green', 'red', 'red', 'red']);
  });

  it('timeout rate: green at the production target (no timeouts), red at the first timeout', () => {
    const target = findSet('production')!.defaults.maxTimeoutRate!;
    expect(target).toBe(0);
    const p = panel(live, 'Timeout rate');
    expect(p.fieldConfig?.defaults?.color).toEqual({ mode: 'thresholds' });
    const steps = p.fieldConfig!.defaults!.thresholds!.steps;
    expect(steps.map((s) => s.color)).toEqual(['green', 'red']);
    const redFrom = steps[1]!.value!;
    // met while measured <= target: red starts at the very next number above the target
    expect(redFrom).toBeGreaterThan(target);
    expect([target, redFrom]).toContain((target + redFrom) / 2);
    expect([target, 1e-9, 1 / 1_000_000, 0.01, 1].map((v) => colourOf(v, steps))).toEqual(['green', 'red', 'red', 'red', 'red']);
  });

  it('follow the set the dashboard draws its target lines from', () => {
    const phase2 = findSet('phase2')!;
    const d = JSON.parse(generateDashboards({ sloSetName: 'phase2' })[DASHBOARD_FILES.live]!) as Dashboard;
    const errors = panel(d, 'Error rate').fieldConfig!.defaults!.thresholds!.steps;
    const timeouts = panel(d, 'Timeout rate').fieldConfig!.defaults!.thresholds!.steps;
    expect(errors[1]?.value).toBe(phase2.defaults.errorRate);
    expect([phase2.defaults.maxTimeoutRate, 0.0101].map((v) => colourOf(v!, timeouts))).toEqual(['green', 'red']);
    // the dashed target line of the per-endpoint panel is the same set's
    expect(panel(d, 'Error rate per endpoint').fieldConfig?.defaults?.thresholds?.steps[1]?.value).toBe(phase2.defaults.errorRate);
    // a set without the target leaves the stat uncoloured
    const none = JSON.parse(generateDashboards({ sloSet: { defaults: { p95Ms: 300 } } })[DASHBOARD_FILES.live]!) as Dashboard;
    expect(panel(none, 'Timeout rate').fieldConfig?.defaults?.thresholds?.steps).toEqual([{ value: null, color: 'text' }]);
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
