/**
 * The two Grafana dashboards, generated with Grafana's own types (the Grafana foundation SDK)
 * from the same data as everything else: the endpoint catalogue (lib/shared/defaults.ts) and
 * the threshold sets (thresholds/). The JSON is committed under grafana/dashboards/ and a test
 * fails when regenerating it changes anything: `npm run grafana:generate` (or
 * `loadgate grafana generate`) rewrites it.
 *
 *   loadgate-live    Live run: RPS, VUs, P95 per endpoint with target lines, error and timeout
 *                    rates per endpoint, a run selector, annotations from run events.
 *   loadgate-trends  Nightly trends: P95, errors and timeouts per endpoint per run against
 *                    their targets, throughput, and the verdict history.
 *
 * Target lines come in two kinds, both from thresholds/:
 *   - the SLO set (default `production`), drawn as dashed threshold lines per endpoint
 *     (fieldConfig thresholds, per-endpoint overrides where an endpoint's target differs);
 *   - the run's own targets (the set it was judged against), drawn as red dotted series
 *     named `target <endpoint>`, from points the harness writes per run (lib/influx/points.ts).
 *
 * Every query is InfluxQL in raw mode. Each dashboard is written in two forms that differ only
 * in how they name the datasource (everything else is equal, and a test says so):
 *   grafana/dashboards/  provisioned: the datasource by its provisioned uid (below), loaded by
 *                        the file provider in grafana/provisioning/. File provisioning never
 *                        resolves `__inputs` (grafana/grafana#10786), so this form cannot use one.
 *   grafana/import/      for Grafana's Import (UI or another instance), as Grafana's own
 *                        "export for sharing externally" writes it: `__inputs` declares the
 *                        InfluxDB datasource as DS_INFLUXDB, every datasource reference is
 *                        `${DS_INFLUXDB}`, `__requires` lists Grafana, the datasource and the
 *                        panel types used. Import asks for the datasource and substitutes it.
 * The proof (test/grafana/queries.test.ts) runs every query of both forms, macros substituted,
 * against a real InfluxDB fed by a real k6 run.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type DynamicConfigValue,
  type Threshold,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { ROOT } from '../lib/root.ts';
import { HISTORY_RP, MEASUREMENTS } from '../lib/contract/influx.ts';
import { DEFAULT_ENDPOINTS, type EndpointDefaults } from '../lib/shared/defaults.ts';
import { resolveTarget } from '../thresholds/k6.ts';
import type { ThresholdSet } from '../lib/contract/thresholds.ts';
import { findSet } from '../thresholds/sets.ts';

/** The provisioned datasource (grafana/provisioning/datasources/loadgate.yaml). */
export const DATASOURCE = { type: 'influxdb', uid: 'loadgate-influxdb' } as const;

/**
 * The import form's datasource input, shaped as Grafana's exporter writes one
 * (public/app/features/dashboard/components/DashExportModal/DashboardExporter.ts): Import shows
 * a datasource picker of this plugin and replaces `${DS_INFLUXDB}` in every string.
 */
export const DATASOURCE_INPUT = {
  name: 'DS_INFLUXDB',
  label: 'InfluxDB',
  description: 'The InfluxDB 1.x database (InfluxQL) that `loadgate run --influx` writes to',
  type: 'datasource',
  pluginId: 'influxdb',
  pluginName: 'InfluxDB',
} as const;

/** Every datasource reference of the import form. */
export const INPUT_DATASOURCE = { type: DATASOURCE.type, uid: '${' + DATASOURCE_INPUT.name + '}' } as const;

export const DASHBOARD_FILES = {
  live: 'loadgate-live.json',
  trends: 'loadgate-trends.json',
} as const;

/** `provisioned`: for grafana/provisioning (fixed uid); `import`: for Grafana's Import (`__inputs`). */
export type DashboardForm = 'provisioned' | 'import';

/**
 * The Grafana release the dashboards need, from the schema version the foundation SDK writes:
 * schemaVersion 42 (grafana/grafana#110517, merged September 2025) first shipped in the 12.2
 * line; a Grafana 12.2.1 export carries 42. A newer SDK with another schema version fails here
 * until its Grafana release is added.
 */
const GRAFANA_FOR_SCHEMA: Readonly<Record<number, string>> = { 42: '12.2.0' };

/** Name of each panel plugin the dashboards use, as `__requires` spells it (core panels carry no version). */
const PANEL_PLUGINS: Readonly<Record<string, string>> = { stat: 'Stat', table: 'Table', timeseries: 'Time series' };

