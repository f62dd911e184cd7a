/**
 * Pure renderers: (analysis, verdict, time) → one self-contained HTML string. Templates
 * live in reports/templates (handlebars, `{{ }}` escaping everywhere); CSS, the client
 * script and uPlot are inlined from reports/assets and node_modules, read once per process.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { ROOT } from '../root.ts';
import Handlebars from 'handlebars';
import type { Analysis } from '../contract/analysis.ts';
import type { Verdict } from './verdict.ts';
import { buildRunView } from './run-model.ts';
import { buildComparisonView } from './compare-model.ts';
import { jsonForScript } from '../shared/format.ts';

const TEMPLATES = join(ROOT, 'reports', 'templates') + sep;
const ASSETS = join(ROOT, 'reports', 'assets') + sep;

export interface Assets {
  css: string;
  js: string;
  uplotCss: string;
  uplotJs: string;
}

/** Inline text must not be able to close its own <script>/<style> element. */
function inlineSafe(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

let cached: { hb: typeof Handlebars; run: HandlebarsTemplateDelegate; comparison: HandlebarsTemplateDelegate; assets: Assets } | null =
  null;

function engine() {
  if (cached) return cached;
  const hb = Handlebars.create();
  hb.registerHelper('add', (a: unknown, b: unknown) => Number(a) + Number(b));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // Names wrap at their dots (auth.<wbr>login), never mid-word: escaped first, then the break points.
  hb.registerHelper('dots', (v: unknown) => new hb.SafeString(hb.escapeExpression(String(v)).replace(/\./g, '.<wbr>')));
  for (const file of readdirSync(`${TEMPLATES}partials`)) {
    if (file.endsWith('.hbs')) hb.registerPartial(file.slice(0, -4), readFileSync(`${TEMPLATES}partials/${file}`, 'utf8'));
  }
  // strict: a typo in a template is an error at render time, not a silently empty field.
  const compile = (name: string) => hb.compile(readFileSync(`${TEMPLATES}${name}.hbs`, 'utf8'), { strict: true });
  const require = createRequire(join(ROOT, 'package.json'));
  const uplotDir = require.resolve('uplot/dist/uPlot.iife.min.js').replace(/uPlot\.iife\.min\.js$/, '');
  const assets: Assets = {
    css: inlineSafe(readFileSync(`${ASSETS}report.css`, 'utf8'), 'style'),
    js: inlineSafe(readFileSync(`${ASSETS}report.js`, 'utf8'), 'script'),
    uplotCss: inlineSafe(readFileSync(`${uplotDir}uPlot.min.css`, 'utf8'), 'style'),
    uplotJs: inlineSafe(readFileSync(`${uplotDir}uPlot.iife.min.js`, 'utf8'), 'script'),
  };
  cached = { hb, run: compile('run'), comparison: compile('comparison'), assets };
  return cached;
}

export interface RunReportInput {
  analysis: Analysis;
  verdict: Verdict | null;
  now: Date;
}

/** The run report for one analysis (and its verdict, when there is one). */
export function renderRunReport(input: RunReportInput): string {
  const e = engine();
  const view = buildRunView(input.analysis, input.verdict, input.now);
  return e.run({ ...view, assets: e.assets, dataJson: jsonForScript({ kind: 'run', chart: view.chart }) });
}

export interface ComparisonInput {
  runs: Array<{ label: string; analysis: Analysis; verdict: Verdict | null }>;
  now: Date;
  /** Seed for the bootstrap; the same inputs and seed give the same report. */
  seed?: number;
  /** Warnings to show in the banner (e.g. incomparable runs forced through). */
  warnings?: string[];
}

/** The phase-by-phase comparison of two or more runs, in the order given. */
export function renderComparison(input: ComparisonInput): string {
  const e = engine();
  const view = buildComparisonView(input);
  return e.comparison({ ...view, assets: e.assets, dataJson: jsonForScript({ kind: 'comparison' }) });
}
