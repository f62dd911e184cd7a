/**
 * The verdict in the terminal: what `loadgate run`, `loadgate verdict` and each demo phase
 * print at the end. Pure: (analysis, verdict, options) → string; the caller decides where it
 * goes and whether it is a TTY (colour) and how wide.
 *
 * It answers the two questions first (the gating set, which the exit code follows, and the
 * production gate), then per endpoint: requests, P95, errors and timeouts, each with ✓/✗
 * against the gating set's target where one applies, and the production gate's breaches; then
 * "timeouts on N of M endpoints" and the report's path. Plain text without colour, ANSI colour
 * with it, and never a line wider than `width` (at most 120 columns): long names are cut in
 * the middle, long lines wrapped. Figures are formatted as the HTML report formats them.
 */
import type { Analysis, Stats } from '../contract/analysis.ts';
import { DASH, fmtDuration, fmtInt, fmtMs, fmtPct, fmtRps } from '../shared/format.ts';
import { formatTarget } from '../shared/verdict-format.ts';
import { generatorSentence, saturatedSentence } from '../shared/generator-text.ts';
import {
  failingChecks,
  fmtScore,
  judgements,
  loadView,
  readinessSentence,
  scoreTone,
  type Judgement,
  type JudgementStatus,
} from '../shared/headline.ts';
import type { ReadinessScore, Verdict, VerdictRow, VerdictStatus } from '../contract/verdict.ts';

export const MAX_WIDTH = 120;
export const MIN_WIDTH = 80;
const DEFAULT_WIDTH = 120;

export interface TerminalOptions {
  /** ANSI colour (a TTY); plain text otherwise. */
  color: boolean;
  /** Columns available (a TTY's width); clamped to 80…120. Default 120 (a log, not a TTY). */
  width?: number | undefined;
  /** The run report's path, printed last. */
  reportPath?: string | undefined;
  /** Endpoints listed at most; beyond, the ones that breach or time out first. Default 40. */
  maxEndpoints?: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// Text that may come from data, measured and cut by display width.

type Tone = 'pass' | 'fail' | 'warn' | 'dim' | 'bold' | null;
const ANSI: Record<Exclude<Tone, null>, string> = {
  pass: '\u001b[32m',
  fail: '\u001b[31m',
  warn: '\u001b[33m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
};
const RESET = '\u001b[0m';

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Data never reaches the terminal as an escape sequence or a line break. */
export function sanitize(s: string): string {
  return s.replace(CONTROL, '?');
}

function charWidth(cp: number): number {
  // Combining marks and zero-width characters take no column.
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfe0f) return 0;
  // East Asian wide and fullwidth forms, and emoji: two columns.
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI_SEQ = /\u001b\[[0-9;]*m/g;

/** Columns a string takes in a terminal (ANSI colour sequences take none). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(ANSI_SEQ, '')) w += charWidth(ch.codePointAt(0) ?? 0);
  return w;
}

/** The first characters of `s` that fit in `cols` columns. */
function fitStart(s: string, cols: number): string {
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0) ?? 0);
    if (w + cw > cols) break;
    out += ch;
    w += cw;
  }
  return out;
}

/** `s` in at most `cols` columns, cut in the middle with `…` (both ends of a name tell it apart). */
export function truncateMiddle(s: string, cols: number): string {
  if (displayWidth(s) <= cols) return s;
  if (cols <= 1) return '…'.slice(0, cols);
  const head = Math.ceil((cols - 1) / 2);
  const tail = cols - 1 - head;
  const rev = [...s].reverse().join('');
  const end = [...fitStart(rev, tail)].reverse().join('');
  return `${fitStart(s, head)}…${end}`;
}

/**
 * Wraps plain text at spaces to `cols` columns; continuation lines start with `indent`, and a
 * word longer than a line is split. Leading spaces stay on the first line.
 */