export interface DashboardRequirement {
  type: 'grafana' | 'datasource' | 'panel';
  id: string;
  name: string;
  version: string;
}

/** A dashboard in the import form: Grafana's export-for-sharing fields first, then the dashboard. */
export type ImportableDashboard = {
  __inputs: (typeof DATASOURCE_INPUT)[];
  __elements: Record<string, never>;
  __requires: DashboardRequirement[];
  id: null;
} & Dashboard;

interface PanelShape {
  type?: string;
  panels?: PanelShape[];
}

/** The panel types a dashboard uses (rows and their collapsed panels included), rows excepted. */
export function panelTypes(dashboard: Dashboard): string[] {
  const out = new Set<string>();
  const walk = (panels: readonly PanelShape[]) => {
    for (const p of panels) {
      if (p.type && p.type !== 'row') out.add(p.type);
      if (p.panels) walk(p.panels);
    }
  };
  walk((dashboard.panels ?? []) as unknown as PanelShape[]);
  return [...out].sort();
}

/** What the dashboard needs, as Grafana's exporter lists it: Grafana, the datasource plugin, each panel plugin; by id. */
export function requirements(dashboard: Dashboard): DashboardRequirement[] {
  const grafana = GRAFANA_FOR_SCHEMA[dashboard.schemaVersion];
  if (grafana === undefined) throw new Error(`no Grafana release known for dashboard schemaVersion ${dashboard.schemaVersion}`);
  const out: DashboardRequirement[] = [
    { type: 'grafana', id: 'grafana', name: 'Grafana', version: grafana },
    // The InfluxDB datasource is a core plugin; exports give core datasources version 1.0.0.
    { type: 'datasource', id: DATASOURCE_INPUT.pluginId, name: DATASOURCE_INPUT.pluginName, version: '1.0.0' },
  ];
  for (const type of panelTypes(dashboard)) {
    const name = PANEL_PLUGINS[type];
    if (name === undefined) throw new Error(`panel type "${type}" has no entry in PANEL_PLUGINS (grafana/generate.ts)`);
    out.push({ type: 'panel', id: type, name, version: '' });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

const isProvisionedRef = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  (v as { uid?: unknown }).uid === DATASOURCE.uid &&
  (v as { type?: unknown }).type === DATASOURCE.type;

/**
 * The import form of a dashboard: every datasource reference (panels, their queries, variables,
 * annotations and their queries) becomes the input, and `__inputs`, `__elements`, `__requires`
 * and `id: null` come first, as in Grafana's export for sharing externally.
 */
export function forImport(dashboard: Dashboard): ImportableDashboard {
  const swap = (value: unknown, key?: string): unknown => {
    if (key === 'datasource' && isProvisionedRef(value)) return { ...INPUT_DATASOURCE };
    if (Array.isArray(value)) return value.map((v) => swap(v));
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v, k)]));
    if (typeof value === 'string' && value.includes(DATASOURCE.uid))
      throw new Error(`the provisioned datasource uid is left in "${value}" of dashboard ${dashboard.uid}`);
    return value;
  };
  // `id` is the instance's own number for a dashboard: an export carries none.
  const { id: _id, ...rest } = swap(dashboard) as Dashboard;
  return {
    __inputs: [{ ...DATASOURCE_INPUT }],
    __elements: {},
    __requires: requirements(dashboard),
    id: null,
    ...rest,
  };
}

export interface GenerateOptions {
  /** The endpoint catalogue; default: lib/shared/defaults.ts. */
  endpoints?: Readonly<Record<string, Pick<EndpointDefaults, 'group' | 'probe' | 'enabled'>>>;
  /** The set drawn as the SLO lines; default `production`. */
  sloSetName?: string;
  sloSet?: ThresholdSet;
}

interface CatalogEndpoint {
  name: string;
  group: string;
  probe: boolean;
}

/** InfluxQL in raw mode: the Grafana InfluxDB datasource's query model. */
export interface InfluxQLQuery extends cog.Dataquery {
  refId: string;
  datasource: typeof DATASOURCE;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
}

class InfluxQL implements cog.Builder<cog.Dataquery> {
  private readonly q: Omit<InfluxQLQuery, '_implementsDataqueryVariant'>;
  constructor(refId: string, query: string, resultFormat: 'time_series' | 'table' = 'time_series', alias?: string) {
    this.q = { refId, datasource: DATASOURCE, query, rawQuery: true, resultFormat, ...(alias !== undefined ? { alias } : {}) };
  }
  build(): cog.Dataquery {
    return { ...this.q } as unknown as cog.Dataquery;
  }
}

