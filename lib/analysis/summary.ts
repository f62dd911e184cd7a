/** A short plain-text summary of an analysis, for the terminal. Pure. */
import type { Analysis } from '../contract/analysis.ts';

const ms = (v: number | null) => (v === null ? '—' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`);
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)} %`);

/** ", 3 damaged lines (from line 2263 of raw.ndjson.gz)": where the damage starts; the warnings say more. */
function damage(a: Analysis): string {
  const d = a.input.damaged;
  if (d === undefined || d.lines === 0) return '';
  const first = d.files.find((f) => f.firstLine !== null);
  return `, ${d.lines} damaged line(s)${first === undefined ? '' : ` (from line ${first.firstLine} of ${first.file})`}`;
}

export function formatSummary(a: Analysis): string {
  const t = a.totals;
  const lines: string[] = [];
  const flag = a.run.status === 'completed' ? '' : ` [${a.run.status}]`;
  lines.push(
    `run ${a.run.runId}${flag}: ${t.requests} requests, ${t.iterations} iterations, ${t.droppedIterations} dropped, ${pct(t.all.errorRate)} errors`,
  );
  lines.push(
    `percentiles: ${a.settings.percentiles}${a.settings.percentiles === 'hdr' ? ` (relative error ${a.settings.relativeError})` : ''}; input: ${a.input.points} points${damage(a)}${a.input.truncated ? ', TRUNCATED' : ''}`,
  );
  const f = a.timeouts;
  lines.push(`timeout issues: ${f.endpointsWithTimeouts} of ${f.endpointsTotal} endpoints`);
  for (const x of f.findings.filter((y) => y.count > 0)) {
    const onset =
      x.onset === null
        ? ''
        : `, from ${x.onset.atS.toFixed(0)} s${x.onset.stage ? ` (${x.onset.stage}` : ' ('}${x.onset.offeredRps === null ? '' : `, ${x.onset.offeredRps.toFixed(0)} req/s offered`})`;
    const censored = x.censored.length > 0 ? `; ${x.censored.join(', ')} censored` : '';
    lines.push(`  ${x.endpoint}: ${x.count} timeouts (${pct(x.rate)}), ${x.pattern}${onset}${censored}`);
  }
  lines.push('endpoint                         requests   p50        p95        p99        errors');
  for (const e of a.endpoints) {
    const d = e.total.durationMs;
    const c = e.total.censored;
    const p = (v: number | null, cen: boolean) => `${cen ? '≥' : ''}${ms(v)}`.padEnd(11);
    lines.push(
      `${e.name.padEnd(33)}${String(e.total.requests).padEnd(11)}${p(d.p50, c.p50)}${p(d.p95, c.p95)}${p(d.p99, c.p99)}${pct(e.total.errorRate)}`,
    );
  }
  return lines.join('\n');
}
