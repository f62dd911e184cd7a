/**
 * verdict (+ analysis for the timeout summary) → a concise Markdown summary, fit for
 * $GITHUB_STEP_SUMMARY or a PR comment. Pure: no clock, no I/O.
 *
 * Two rules keep it pasteable:
 *   - everything that comes from data (endpoint names, stage names, set names, run ids,
 *     reasons) is escaped, so it renders as text on GitHub's Markdown rules and never as
 *     markup, a link or a broken table;
 *   - it stays under GitHub's 65,536-character limit for a comment whatever the run's size:
 *     the breaches come first, every table is capped by rows and characters, and what is left
 *     out is counted and pointed to (report.html, verdict.json).
 */
import type { Analysis } from '../contract/analysis.ts';
import type { Verdict, VerdictRow, VerdictStatus } from '../contract/verdict.ts';
import { formatMargin, formatTarget, formatValue, TARGET_LABEL } from '../shared/verdict-format.ts';
import { checkTitle, fmtScore, judgements, loadView, type Judgement, type JudgementStatus } from '../shared/headline.ts';
import { generatorSentence, saturatedSentence } from '../shared/generator-text.ts';
// History (issue 13): the judgement against the recent runs of the same shape.
import type { HistoryJudgement } from '../contract/history.ts';
import { findingMessage, judgementSentence } from '../shared/history-format.ts';

/** GitHub's limit for a comment body (and a sensible one for a step summary). */
export const GITHUB_COMMENT_LIMIT = 65_536;

const ICON: Record<JudgementStatus, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️', none: '➖' };
const ROW_ICON: Record<VerdictStatus, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️' };

// C0 and C1 controls (ESC among them) would reach a terminal or break a line: never pass them on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** At most `max` characters (code points), with `…` when cut. */
export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Text from data as inline Markdown that renders as exactly that text: no emphasis, link,
 * HTML, code span, strikethrough, table break, or list or heading when it starts a list
 * item. Backslash escapes for Markdown's punctuation (those that can start or end inline
 * markup: `[` and `]` also disarm images and links), entities for HTML's, and a zero-width
 * space after `@` so a name is never a GitHub mention. Line breaks and control characters
 * become spaces. `lineStart`: the text begins a line or a list item's content.
 */