/** Annotation query model of the InfluxDB datasource: InfluxQL plus which columns are text, title and tags. */
class InfluxQLAnnotation implements cog.Builder<cog.Dataquery> {
  constructor(private readonly query: string) {}
  build(): cog.Dataquery {
    return {
      refId: 'Anno',
      datasource: DATASOURCE,
      query: this.query,
      rawQuery: true,
      resultFormat: 'table',
      fromAnnotations: true,
      titleColumn: 'title',
      textColumn: 'text',
      tagsColumn: 'type,stage',
    } as unknown as cog.Dataquery;
  }
}

// ---------------------------------------------------------------------------------------------
// Query fragments. `$testid`, `$endpoint`, `$phase`, `$scenario` are dashboard variables.

const q = (ident: string) => `"${ident.replace(/"/g, '\\"')}"`;
const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** An InfluxQL regex matching exactly these names. */
const nameRegex = (names: readonly string[]) => `/^(${names.map(reEscape).join('|')})$/`;
const HISTORY = (m: string) => `${q(HISTORY_RP)}.${q(m)}`;
const RUN = `"testid" = '$testid'`;
const TREND_FILTER = `"phase" =~ /^$phase$/ AND "scenario" =~ /^$scenario$/`;
/**
 * The live run's measurements: loadgate's per-second points per endpoint (lib/influx/live.ts),
 * written in every --influx-mode; the readiness checks beside the load are in none of them.
 */
const LIVE = q(MEASUREMENTS.live);
const LIVE_VUS = q(MEASUREMENTS.liveVus);
const LIVE_TOTALS = q(MEASUREMENTS.liveTotals);

const COLORS = { ok: 'green', target: 'red', warn: 'orange', none: 'text' };

function catalog(opts: GenerateOptions): CatalogEndpoint[] {
  const eps = opts.endpoints ?? DEFAULT_ENDPOINTS;
  return Object.entries(eps)
    .filter(([, e]) => e.enabled)
    .map(([name, e]) => ({ name, group: e.group, probe: e.probe }));
}

function groupsOf(eps: readonly CatalogEndpoint[]): Map<string, CatalogEndpoint[]> {
  const out = new Map<string, CatalogEndpoint[]>();
  for (const e of eps) out.set(e.group, [...(out.get(e.group) ?? []), e]);
  return out;
}

function sloSet(opts: GenerateOptions): { name: string; set: ThresholdSet } {
  const name = opts.sloSetName ?? 'production';
  const set = opts.sloSet ?? findSet(name);
  if (!set) throw new Error(`unknown threshold set "${name}" for the Grafana SLO lines`);
  return { name, set };
}

type TargetKey = 'p95Ms' | 'errorRate' | 'maxTimeoutRate';

function steps(target: number | null): Threshold[] {
  const base: Threshold = { value: null, color: COLORS.ok };
  return target === null ? [base] : [base, { value: target, color: COLORS.target }];
}

/**
 * SLO lines: the most common target of the panel's endpoints becomes the panel's threshold,
 * any endpoint whose target differs gets its own (a per-series override).
 */
function withSloLines(
  panel: timeseries.PanelBuilder,
  eps: readonly CatalogEndpoint[],
  set: ThresholdSet,
  key: TargetKey,
): timeseries.PanelBuilder {
  const targets = eps.map((e) => ({ name: e.name, value: resolveTarget(set, e)[key] }));
  const counts = new Map<number | null, number>();
  for (const t of targets) counts.set(t.value, (counts.get(t.value) ?? 0) + 1);
  const common_ = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))[0]?.[0] ?? null;
  panel
    .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps(common_)))
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  for (const t of targets) {
    if (t.value === common_) continue;
    panel.overrideByName(t.name, [
      { id: 'thresholds', value: { mode: ThresholdsMode.Absolute, steps: steps(t.value) } },
      { id: 'custom.thresholdsStyle', value: { mode: common.GraphThresholdsStyleMode.Dashed } },
    ]);
  }
  return panel;
}

/** Series named `target …` are the run's own targets: red, dotted, no fill. */
const TARGET_SERIES: DynamicConfigValue[] = [
  { id: 'color', value: { mode: FieldColorModeId.Fixed, fixedColor: COLORS.target } },
  { id: 'custom.lineStyle', value: { fill: 'dot', dash: [2, 6] } },
  { id: 'custom.lineWidth', value: 1 },
  { id: 'custom.fillOpacity', value: 0 },
  { id: 'custom.showPoints', value: common.VisibilityMode.Never },
];

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Right)
    .calcs(['lastNotNull', 'max']);
}

