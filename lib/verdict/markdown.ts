/**
 * verdict (+ analysis for the timeout summary) → a concise Markdown summary, fit for
 * $GITHUB_STEP_SUMMARY or a PR comment. Pure: no clock, no I/O.
 */
import type { Analysis } from '../analysis/schema.ts';
import type { Verdict, VerdictRow, VerdictStatus } from './schema.ts';
import { formatMargin, formatTarget, formatValue, TARGET_LABEL } from './format.ts';

const BADGE: Record<VerdictStatus, string> = { pass: '✅ PASS', fail: '❌ FAIL', inconclusive: '⚠️ INCONCLUSIVE' };
const ICON: Record<VerdictStatus, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️' };

/** Table cells: pipes and newlines would break the row. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const rps = (n: number | null) => (n === null ? 'n/a' : formatValue(n, 'rps'));

function table(rows: readonly VerdictRow[]): string[] {
  const out = ['| | endpoint | target | measured | required | margin | stage | note |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    out.push(
      `| ${ICON[r.status]} | ${cell(r.endpoint === '*' ? '(run)' : r.endpoint)} | ${TARGET_LABEL[r.target]} | ${
        r.measured === null ? '—' : formatValue(r.measured, r.unit) + (r.censored ? ' (censored)' : '')
      } | ${cell(formatTarget(r))} | ${cell(formatMargin(r) ?? '—')} | ${cell(r.stage)} | ${cell(r.reason ?? '')} |`,
    );
  }
  return out;
}

export interface MarkdownOptions {
  /** At most this many passing rows are listed (in a collapsed block). Default 50. */
  maxPassRows?: number;
}

export function renderMarkdown(verdict: Verdict, analysis: Analysis | null, opts: MarkdownOptions = {}): string {
  const lines: string[] = [];
  const run = verdict.run;
  lines.push(`## loadgate ${BADGE[verdict.status]} — threshold set \`${verdict.set.name}\``);
  lines.push('');
  const meta = [
    `run \`${verdict.runId}\``,
    run.scenario && `scenario ${run.scenario}`,
    run.profile && `profile ${run.profile}`,
    run.phase && `phase ${run.phase}`,
    `k6 run ${run.status}`,
  ].filter(Boolean);
  lines.push(meta.join(' · '));
  lines.push('');

  const v = verdict.validity;
  const window = v.steadyStages.length ? `steady window \`${v.steadyStages.join('+')}\`` : 'no steady window';
  const load = `offered ${rps(v.offeredRps)}, achieved ${rps(v.achievedRps)} (successful ${rps(v.goodputRps)}) in ${window}, ${v.droppedIterations} dropped iterations`;
  if (v.valid) lines.push(`**Load:** ✅ the generator delivered the load: ${load}.`);
  else {
    lines.push(`**Load:** ⚠️ not valid — ${load}.`);
    for (const reason of v.reasons) lines.push(`- ${reason}`);
  }
  lines.push('');

  const c = verdict.counts;
  const gating = verdict.rows.filter((r) => r.gating);
  if (gating.length === 0) {
    lines.push('**Targets:** none in this set (measurement only).');
  } else {
    lines.push(
      `**Targets:** ${c.fail} failed · ${c.inconclusive} inconclusive · ${c.pass} passed (gate: ${verdict.settings.gate === 'run' ? 'whole run + steady-window throughput' : 'every stage'})`,
    );
    const bad = gating.filter((r) => r.status !== 'pass');
    if (bad.length) {
      lines.push('');
      lines.push(...table(bad));
    }
    const good = gating.filter((r) => r.status === 'pass');
    if (good.length) {
      const max = opts.maxPassRows ?? 50;
      lines.push('');
      lines.push(`<details><summary>${good.length} passed</summary>`);
      lines.push('');
      lines.push(...table(good.slice(0, max)));
      if (good.length > max) lines.push('', `… and ${good.length - max} more in verdict.json`);
      lines.push('');
      lines.push('</details>');
    }
  }

  if (analysis) {
    const t = analysis.timeouts;
    lines.push('');
    lines.push(`**Timeouts:** timeout issues: ${t.endpointsWithTimeouts} of ${t.endpointsTotal} endpoints`);
    for (const f of t.findings.filter((f) => f.count > 0).slice(0, 10)) {
      const onset = f.onset
        ? `, from ${f.onset.stage ?? `${f.onset.atS} s`}${f.onset.offeredRps !== null ? ` at ${formatValue(f.onset.offeredRps, 'rps')}` : ''}`
        : '';
      const censored = f.censored.length ? `; censored ${f.censored.join(', ')}` : '';
      lines.push(`- \`${f.endpoint}\`: ${f.count} timeouts (${formatValue(f.rate, 'ratio')}), ${f.pattern}${onset}${censored}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