export function wrap(text: string, cols: number, indent = ''): string[] {
  const lead = /^ */.exec(text)?.[0] ?? '';
  const lines: string[] = [];
  let line = '';
  const limit = () => cols - displayWidth(lines.length ? indent : lead);
  for (const word of text.slice(lead.length).split(' ')) {
    let w = word;
    for (;;) {
      const sep = line ? 1 : 0;
      if (displayWidth(line) + sep + displayWidth(w) <= limit()) {
        line = line ? `${line} ${w}` : w;
        break;
      }
      if (line) {
        lines.push(line);
        line = '';
        continue;
      }
      const part = fitStart(w, Math.max(1, limit()));
      lines.push(part);
      w = w.slice(part.length);
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines.map((l, i) => (i === 0 ? `${lead}${l}` : `${indent}${l}`));
}

/** A path in lines of at most `cols` columns, broken after its slashes (a segment too long is split). */
export function wrapPath(path: string, cols: number, indent: string): string[] {
  const room = cols - displayWidth(indent);
  const lines: string[] = [];
  let line = '';
  for (const seg of path.split(/(?<=\/)/)) {
    let rest = seg;
    while (displayWidth(line) + displayWidth(rest) > room) {
      if (line) {
        lines.push(line);
        line = '';
        continue;
      }
      const part = fitStart(rest, room);
      lines.push(part);
      rest = rest.slice(part.length);
    }
    line += rest;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}`);
}

// ---------------------------------------------------------------------------------------------
// Cells, tables, colour.

interface Cell {
  text: string;
  tone?: Tone;
}

const MARK: Record<VerdictStatus, Cell> = {
  pass: { text: '✓', tone: 'pass' },
  fail: { text: '✗', tone: 'fail' },
  inconclusive: { text: '?', tone: 'warn' },
};

const JUDGEMENT_MARK: Record<JudgementStatus, Cell> = { ...MARK, none: { text: '–', tone: 'dim' } };

type Painter = (text: string, tone: Tone | undefined) => string;

function painter(color: boolean): Painter {
  return (text, tone) => (color && tone ? `${ANSI[tone]}${text}${RESET}` : text);
}

interface Column {
  header: string;
  align: 'left' | 'right';
  /** A column that gives up width (its text cut in the middle) so the table fits. */
  flex?: boolean;
  /** A flexible column never goes below this. */
  min?: number;
}

/**
 * Lays out rows of cells (each a list of parts: text with an optional tone) in columns two
 * spaces apart, `indent` first, fitting `width` by narrowing the flexible column.
 */
function table(columns: Column[], rows: Cell[][][], width: number, paint: Painter, indent = '  '): string[] {
  const plain = (parts: Cell[]) => parts.map((p) => p.text).join('');
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(plain(r[i] ?? [])))));
  const gap = 2;
  const total = () => displayWidth(indent) + widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  // Too wide: take a column from the widest flexible column that is above its minimum, until it fits.
  for (let excess = total() - width; excess > 0; excess--) {
    let pick = -1;
    columns.forEach((c, i) => {
      if (c.flex && (widths[i] ?? 0) > (c.min ?? 8) && (pick < 0 || (widths[i] ?? 0) > (widths[pick] ?? 0))) pick = i;
    });
    if (pick < 0) break;
    widths[pick] = (widths[pick] ?? 0) - 1;
  }
  const render = (cells: Cell[][], header: boolean) => {
    const out = cells.map((parts, i) => {
      const w = widths[i] ?? 0;
      let text = plain(parts);
      let painted = parts.map((p) => paint(p.text, header ? 'bold' : p.tone)).join('');
      if (displayWidth(text) > w) {
        text = truncateMiddle(text, w);
        painted = paint(text, header ? 'bold' : parts[0]?.tone);
      }
      const pad = ' '.repeat(Math.max(0, w - displayWidth(text)));
      return columns[i]?.align === 'right' ? pad + painted : i === cells.length - 1 ? painted : painted + pad;
    });
    return `${indent}${out.join(' '.repeat(gap))}`.replace(/\s+$/, '');
  };
  return [
    render(
      columns.map((c) => [{ text: c.header }]),
      true,
    ),
    ...rows.map((r) => render(r, false)),
  ];
}

// ---------------------------------------------------------------------------------------------
// The run's verdict.

/** Why no readiness check ran: switched off, or nothing to ask (then the first reason given, and how many more). */
function notRunWhy(rd: ReadinessScore): string {
  const skipped = rd.checks.filter((c) => c.status === 'off' && c.reason?.startsWith('no ') && !c.reason.startsWith('no readiness'));
  const reasons = [...new Set(skipped.map((c) => c.reason as string))];
  if (!reasons.length) return 'config readiness.enabled';
  return `${reasons[0]}${reasons.length > 1 ? `; +${reasons.length - 1} more reasons in verdict.json` : ''}`;
}

function clampWidth(w: number | undefined): number {
  const n = w && Number.isFinite(w) ? Math.floor(w) : DEFAULT_WIDTH;
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, n));
}

/** `✗ FAIL against production: 29 of 43 targets breached` as parts. */
function judgementParts(j: Judgement): Cell[] {
  const mark = JUDGEMENT_MARK[j.status];
  if (j.status === 'none') return [mark, { text: ` ${j.sentence}`, tone: 'dim' }];
  return [mark, { text: ' ' }, { text: j.label, tone: mark.tone ?? null }, { text: ` against ${sanitize(j.set)}: ${j.summary}` }];
}

const TARGET_SHORT: Record<VerdictRow['target'], string> = { p95: 'p95', errorRate: 'err', timeoutRate: 't/o', throughput: 'RPS' };

/** The whole-run rows of one judgement, by endpoint and target. */
function rowsByEndpoint(rows: readonly VerdictRow[] | undefined): Map<string, Map<VerdictRow['target'], VerdictRow>> {
  const out = new Map<string, Map<VerdictRow['target'], VerdictRow>>();
  for (const r of rows ?? []) {
    if (r.stage !== 'all' || r.endpoint === '*') continue;
    const m = out.get(r.endpoint) ?? new Map<VerdictRow['target'], VerdictRow>();
    m.set(r.target, r);
    out.set(r.endpoint, m);
  }
  return out;
}

function withMark(text: string, row: VerdictRow | undefined): Cell[] {
  return row ? [{ text: `${text} ` }, MARK[row.status]] : [{ text }];
}

/** The production gate's word on one endpoint: `✓`, `✗ p95 err t/o`, `?`, or `—` without targets. */
function productionCell(rows: Map<VerdictRow['target'], VerdictRow> | undefined): Cell[] {
  if (!rows || rows.size === 0) return [{ text: DASH, tone: 'dim' }];
  const list = [...rows.values()];
  const failed = list.filter((r) => r.status === 'fail');
  if (failed.length) return [MARK.fail, { text: ` ${failed.map((r) => TARGET_SHORT[r.target]).join(' ')}`, tone: 'fail' }];
  if (list.some((r) => r.status === 'inconclusive')) return [MARK.inconclusive];
  return [MARK.pass];
}

/** An endpoint as the table lists it: its whole-run figures, or none when the plan called for it and it got no request. */
interface Listed {
  name: string;
  total: Stats | null;
}

function endpointCells(
  e: Listed,
  own: Map<VerdictRow['target'], VerdictRow> | undefined,
  production: Map<VerdictRow['target'], VerdictRow> | undefined,
  withProduction: boolean,
): Cell[][] {
  const s = e.total;
  const timeouts = s ? s.outcomes.timeout + s.outcomes.dialTimeout : 0;
  const p95 = s?.durationMs.p95 == null ? DASH : `${s.censored.p95 ? '≥ ' : ''}${fmtMs(s.durationMs.p95)}`;
  const cells: Cell[][] = [
    [{ text: sanitize(e.name) }],
    [{ text: fmtInt(s?.requests ?? 0) }],
    withMark(p95, own?.get('p95')),
    withMark(fmtPct(s?.errorRate ?? null, 1), own?.get('errorRate')),
    withMark(!s ? DASH : timeouts ? `${fmtInt(timeouts)} (${fmtPct(s.timeoutRate, 1)})` : '0', own?.get('timeoutRate')),
  ];
  if (withProduction) cells.push(productionCell(production));
  return cells;
}

/** How much an endpoint needs attention: a breach in either judgement, timeouts, no requests at all. */
function attention(e: Listed, own: Map<string, VerdictRow> | undefined, prod: Map<string, VerdictRow> | undefined): number {
  const fails = (m: Map<string, VerdictRow> | undefined) => [...(m?.values() ?? [])].filter((r) => r.status === 'fail').length;
  const timeouts = e.total ? e.total.outcomes.timeout + e.total.outcomes.dialTimeout : 0;
  return fails(own) * 4 + fails(prod) * 2 + (timeouts > 0 || !e.total ? 1 : 0);
}

export function renderTerminal(analysis: Analysis, verdict: Verdict | null, opts: TerminalOptions): string {
  const width = clampWidth(opts.width);
  const paint = painter(opts.color);
  const out: string[] = [];
  /** One logical line; wrapped (uncoloured) when too wide, continuing at `cont`. */
  const line = (parts: Cell[], cont = '    ') => {
    const text = parts.map((p) => p.text).join('');
    const lines = wrap(text, width, cont);
    if (lines.length === 1) out.push(parts.map((p) => paint(p.text, p.tone)).join(''));
    else out.push(...lines);
  };

  // Header: the run.
  const r = analysis.run;
  const head = [
    `run ${sanitize(r.runId)}`,
    r.scenario && sanitize(r.scenario),
    r.profile && sanitize(r.profile),
    r.phase && `phase ${sanitize(r.phase)}`,
    `${sanitize(r.status)}${r.durationS !== null ? ` in ${fmtDuration(r.durationS)}` : ''}`,
  ].filter(Boolean);
  line([{ text: 'loadgate', tone: 'bold' }, { text: ` · ${head.join(' · ')}` }]);

  // The two questions.
  const j = verdict ? judgements(verdict) : null;
  const label = (t: string) => ({ text: `  ${t.padEnd(11)}`, tone: 'bold' as Tone });
  const under = ' '.repeat(13);
  if (!j) {
    line([label('verdict'), { text: 'not judged: no verdict.json (run `loadgate verdict <run-dir>`)', tone: 'warn' }], under);
  } else {
    line([label('verdict'), ...judgementParts(j.own), { text: '  (decides the exit code)', tone: 'dim' }], under);
    if (!j.production)
      line([label('production'), { text: 'not judged: re-run `loadgate verdict` to add the production gate', tone: 'warn' }], under);
    else if (j.production.sameAsOwn) line([label('production'), { text: 'the gating set is the production gate', tone: 'dim' }], under);
    else line([label('production'), ...judgementParts(j.production)], under);
    const v = verdict!.validity;
    const lv = loadView(v);
    const load = `${sanitize(lv.figures)}, ${fmtInt(v.droppedIterations)} dropped iterations`;
    if (lv.state === 'valid') line([label('load'), MARK.pass, { text: ` valid: ${load}` }], under);
    else if (lv.state === 'saturated')
      line(
        [label('load'), { text: '◐', tone: 'warn' }, { text: ' saturated', tone: 'warn' }, { text: ` (${lv.sentence}): ${load}` }],
        under,
      );
    else
      line(
        [
          label('load'),
          MARK.inconclusive,
          { text: ' not valid', tone: 'warn' },
          {
            text: `: ${sanitize(v.reasons[0] ?? 'see verdict.json')}${v.reasons.length > 1 ? ` (+${v.reasons.length - 1} more)` : ''}; ${load}`,
          },
        ],
        under,
      );
    // The load generator's own CPU and memory (generator.json): a saturated k6 measured itself.
    const g = v.generator;
    if (!g) line([label('generator'), { text: generatorSentence(g), tone: 'dim' }], under);
    else if (g.saturatedStages.length)
      line(
        [label('generator'), MARK.inconclusive, { text: ` ${saturatedSentence(g)}`, tone: 'warn' }, { text: `: ${generatorSentence(g)}` }],
        under,
      );
    else line([label('generator'), { text: generatorSentence(g) }], under);
    const rd = verdict!.readiness;
    if (rd) {
      const failing = failingChecks(rd);
      line(
        [
          label('readiness'),
          { text: fmtScore(rd.score), tone: scoreTone(rd.score) === 'none' ? 'dim' : (scoreTone(rd.score) as Tone) },
          { text: ` ${readinessSentence(rd).replace(/^readiness [^:]*:/, ' ·')}` },
          ...(rd.measured ? [] : [{ text: ` (no readiness checks ran beside the load: ${notRunWhy(rd)})`, tone: 'dim' as Tone }]),
          ...(failing.length ? [{ text: `; failing: ${failing.join(', ')}`, tone: 'fail' as Tone }] : []),
        ],
        under,
      );
    }
  }

  // Per endpoint.
  const own = rowsByEndpoint(verdict?.rows);
  const prod = rowsByEndpoint(j?.production && !j.production.sameAsOwn ? j.production.rows : undefined);
  const withProduction = Boolean(j?.production && !j.production.sameAsOwn);
  const max = opts.maxEndpoints ?? 40;
  // The analysis's endpoints, then those the verdict knows from the plan that never got a request.
  const all: Listed[] = analysis.endpoints.map((e) => ({ name: e.name, total: e.total }));
  const seen = new Set(all.map((e) => e.name));
  for (const name of [...own.keys(), ...prod.keys()]) {
    if (!seen.has(name)) {
      seen.add(name);
      all.push({ name, total: null });
    }
  }
  let endpoints = all;
  if (endpoints.length > max) {
    endpoints = endpoints
      .map((e, i) => ({ e, i, a: attention(e, own.get(e.name), prod.get(e.name)) }))
      .sort((a, b) => b.a - a.a || a.i - b.i)
      .slice(0, max)
      .sort((a, b) => a.i - b.i)
      .map((x) => x.e);
  }
  const columns: Column[] = [
    { header: 'endpoint', align: 'left', flex: true, min: 12 },
    { header: 'requests', align: 'right' },
    { header: 'P95', align: 'right' },
    { header: 'errors', align: 'right' },
    { header: 'timeouts', align: 'right' },
  ];
  if (withProduction) columns.push({ header: 'production', align: 'left' });
  out.push('');
  out.push(
    ...table(
      columns,
      endpoints.map((e) => endpointCells(e, own.get(e.name), prod.get(e.name), withProduction)),
      width,
      paint,
    ),
  );
  if (endpoints.length < all.length) {
    out.push(paint(`  … ${all.length - endpoints.length} more endpoints in the report`, 'dim'));
  }
  const legend = [
    verdict && own.size > 0 ? `✓/✗: against ${sanitize(verdict.set.name)}'s targets` : null,
    withProduction ? `production: the production targets it breaches (err = errors, t/o = timeouts)` : null,
  ].filter((x): x is string => x !== null);
  if (legend.length) line([{ text: `  ${legend.join('; ')}`, tone: 'dim' }]);

  // Throughput, run-wide.
  const tOwn = verdict?.rows.find((x) => x.target === 'throughput' && x.gating);
  const tProd = j?.production && !j.production.sameAsOwn ? j.production.rows.find((x) => x.target === 'throughput') : undefined;
  if (tOwn || tProd) {
    const any = (tOwn ?? tProd) as VerdictRow;
    const parts: Cell[] = [
      {
        text: `  throughput${any.stage && any.measured !== null ? ` (steady window ${sanitize(any.stage)})` : ''}: ${
          any.measured === null ? 'not measured' : `${fmtRps(any.measured)} successful RPS`
        }`,
      },
    ];
    if (tOwn) parts.push({ text: ` · ${sanitize(verdict!.set.name)} ${formatTarget(tOwn)} ` }, MARK[tOwn.status]);
    if (tProd) parts.push({ text: ` · ${sanitize(j!.production!.set)} ${formatTarget(tProd)} ` }, MARK[tProd.status]);
    line(parts);
  }

  // Timeouts and the report.
  const t = analysis.timeouts;
  out.push('');
  line([
    { text: '  timeouts on ' },
    { text: `${t.endpointsWithTimeouts} of ${t.endpointsTotal} endpoints`, tone: t.endpointsWithTimeouts ? 'fail' : 'pass' },
    ...(t.findings[0] && t.findings[0].count > 0
      ? [
          {
            text: ` (most: ${sanitize(t.findings[0].endpoint)}, ${fmtPct(t.findings[0].rate, 1)} of its requests, ${t.findings[0].pattern})`,
          },
        ]
      : []),
  ]);
  if (opts.reportPath) {
    const path = sanitize(opts.reportPath);
    const first = `  report: ${path}`;
    if (displayWidth(first) <= width) out.push(first);
    else out.push('  report:', ...wrapPath(path, width, '    '));
  }
  // Every line fits by construction; this keeps the promise should a figure ever be wider.
  return `${out.map((l) => (displayWidth(l) > width ? truncateMiddle(l.replace(ANSI_SEQ, ''), width) : l)).join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// The demo's phase-by-phase table.

export interface PhaseResult {
  label: string;
  analysis: Analysis | null;
  verdict: Verdict | null;
}

/**
 * `✗ FAIL 17 of 34 breached`, `✓ PASS 34 of 34 met`, `? INCONCLUSIVE 33 of 34 met`,
 * `– no targets`; compact: `✗ FAIL 17/34`, `✓ PASS 34/34`, `? INCONCL. 33/34`.
 */
function shortJudgement(j: Judgement | null, setShown: string | null, compact: boolean): Cell[] {
  if (!j) return [{ text: 'not judged', tone: 'warn' }];
  const set: Cell[] = setShown ? [{ text: ` (${sanitize(setShown)})`, tone: 'dim' }] : [];
  if (j.status === 'none') return [JUDGEMENT_MARK.none, { text: ' no targets', tone: 'dim' }, ...set];
  const mark = JUDGEMENT_MARK[j.status];
  const k = j.status === 'fail' ? j.breached : j.met;
  const what = compact ? `${k}/${j.targets}` : `${k} of ${j.targets} ${j.status === 'fail' ? 'breached' : 'met'}`;
  const label = compact && j.status === 'inconclusive' ? 'INCONCL.' : j.label;
  return [mark, { text: ' ' }, { text: label, tone: mark.tone ?? null }, { text: ` ${what}` }, ...set];
}

/**
 * The demo's last word: one line per phase with its P95 (all endpoints), error %, timeouts
 * (N of M endpoints), and the verdict against its own set and against production. Compact
 * cells when the full ones do not fit the width.
 */
export function renderPhaseTable(phases: readonly PhaseResult[], opts: Pick<TerminalOptions, 'color' | 'width'>): string {
  const width = clampWidth(opts.width);
  const paint = painter(opts.color);
  const build = (compact: boolean) => {
    const rows = phases.map((p) => {
      const all = p.analysis?.totals.all;
      const t = p.analysis?.timeouts;
      const j = p.verdict ? judgements(p.verdict) : null;
      const production = j?.production?.sameAsOwn ? j.own : (j?.production ?? null);
      const cells: Cell[][] = [
        [{ text: sanitize(p.label) }],
        [{ text: all ? `${all.censored.p95 ? '≥ ' : ''}${fmtMs(all.durationMs.p95)}` : DASH }],
        [{ text: all ? fmtPct(all.errorRate, 1) : DASH }],
        [
          {
            text: t ? `${t.endpointsWithTimeouts} of ${t.endpointsTotal}${compact ? '' : ' endpoints'}` : DASH,
            tone: t?.endpointsWithTimeouts ? 'fail' : null,
          },
        ],
        shortJudgement(j?.own ?? null, j && j.own.set !== p.label ? j.own.set : null, compact),
        p.verdict && !production
          ? [{ text: 'not judged', tone: 'warn' }]
          : shortJudgement(production, production && production.set !== 'production' ? production.set : null, compact),
        [
          p.verdict?.readiness
            ? {
                text: fmtScore(p.verdict.readiness.score),
                tone: scoreTone(p.verdict.readiness.score) === 'none' ? null : (scoreTone(p.verdict.readiness.score) as Tone),
              }
            : { text: DASH, tone: 'dim' },
        ],
      ];
      return cells;
    });
    const columns: Column[] = [
      { header: 'phase', align: 'left' },
      { header: 'P95', align: 'right' },
      { header: 'errors', align: 'right' },
      { header: compact ? 'timeouts on' : 'timeouts', align: 'left' },
      { header: 'own set', align: 'left', flex: true, min: 12 },
      { header: 'production', align: 'left', flex: true, min: 12 },
      { header: 'readiness', align: 'right' },
    ];
    return table(columns, rows, width, paint);
  };
  let lines = build(false);
  if (lines.some((l) => displayWidth(l) > width) || lines.some((l) => l.includes('…'))) lines = build(true);
  // The table fits by narrowing the verdict columns; a last resort for extreme labels.
  lines = [paint('loadgate · phase by phase', 'bold'), ...lines];
  return `${lines.map((l) => (displayWidth(l) > width ? truncateMiddle(l.replace(ANSI_SEQ, ''), width) : l)).join('\n')}\n`;
}