function tsPanel(title: string, description: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .height(8)
    .span(12)
    .lineWidth(2)
    .fillOpacity(5)
    .spanNulls(true)
    .legend(legend())
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .overrideByRegexp('/^target /', TARGET_SERIES);
}

function statPanel(title: string, description: string, unit: string, query: string, span = 4): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .height(4)
    .span(span)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .withTarget(new InfluxQL('A', query));
}

/**
 * A stat of one text field (a string, such as the stage). The stat panel shows numeric fields
 * only unless `reduceOptions.fields` names others (a regex on the field's display name); the
 * InfluxDB datasource names a time-series field by the query's alias, so the alias is the
 * field name the regex matches. `lastNotNull` reduces strings too; a string has no threshold
 * to be coloured by, so no colour.
 */
function textStatPanel(title: string, description: string, field: string, query: string, span = 4): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .height(4)
    .span(span)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.None)
    .textMode(common.BigValueTextMode.Value)
    .reduceOptions(
      new common.ReduceDataOptionsBuilder()
        .calcs(['lastNotNull'])
        .values(false)
        .fields(`/^${reEscape(field)}$/`),
    )
    .withTarget(new InfluxQL('A', query, 'time_series', field));
}

/** The next number above x: the first value that breaches a target met while measured <= x. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] = (bits[0] as bigint) + (x > 0 ? 1n : -1n);
  return new Float64Array(bits.buffer)[0] as number;
}

/**
 * Colours a run-wide rate against its target (lib/contract/thresholds.ts gives each its comparator):
 * green while the target is met, red from the first value that breaches it. Grafana colours a
 * value with the last step it reaches (value >= step), so for `errorRate` (met while below) red
 * starts at the target itself, for `maxTimeoutRate` (met while at most) just above it: with the
 * production set's 0, a run without timeouts is green and the first timeout is red. No target,
 * no colour.
 */
