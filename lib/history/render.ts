/**
 * The trend report: the trend model → one self-contained HTML page (reports/templates/trends.hbs).
 * The run reports' partials, stylesheet, table sorting (reports/assets/report.js) and uPlot are
 * inlined as they are; reports/assets/trends.js draws the charts from the inline JSON. No network:
 * the page opens from file:// and prints. Pure: the clock is an input.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import Handlebars from 'handlebars';
import { ROOT } from '../root.ts';
import { fmtMs, fmtPct, fmtRps, jsonForScript, round } from '../shared/format.ts';
import { findingMessage, judgementSentence } from '../shared/history-format.ts';
import { HISTORY_NOISE } from './noise.ts';
import { METRICS } from '../contract/history.ts';
import type { RunRef } from '../contract/history.ts';
import type { TrendChange, TrendSeries, TrendsModel } from './trends.ts';

const TEMPLATES = join(ROOT, 'reports', 'templates') + sep;
const ASSETS = join(ROOT, 'reports', 'assets') + sep;

/** Inline text must not be able to close its own <script>/<style> element. */
function inlineSafe(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

let cached: { template: HandlebarsTemplateDelegate; assets: Record<string, string> } | null = null;

function engine() {
  if (cached) return cached;
  const hb = Handlebars.create();
  for (const file of readdirSync(`${TEMPLATES}partials`)) {
    if (file.endsWith('.hbs')) hb.registerPartial(file.slice(0, -4), readFileSync(`${TEMPLATES}partials/${file}`, 'utf8'));
  }
  const require = createRequire(join(ROOT, 'package.json'));
  const uplotDir = require.resolve('uplot/dist/uPlot.iife.min.js').replace(/uPlot\.iife\.min\.js$/, '');
  cached = {
    // strict: a typo in the template is an error at render time, not a silently empty field.
    template: hb.compile(readFileSync(`${TEMPLATES}trends.hbs`, 'utf8'), { strict: true }),
    assets: {
      css: inlineSafe(readFileSync(`${ASSETS}report.css`, 'utf8'), 'style'),
      js: inlineSafe(readFileSync(`${ASSETS}report.js`, 'utf8'), 'script'),
      trendsJs: inlineSafe(readFileSync(`${ASSETS}trends.js`, 'utf8'), 'script'),
      uplotCss: inlineSafe(readFileSync(`${uplotDir}uPlot.min.css`, 'utf8'), 'style'),
      uplotJs: inlineSafe(readFileSync(`${uplotDir}uPlot.iife.min.js`, 'utf8'), 'script'),
    },
  };
  return cached;
}

function fmt(v: number | null | undefined, unit: TrendSeries['unit']): string {
  return unit === 'ms' ? fmtMs(v) : unit === 'ratio' ? fmtPct(v) : `${fmtRps(v)} RPS`;
}

function signedFmt(v: number, unit: TrendSeries['unit']): string {
  const text = unit === 'ratio' ? `${Math.abs(v * 100).toFixed(2)} pp` : fmt(Math.abs(v), unit);
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${text}`;
}

function refText(r: RunRef): string {
  return [r.startedAt.slice(0, 16).replace('T', ' '), r.phase, r.commit ? `commit ${r.commit.slice(0, 12)}` : null, r.branch]
    .filter(Boolean)
    .join(' · ');
}

function changeRow(c: TrendChange) {
  const rel = c.deltaRel !== null ? ` (${c.deltaRel > 0 ? '+' : '−'}${Math.abs(c.deltaRel * 100).toFixed(1)} %)` : '';
  return {
    endpoint: c.endpoint === '*' ? '(run)' : c.endpoint,
    metric: c.metric,
    label: c.label,
    index: c.index,
    cls: c.direction,
    direction: c.direction,
    started: { runId: c.startedAt.runId, text: refText(c.startedAt) },
    before: { runId: c.lastBefore.runId, text: refText(c.lastBefore) },
    levels: `${fmt(c.before, c.unit)} → ${fmt(c.after, c.unit)}`,
    deltaV: c.delta,
    size: `${signedFmt(c.delta, c.unit)}${rel}`,
    ci: `[${signedFmt(c.ci[0], c.unit)}, ${signedFmt(c.ci[1], c.unit)}]`,
    p: Number.isFinite(c.pValue) ? c.pValue.toFixed(3) : '—',
    present: c.stillPresent ? `yes (latest ${fmt(c.latest, c.unit)})` : `no (latest ${fmt(c.latest, c.unit)})`,
  };
}

/** A series for the client: values rounded, bands as [start, end, lo, hi], change indices with their direction. */
function seriesData(s: TrendSeries) {
  return {
    metric: s.metric,
    label: s.label,
    unit: s.unit,
    values: s.values.map((v) => (v === null ? null : round(v))),
    targets: s.targets ? s.targets.map((v) => (v === null ? null : round(v))) : null,
    censored: s.censored,
    bands: s.regimes.map((r) => [r.start, r.end, round(Math.max(0, r.level - r.halfWidth)), round(r.level + r.halfWidth)]),
    changes: s.changes.map((c) => [c.index, c.direction === 'regressed' ? 1 : -1]),
  };
}

function floorsText(): string {
  return METRICS.map((m) => {
    const abs = m.unit === 'ratio' ? `${m.floor.abs * 100} pp` : m.unit === 'ms' ? `${m.floor.abs} ms` : `${m.floor.abs} RPS`;
    return `${m.label} ${abs}${m.floor.rel ? ` and ${m.floor.rel * 100} %` : ''}`;
  }).join('; ');
}

export interface TrendsRenderInput {
  model: TrendsModel;
  now: Date;
  /** The filters the runs were chosen by, in words. */
  filters?: string;
}

export function renderTrends({ model, now, filters }: TrendsRenderInput): string {
  const e = engine();
  const first = model.runs[0];
  const last = model.runs[model.runs.length - 1];
  const latest = model.latest;
  const regressedChanges = model.changes.filter((c) => c.direction === 'regressed');
  const present = regressedChanges.filter((c) => c.stillPresent);
  const view = {
    title: `loadgate trends · ${model.shapeLabel}`,
    shapeLabel: model.shapeLabel,
    shape: model.shape,
    runCount: model.runs.length,
    firstDate: first?.startedAt.slice(0, 10) ?? '—',
    lastDate: last?.startedAt.slice(0, 10) ?? '—',
    filters: filters ?? '',
    generatedAt: now.toISOString(),
    latest: latest
      ? {
          status: latest.status,
          cls: latest.status === 'regressed' ? 'fail' : latest.status === 'ok' ? 'pass' : 'none',
          label: latest.status === 'regressed' ? 'REGRESSED' : latest.status === 'ok' ? 'NO REGRESSION' : 'NOT JUDGED',
          sentence: judgementSentence(latest),
          findings: latest.findings
            .filter((f) => f.status === 'regressed' || f.status === 'improved')
            .slice(0, 30)
            .map((f) => ({ cls: f.status === 'regressed' ? 'txt-fail' : '', text: findingMessage(f) })),
        }
      : { status: 'none', cls: 'none', label: 'ONE RUN', sentence: 'A single run: nothing to compare it with yet.', findings: [] },
    changeSummary: {
      cls: present.length ? 'fail' : model.changes.length ? 'inconclusive' : 'pass',
      label: `${model.changes.length} change${model.changes.length === 1 ? '' : 's'}`,
      text: model.changes.length
        ? `${regressedChanges.length} regression${regressedChanges.length === 1 ? '' : 's'} (${present.length} still present), ${model.changes.length - regressedChanges.length} improvement${model.changes.length - regressedChanges.length === 1 ? '' : 's'}, over ${model.runs.length} runs.`
        : `No change beyond noise over ${model.runs.length} runs.`,
    },
    changes: model.changes.map(changeRow),
    runTarget: model.run.targets !== null,
    endpoints: model.endpoints.map((ep, i) => {
      const p95 = ep.series.find((s) => s.metric === 'p95');
      const lastP95 = p95?.values[p95.values.length - 1];
      const errors = ep.series.find((s) => s.metric === 'errorRate');
      const lastErr = errors?.values[errors.values.length - 1];
      return {
        name: ep.name,
        group: ep.group ?? '',
        latest: `P95 ${fmtMs(lastP95)}, errors ${fmtPct(lastErr)}`,
        badges: ep.series.flatMap((s) =>
          s.changes
            .filter((c) => c.stillPresent)
            .map((c) => ({ cls: c.direction, text: `${s.label} ${c.direction} since ${c.startedAt.startedAt.slice(0, 10)}` })),
        ),
        charts: ep.series.map((s) => ({ id: `chart-${i}-${s.metric}`, label: s.label })),
      };
    }),
    method: {
      confidence: `${HISTORY_NOISE.confidence * 100} %`,
      permutations: HISTORY_NOISE.permutations,
      alpha: HISTORY_NOISE.alpha,
      minSegment: HISTORY_NOISE.minSegment,
      resamples: HISTORY_NOISE.resamples.toLocaleString('en-US'),
      k: HISTORY_NOISE.k,
      window: HISTORY_NOISE.window,
      minBaseline: HISTORY_NOISE.minBaseline,
      floors: floorsText(),
    },
    assets: e.assets,
  };
  const data = {
    kind: 'trends',
    runs: model.runs.map((r) => ({ id: r.runId, at: r.startedAt, phase: r.phase, commit: r.commit ? r.commit.slice(0, 12) : null })),
    run: { id: 'chart-run', ...seriesData(model.run) },
    endpoints: model.endpoints.map((ep, i) => ({
      name: ep.name,
      series: ep.series.map((s) => ({ id: `chart-${i}-${s.metric}`, ...seriesData(s) })),
    })),
  };
  return e.template({ ...view, dataJson: jsonForScript(data) });
}