export function escapeMarkdown(s: string, max = 160, lineStart = false): string {
  const text = clip(s.replace(CONTROL, ' '), max)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '@\u200b');
  // Where the text starts a (list item's) line, it must not start a heading, list or quote.
  return lineStart ? text.replace(/^([#+=-])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2') : text;
}

/**
 * A code span holding `s` verbatim (run ids, set names outside tables): the fence is longer
 * than any run of backticks inside, and padded when the text starts or ends with one.
 */
export function codeSpan(s: string, max = 120): string {
  const text = clip(s.replace(CONTROL, ' '), max);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

const rps = (n: number | null) => (n === null ? 'n/a' : formatValue(n, 'rps'));

const HEADER = ['| | endpoint | target | measured | required | margin | stage | note |', '|---|---|---|---|---|---|---|---|'];

function tableRow(r: VerdictRow): string {
  const measured = r.measured === null ? '—' : formatValue(r.measured, r.unit) + (r.censored ? ' (censored)' : '');
  // Target and margin are numbers and units only; names, stages and reasons come from data.
  return `| ${ROW_ICON[r.status]} | ${r.endpoint === '*' ? '(run)' : escapeMarkdown(r.endpoint, 80)} | ${TARGET_LABEL[r.target]} | ${measured} | ${formatTarget(r)} | ${formatMargin(r) ?? '—'} | ${escapeMarkdown(r.stage, 60)} | ${escapeMarkdown(r.reason ?? '', 200)} |`;
}

/**
 * A table of at most `maxRows` rows and about `budget` characters; the rows left out are
 * counted in a line after it.
 */
function cappedTable(rows: readonly VerdictRow[], maxRows: number, budget: number): string[] {
  const out = [...HEADER];
  let used = out.join('\n').length;
  let shown = 0;
  for (const r of rows) {
    const line = tableRow(r);
    if (shown >= maxRows || used + line.length + 1 > budget) break;
    out.push(line);
    used += line.length + 1;
    shown++;
  }
  if (shown < rows.length) out.push('', `… ${rows.length - shown} more rows, see report.html / verdict.json`);
  return out;
}

export interface MarkdownOptions {
  /** Failing and inconclusive rows listed per set. Default 50. */
  maxBadRows?: number;
  /** Passing rows listed (in a collapsed block) for the gating set. Default 50. */
  maxPassRows?: number;
  /** Endpoints listed in the timeout summary. Default 10. */
  maxTimeoutRows?: number;
  /** The run judged against the history of its shape (`--against-history`): its regressions are named. */
  history?: HistoryJudgement | null;
}

/** Character budgets (of GITHUB_COMMENT_LIMIT) per part; their sum leaves room for the rest. */
const BUDGET = { ownBad: 22_000, ownPass: 9_000, productionBad: 18_000, timeouts: 5_000, history: 6_000 } as const;

/** History (issue 13): the regressions against the recent runs, each naming the endpoint, the change and the run compared with. */
function historySection(j: HistoryJudgement): string[] {
  const icon = j.status === 'regressed' ? '❌' : j.status === 'ok' ? '✅' : '➖';
  const lines = [
    '',
    `### Against history (${escapeMarkdown(j.shapeLabel, 120)})`,
    '',
    `${icon} ${escapeMarkdown(judgementSentence(j), 400)}.`,
  ];
  const shown = j.findings.filter((f) => f.status === 'regressed' || f.status === 'improved');
  let used = 0;
  let count = 0;
  for (const f of shown) {
    const line = `- ${f.status === 'regressed' ? '❌' : '✅'} ${escapeMarkdown(findingMessage(f), 600, true)}`;
    if (used + line.length > BUDGET.history) break;
    lines.push(line);
    used += line.length + 1;
    count++;
  }
  if (count < shown.length) lines.push(`- … ${shown.length - count} more in against-history.json`);
  return lines;
}

const READINESS_ICON = { pass: '✅', fail: '❌', inconclusive: '⚠️', off: '➖' } as const;

/** The production readiness score: per category, and every readiness check that ran (data-free: ids and figures only). */
function readinessSection(verdict: Verdict): string[] {
  const r = verdict.readiness;
  if (!r) return [];
  const lines = ['', `### Production readiness: ${fmtScore(r.score)}`, ''];
  lines.push(`| ${r.categories.map((c) => c.name).join(' | ')} | overall |`, `|${'---|'.repeat(r.categories.length + 1)}`);
  lines.push(`| ${r.categories.map((c) => `${fmtScore(c.score)} (${c.met}/${c.judged})`).join(' | ')} | ${fmtScore(r.score)} |`);
  const ran = r.checks.filter((c) => c.status !== 'off');
  if (ran.length) {
    lines.push('', '| | check | category | passed | needs |', '|---|---|---|---|---|');
    for (const c of ran) {
      const share = c.share === null ? '—' : `${formatValue(c.share, 'ratio')} of ${c.passes + c.fails}`;
      lines.push(`| ${READINESS_ICON[c.status]} | ${checkTitle(c.id)} | ${c.category} | ${share} | ${formatValue(c.required, 'ratio')} |`);
    }
  } else lines.push('', 'No readiness checks ran beside the load: monitoring and security are not judged.');
  // Checks left out of the score, each with why (switched off, not required, nothing to ask).
  const off = r.checks.filter((c) => c.status === 'off');
  if (off.length && (ran.length || off.some((c) => c.reason !== 'switched off'))) {
    lines.push('', `Not run: ${off.map((c) => `${checkTitle(c.id)} (${c.reason ?? 'switched off'})`).join('; ')}.`);
  }
  return lines;
}

function headline(own: Judgement, production: Judgement | null): string {
  const part = (j: Judgement) =>
    j.status === 'none'
      ? `${ICON.none} no targets of its own (${codeSpan(j.set)})`
      : `${ICON[j.status]} ${j.label} against ${codeSpan(j.set)}`;
  if (!production) return `## loadgate ${part(own)}`;
  if (production.sameAsOwn) return `## loadgate ${part(own)} (the production gate)`;
  return `## loadgate ${part(own)} · ${part(production)}`;
}

function questions(own: Judgement, production: Judgement | null): string[] {
  const line = (q: string, j: Judgement) => `| ${q} | ${escapeMarkdown(j.set, 60)} | ${ICON[j.status]} ${j.label} | ${j.summary} |`;
  const out = ['| question | threshold set | verdict | targets |', '|---|---|---|---|'];
  out.push(line("met this run's own targets? (decides the exit code)", own));
  if (production && !production.sameAsOwn) out.push(line('how far from production?', production));
  else if (production) out.push(`| how far from production? | ${escapeMarkdown(production.set, 60)} | the gating set itself | |`);
  else out.push('| how far from production? | — | not judged: re-run `loadgate verdict` | |');
  return out;
}

function section(title: string, j: Judgement, badBudget: number, maxBad: number): string[] {
  const lines = ['', `### ${title}`, ''];
  if (j.status === 'none') {
    lines.push(j.role === 'own' ? 'No targets of its own: measured only.' : 'No targets in this set.');
    return lines;
  }
  lines.push(`**${j.label}:** ${j.breached} breached · ${j.inconclusive} inconclusive · ${j.met} met, of ${j.targets} targets.`);
  const bad = j.rows.filter((r) => r.status !== 'pass');
  if (bad.length) lines.push('', ...cappedTable(bad, maxBad, badBudget));
  return lines;
}

export function renderMarkdown(verdict: Verdict, analysis: Analysis | null, opts: MarkdownOptions = {}): string {
  const { own, production } = judgements(verdict);
  const lines: string[] = [];
  const run = verdict.run;
  lines.push(headline(own, production), '');
  lines.push(...questions(own, production), '');
  const meta = [
    `run ${codeSpan(verdict.runId)}`,
    run.scenario && `scenario ${escapeMarkdown(run.scenario, 60)}`,
    run.profile && `profile ${escapeMarkdown(run.profile, 60)}`,
    run.phase && `phase ${escapeMarkdown(run.phase, 60)}`,
    `k6 run ${escapeMarkdown(run.status, 30)}`,
  ].filter(Boolean);
  lines.push(meta.join(' · '), '');

  const v = verdict.validity;
  const window = v.steadyStages.length ? `steady window ${codeSpan(v.steadyStages.join('+'))}` : 'no steady window';
  const load = `offered ${rps(v.offeredRps)}, achieved ${rps(v.achievedRps)}, successful ${rps(v.goodputRps)} in ${window}, ${v.droppedIterations} dropped iterations`;
  const state = loadView(v).state;
  if (state === 'valid') lines.push(`**Load:** ✅ valid: the generator offered the load and the system served it: ${load}.`);
  else if (state === 'saturated')
    lines.push(`**Load:** 🟧 saturated: the generator offered the load, the system served less of it: ${load}.`);
  else {
    lines.push(`**Load:** ⚠️ not valid — ${load}.`);
    for (const reason of v.reasons.slice(0, 10)) lines.push(`- ${escapeMarkdown(reason, 300, true)}`);
    if (v.reasons.length > 10) lines.push(`- … ${v.reasons.length - 10} more in verdict.json`);
  }
  // Stage names come from data: escaped like every other name.
  const g = v.generator;
  lines.push(
    '',
    g?.saturatedStages.length
      ? `**Generator:** ⚠️ ${escapeMarkdown(saturatedSentence(g), 400)}: ${escapeMarkdown(generatorSentence(g), 200)}.`
      : `**Generator:** ${escapeMarkdown(generatorSentence(g), 200)}.`,
  );

  const maxBad = opts.maxBadRows ?? 50;
  const gate = verdict.settings.gate === 'run' ? 'whole run + steady-window throughput' : 'every stage';
  lines.push(...section(`Against ${codeSpan(own.set)} (gating; gate: ${gate})`, own, BUDGET.ownBad, maxBad));
  const good = own.rows.filter((r) => r.status === 'pass');
  if (good.length) {
    lines.push('', `<details><summary>${good.length} met</summary>`, '');
    lines.push(...cappedTable(good, opts.maxPassRows ?? 50, BUDGET.ownPass));
    lines.push('', '</details>');
  }
  if (production && !production.sameAsOwn) {
    lines.push(
      ...section(
        `Against ${codeSpan(production.set)} (the production gate; does not decide the exit code)`,
        production,
        BUDGET.productionBad,
        maxBad,
      ),
    );
  }

  if (verdict.readiness) lines.push(...readinessSection(verdict));

  if (analysis) {
    const t = analysis.timeouts;
    const findings = t.findings.filter((f) => f.count > 0);
    const max = opts.maxTimeoutRows ?? 10;
    lines.push('', `**Timeouts:** timeouts on ${t.endpointsWithTimeouts} of ${t.endpointsTotal} endpoints`);
    let used = 0;
    let shown = 0;
    for (const f of findings) {
      const onset = f.onset
        ? `, from ${f.onset.stage !== null ? escapeMarkdown(f.onset.stage, 60) : `${f.onset.atS} s`}${f.onset.offeredRps !== null ? ` at ${formatValue(f.onset.offeredRps, 'rps')}` : ''}`
        : '';
      const censored = f.censored.length ? `; censored ${f.censored.join(', ')}` : '';
      const line = `- ${escapeMarkdown(f.endpoint, 80, true)}: ${f.count} timeouts (${formatValue(f.rate, 'ratio')}), ${f.pattern}${onset}${censored}`;
      if (shown >= max || used + line.length > BUDGET.timeouts) break;
      lines.push(line);
      used += line.length + 1;
      shown++;
    }
    if (shown < findings.length) lines.push(`- … ${findings.length - shown} more, see report.html`);
  }
  if (opts.history) lines.push(...historySection(opts.history));
  lines.push('', 'Every row and figure: `report.html` and `verdict.json` in the run directory.', '');
  return lines.join('\n');
}