function targetColours(target: number | null, met: 'below' | 'atMost'): ThresholdsConfigBuilder {
  const steps: Threshold[] =
    target === null
      ? [{ value: null, color: COLORS.none }]
      : [
          { value: null, color: COLORS.ok },
          { value: met === 'below' ? target : nextUp(target), color: COLORS.target },
        ];
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

const VERDICT_MAPPINGS: ValueMapping[] = [
  {
    type: MappingType.ValueToText,
    options: {
      pass: { text: 'pass', color: 'green', index: 0 },
      fail: { text: 'fail', color: 'red', index: 1 },
      inconclusive: { text: 'inconclusive', color: 'orange', index: 2 },
      none: { text: 'no verdict', color: 'text', index: 3 },
      '0': { text: 'pass', color: 'green', index: 4 },
      '1': { text: 'inconclusive', color: 'orange', index: 5 },
      '2': { text: 'fail', color: 'red', index: 6 },
      '-1': { text: 'no verdict', color: 'text', index: 7 },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Live run

function liveDashboard(opts: GenerateOptions): Dashboard {
  const eps = catalog(opts);
  const groups = groupsOf(eps);
  const slo = sloSet(opts);
  const EP = `"name" =~ /^$endpoint$/`;
  const interval = '$__interval';

  const d = new DashboardBuilder('loadgate — live run')
    .uid('loadgate-live')
    .description(
      `One k6 run as it happens (loadgate's per-second points per endpoint, tagged testid/phase/scenario/name/stage). ` +
        `Dashed lines: the ${slo.name} targets (thresholds/); red dotted series: the run's own targets. Generated by grafana/generate.ts — do not edit.`,
    )
    .tags(['loadgate', 'k6'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('5s')
    .time({ from: 'now-15m', to: 'now' })
    .withVariable(
      new QueryVariableBuilder('testid')
        .label('Run')
        .description('The run id (k6 tag testid); newest first')
        .datasource(DATASOURCE)
        .query(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.events)} WITH KEY = "testid"`)
        .definition(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.events)} WITH KEY = "testid"`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalDesc),
    )
    .withVariable(
      new QueryVariableBuilder('endpoint')
        .label('Endpoint')
        .datasource(DATASOURCE)
        .query(`SHOW TAG VALUES FROM ${LIVE} WITH KEY = "name" WHERE ${RUN}`)
        .definition(`SHOW TAG VALUES FROM ${LIVE} WITH KEY = "name" WHERE ${RUN}`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .annotation(
      new AnnotationQueryBuilder()
        .name('Run events')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('blue')
        .target(
          new InfluxQLAnnotation(`SELECT "title", "text", "type", "stage" FROM ${q(MEASUREMENTS.events)} WHERE ${RUN} AND $timeFilter`),
        ),
    );

  d.withRow(new RowBuilder('Overview'));
  d.withPanel(
    statPanel(
      'Requests',
      'HTTP requests of the load so far in this run (the readiness checks beside it left out)',
      'short',
      `SELECT sum("requests") FROM ${LIVE} WHERE ${RUN} AND $timeFilter`,
    ),
  )
    .withPanel(
      statPanel(
        'Error rate',
        `Share of requests that are not ok (an unexpected status, a timeout, a network error), as in the analysis; red from the ${slo.name} target on`,
        'percentunit',
        `SELECT sum("errors") / sum("requests") FROM ${LIVE} WHERE ${RUN} AND $timeFilter`,
      )
        .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
        .thresholds(targetColours(slo.set.defaults.errorRate ?? null, 'below')),
    )
    .withPanel(
      statPanel(
        'Timeout rate',
        `Share of requests that timed out (k6 error_code 1050, and 1211 dial timeouts), as in the analysis; red once over the ${slo.name} target`,
        'percentunit',
        `SELECT sum("timeouts") / sum("requests") FROM ${LIVE} WHERE ${RUN} AND $timeFilter`,
      )
        .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
        .thresholds(targetColours(slo.set.defaults.maxTimeoutRate ?? null, 'atMost')),
    )
    .withPanel(
      statPanel(
        'Peak VUs',
        'Most virtual users active at once',
        'short',
        `SELECT max("vus") FROM ${LIVE_VUS} WHERE ${RUN} AND $timeFilter`,
      ),
    )
    .withPanel(
      statPanel(
        'Verdict',
        'The harness verdict, once the run is analysed',
        'none',
        `SELECT last("verdict_code") FROM ${HISTORY(MEASUREMENTS.runs)} WHERE ${RUN}`,
      ).mappings(VERDICT_MAPPINGS),
    )
    .withPanel(
      textStatPanel(
        'Stage',
        'The load stage the run is in (from the run events)',
        'stage',
        `SELECT last("stage") FROM ${q(MEASUREMENTS.events)} WHERE ${RUN} AND "type" = 'stage' AND $timeFilter`,
      ),
    );

  d.withRow(new RowBuilder('Load'));
  d.withPanel(
    tsPanel('Requests per second', 'Achieved throughput: all endpoints, and per endpoint (mean of per-second counts)', 'reqps')
      .withTarget(
        new InfluxQL(
          'A',
          `SELECT mean("n") FROM (SELECT sum("requests") AS "n" FROM ${LIVE} WHERE ${RUN} AND ${EP} AND $timeFilter GROUP BY time(1s) fill(0)) WHERE $timeFilter GROUP BY time(${interval})`,
          'time_series',
          'all endpoints',
        ),
      )
      .withTarget(
        new InfluxQL(
          'B',
          `SELECT mean("n") FROM (SELECT sum("requests") AS "n" FROM ${LIVE} WHERE ${RUN} AND ${EP} AND $timeFilter GROUP BY time(1s), "name" fill(0)) WHERE $timeFilter GROUP BY time(${interval}), "name"`,
          'time_series',
          '$tag_name',
        ),
      ),
  ).withPanel(
    tsPanel('Virtual users', 'Active VUs and the VUs k6 allocated', 'short')
      .withTarget(
        new InfluxQL(
          'A',
          `SELECT max("vus") FROM ${LIVE_VUS} WHERE ${RUN} AND $timeFilter GROUP BY time(${interval})`,
          'time_series',
          'active VUs',
        ),
      )
      .withTarget(
        new InfluxQL(
          'B',
          `SELECT max("vus_max") FROM ${LIVE_VUS} WHERE ${RUN} AND $timeFilter GROUP BY time(${interval})`,
          'time_series',
          'allocated VUs',
        ),
      ),
  );

  d.withRow(new RowBuilder('Latency (P95 per endpoint)'));
  for (const [group, members] of groups) {
    const re = nameRegex(members.map((m) => m.name));
    d.withPanel(
      withSloLines(
        tsPanel(
          `P95 latency — ${group}`,
          `95th percentile of http_req_duration per endpoint of the ${group} group, per second (over a wider interval: its worst second)`,
          'ms',
        ),
        members,
        slo.set,
        'p95Ms',
      )
        .withTarget(
          new InfluxQL(
            'A',
            `SELECT max("p95") FROM ${LIVE} WHERE ${RUN} AND "name" =~ ${re} AND ${EP} AND $timeFilter GROUP BY time(${interval}), "name" fill(none)`,
            'time_series',
            '$tag_name',
          ),
        )
        .withTarget(
          new InfluxQL(
            'B',
            `SELECT last("p95_ms") FROM ${q(MEASUREMENTS.targets)} WHERE ${RUN} AND "endpoint" =~ ${re} AND "endpoint" =~ /^$endpoint$/ AND $timeFilter GROUP BY time(${interval}), "endpoint" fill(previous)`,
            'time_series',
            'target $tag_endpoint',
          ),
        ),
    );
  }

  d.withRow(new RowBuilder('Errors and timeouts'));
  d.withPanel(
    withSloLines(
      tsPanel('Error rate per endpoint', 'Share of requests that are not ok, per endpoint (as in the analysis)', 'percentunit'),
      eps,
      slo.set,
      'errorRate',
    )
      .withTarget(
        new InfluxQL(
          'A',
          `SELECT sum("errors") / sum("requests") FROM ${LIVE} WHERE ${RUN} AND ${EP} AND $timeFilter GROUP BY time(${interval}), "name" fill(none)`,
          'time_series',
          '$tag_name',
        ),
      )
      .withTarget(
        new InfluxQL(
          'B',
          `SELECT last("error_rate") FROM ${q(MEASUREMENTS.targets)} WHERE ${RUN} AND "endpoint" =~ /^$endpoint$/ AND $timeFilter GROUP BY time(${interval}), "endpoint" fill(previous)`,
          'time_series',
          'target $tag_endpoint',
        ),
      ),
  ).withPanel(
    withSloLines(
      tsPanel('Timeout rate per endpoint', 'Share of requests that timed out (k6 error_code 1050 or 1211) per endpoint', 'percentunit'),
      eps,
      slo.set,
      'maxTimeoutRate',
    )
      .withTarget(
        new InfluxQL(
          'A',
          `SELECT sum("timeouts") / sum("requests") FROM ${LIVE} WHERE ${RUN} AND ${EP} AND $timeFilter GROUP BY time(${interval}), "name" fill(none)`,
          'time_series',
          '$tag_name',
        ),
      )
      .withTarget(
        new InfluxQL(
          'B',
          `SELECT last("timeout_rate") FROM ${q(MEASUREMENTS.targets)} WHERE ${RUN} AND "endpoint" =~ /^$endpoint$/ AND $timeFilter GROUP BY time(${interval}), "endpoint" fill(previous)`,
          'time_series',
          'target $tag_endpoint',
        ),
      ),
  );
  d.withPanel(
    new table.PanelBuilder()
      .title('Endpoints in this run')
      .description('Per endpoint over the run so far (every stage): requests, P95 and mean latency, from merged histograms')
      .datasource(DATASOURCE)
      .height(8)
      .span(24)
      .withTarget(
        new InfluxQL(
          'A',
          `SELECT last("requests") AS "requests", last("p95") AS "p95", last("mean") AS "mean" FROM ${LIVE_TOTALS} WHERE ${RUN} AND ${EP} AND $timeFilter GROUP BY "name"`,
          'table',
        ),
      )
      .overrideByName('p95', [{ id: 'unit', value: 'ms' }])
      .overrideByName('mean', [{ id: 'unit', value: 'ms' }]),
  );
  return d.build();
}

// ---------------------------------------------------------------------------------------------
// Nightly trends

function trendsDashboard(opts: GenerateOptions): Dashboard {
  const eps = catalog(opts);
  const groups = groupsOf(eps);
  const slo = sloSet(opts);
  const SUMMARY = HISTORY(MEASUREMENTS.summary);
  const RUNS = HISTORY(MEASUREMENTS.runs);
  const EP = `"endpoint" =~ /^$endpoint$/`;
  const perRun = (field: string, re?: string) =>
    `SELECT ${q(field)} FROM ${SUMMARY} WHERE ${TREND_FILTER} AND ${EP}${re ? ` AND "endpoint" =~ ${re}` : ''} AND $timeFilter GROUP BY "endpoint"`;

  const trendPanel = (title: string, description: string, unit: string) =>
    tsPanel(title, description, unit).drawStyle(common.GraphDrawStyle.Line).showPoints(common.VisibilityMode.Always).pointSize(6);

  const d = new DashboardBuilder('loadgate — nightly trends')
    .uid('loadgate-trends')
    .description(
      `One point per endpoint per run (the harness's summary, kept in the "${HISTORY_RP}" retention policy, which outlives raw data). ` +
        `Dashed lines: the ${slo.name} targets; red dotted series: each run's own targets. Generated by grafana/generate.ts — do not edit.`,
    )
    .tags(['loadgate', 'k6', 'trends'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-30d', to: 'now' })
    .withVariable(
      new QueryVariableBuilder('phase')
        .label('Phase')
        .datasource(DATASOURCE)
        .query(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.summary)} WITH KEY = "phase"`)
        .definition(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.summary)} WITH KEY = "phase"`)
        .refresh(VariableRefresh.OnDashboardLoad)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withVariable(
      new QueryVariableBuilder('scenario')
        .label('Scenario')
        .datasource(DATASOURCE)
        .query(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.summary)} WITH KEY = "scenario"`)
        .definition(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.summary)} WITH KEY = "scenario"`)
        .refresh(VariableRefresh.OnDashboardLoad)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withVariable(
      new QueryVariableBuilder('endpoint')
        .label('Endpoint')
        .datasource(DATASOURCE)
        .query(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.summary)} WITH KEY = "endpoint"`)
        .definition(`SHOW TAG VALUES FROM ${q(MEASUREMENTS.summary)} WITH KEY = "endpoint"`)
        .refresh(VariableRefresh.OnDashboardLoad)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .annotation(
      new AnnotationQueryBuilder()
        .name('Verdicts')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('purple')
        .target(
          new InfluxQLAnnotation(
            `SELECT "title", "text", "type", "stage" FROM ${HISTORY(MEASUREMENTS.events)} WHERE "type" = 'verdict' AND ${TREND_FILTER} AND $timeFilter`,
          ),
        ),
    );

  d.withRow(new RowBuilder('Verdicts'));
  d.withPanel(
    statPanel(
      'Last verdict',
      'The newest run in range',
      'none',
      `SELECT last("verdict_code") FROM ${RUNS} WHERE ${TREND_FILTER} AND $timeFilter`,
      6,
    ).mappings(VERDICT_MAPPINGS),
  )
    .withPanel(
      statPanel('Runs', 'Runs in range', 'short', `SELECT count("verdict_code") FROM ${RUNS} WHERE ${TREND_FILTER} AND $timeFilter`, 6),
    )
    .withPanel(
      statPanel(
        'Failed runs',
        'Runs in range whose verdict is fail',
        'short',
        `SELECT sum("failed") FROM ${RUNS} WHERE ${TREND_FILTER} AND $timeFilter`,
        6,
      ).thresholds(
        new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ]),
      ),
    )
    .withPanel(
      statPanel(
        'Achieved RPS (last run)',
        'Throughput in the steady window of the newest run',
        'reqps',
        `SELECT last("achieved_rps") FROM ${RUNS} WHERE ${TREND_FILTER} AND $timeFilter`,
        6,
      ),
    );
  d.withPanel(
    new table.PanelBuilder()
      .title('Verdict history')
      .description('Every run in range, newest first: verdict, set, and the run-wide figures')
      .datasource(DATASOURCE)
      .height(9)
      .span(24)
      .withTarget(
        new InfluxQL(
          'A',
          `SELECT "verdict", "threshold_set", "requests", "p95", "error_rate", "timeout_rate", "achieved_rps", "offered_rps" FROM ${RUNS} WHERE ${TREND_FILTER} AND $timeFilter GROUP BY "testid", "phase", "scenario" ORDER BY time DESC`,
          'table',
        ),
      )
      .overrideByName('verdict', [
        { id: 'mappings', value: VERDICT_MAPPINGS },
        { id: 'custom.cellOptions', value: { type: 'color-background' } },
      ])
      .overrideByName('p95', [{ id: 'unit', value: 'ms' }])
      .overrideByName('error_rate', [{ id: 'unit', value: 'percentunit' }])
      .overrideByName('timeout_rate', [{ id: 'unit', value: 'percentunit' }])
      .overrideByName('achieved_rps', [{ id: 'unit', value: 'reqps' }])
      .overrideByName('offered_rps', [{ id: 'unit', value: 'reqps' }]),
  );

  d.withRow(new RowBuilder('Latency (P95 per endpoint per run)'));
  for (const [group, members] of groups) {
    const re = nameRegex(members.map((m) => m.name));
    d.withPanel(
      withSloLines(
        trendPanel(`P95 per run — ${group}`, `P95 of each ${group} endpoint, one point per run`, 'ms'),
        members,
        slo.set,
        'p95Ms',
      )
        .withTarget(new InfluxQL('A', perRun('p95', re), 'time_series', '$tag_endpoint'))
        .withTarget(new InfluxQL('B', perRun('target_p95', re), 'time_series', 'target $tag_endpoint')),
    );
  }

  d.withRow(new RowBuilder('Errors and timeouts per run'));
  d.withPanel(
    withSloLines(
      trendPanel('Error rate per run', 'Share of non-ok requests per endpoint, one point per run', 'percentunit'),
      eps,
      slo.set,
      'errorRate',
    )
      .withTarget(new InfluxQL('A', perRun('error_rate'), 'time_series', '$tag_endpoint'))
      .withTarget(new InfluxQL('B', perRun('target_error_rate'), 'time_series', 'target $tag_endpoint')),
  )
    .withPanel(
      withSloLines(
        trendPanel('Timeout rate per run', 'Share of timed-out requests per endpoint, one point per run', 'percentunit'),
        eps,
        slo.set,
        'maxTimeoutRate',
      )
        .withTarget(new InfluxQL('A', perRun('timeout_rate'), 'time_series', '$tag_endpoint'))
        .withTarget(new InfluxQL('B', perRun('target_timeout_rate'), 'time_series', 'target $tag_endpoint')),
    )
    .withPanel(
      trendPanel('Timeouts per run', 'Timed-out requests (client and dial timeouts) per endpoint, one point per run', 'short').withTarget(
        new InfluxQL('A', perRun('timeouts'), 'time_series', '$tag_endpoint'),
      ),
    )
    .withPanel(
      trendPanel('Throughput per run', 'Achieved and offered requests per second in the steady window, one point per run', 'reqps')
        .withTarget(
          new InfluxQL(
            'A',
            `SELECT "achieved_rps" FROM ${RUNS} WHERE ${TREND_FILTER} AND $timeFilter GROUP BY "phase", "scenario"`,
            'time_series',
            'achieved $tag_scenario ($tag_phase)',
          ),
        )
        .withTarget(
          new InfluxQL(
            'B',
            `SELECT "offered_rps" FROM ${RUNS} WHERE ${TREND_FILTER} AND $timeFilter GROUP BY "phase", "scenario"`,
            'time_series',
            'offered $tag_scenario ($tag_phase)',
          ),
        ),
    );
  return d.build();
}

/**
 * Both dashboards in one form as committed JSON, keyed by file name: `provisioned` (default)
 * under grafana/dashboards/, `import` under grafana/import/.
 */
export function generateDashboards(opts: GenerateOptions & { form?: DashboardForm } = {}): Record<string, string> {
  const form = (d: Dashboard) => (opts.form === 'import' ? forImport(d) : d);
  return {
    [DASHBOARD_FILES.live]: JSON.stringify(form(liveDashboard(opts)), null, 2) + '\n',
    [DASHBOARD_FILES.trends]: JSON.stringify(form(trendsDashboard(opts)), null, 2) + '\n',
  };
}

export const DASHBOARD_DIR = join(ROOT, 'grafana', 'dashboards');
/**
 * Beside the provisioned folder, not inside it: the file provider reads its folder's
 * subfolders too, and would load the import form as a second dashboard of the same uid.
 */
export const IMPORT_DIR = join(ROOT, 'grafana', 'import');

/**
 * Writes the provisioned form into `dir` (default grafana/dashboards/) and the import form
 * into `importDir` (default grafana/import/). With `check`, writes nothing and returns the
 * files whose committed content differs from what the code generates.
 */
export async function writeDashboards(
  opts: GenerateOptions & { dir?: string; importDir?: string; check?: boolean } = {},
): Promise<{ written: string[]; stale: string[] }> {
  const written: string[] = [];
  const stale: string[] = [];
  const targets: [DashboardForm, string][] = [
    ['provisioned', opts.dir ?? DASHBOARD_DIR],
    ['import', opts.importDir ?? IMPORT_DIR],
  ];
  for (const [form, dir] of targets) {
    for (const [file, json] of Object.entries(generateDashboards({ ...opts, form }))) {
      const path = join(dir, file);
      const current = await readFile(path, 'utf8').catch(() => null);
      if (current === json) continue;
      stale.push(path);
      if (!opts.check) {
        await mkdir(dir, { recursive: true });
        await writeFile(path, json);
        written.push(path);
      }
    }
  }
  return { written, stale };
}

// `tsx grafana/generate.ts [--check]`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const { written, stale } = await writeDashboards({ check });
  if (check && stale.length > 0) {
    process.stderr.write(`stale (run tsx grafana/generate.ts): ${stale.join(', ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(written.length > 0 ? `wrote ${written.join(', ')}\n` : 'dashboards up to date\n');
  }
}
