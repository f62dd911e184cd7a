/**
 * The run report's view model: everything the template shows, computed from the analysis and
 * the verdict only. Pure; the template only lays it out.
 */
import type { Analysis, Endpoint, Stats } from '../contract/analysis.ts';
import { endpointRps, loadFigures, type LoadFigures } from '../contract/figures.ts';
import { decodeCdf, logBuckets, quantile } from '../shared/histogram.ts';
import { PERCENTILES } from '../contract/percentiles.ts';
import { comparatorText, isRunWide, isWholeRun, metricOfRow, type Verdict, type VerdictRow } from './verdict.ts';
import { checkTitle, fmtScore, loadView, ownJudgement, productionJudgement, scoreTone, type LoadState } from '../shared/headline.ts';
import { scoreReadiness } from '../shared/readiness-score.ts';
import { fmtCpu, fmtMb, generatorSentence, saturatedSentence } from '../shared/generator-text.ts';
import { READINESS_CHECKS, type ReadinessCheckId } from '../shared/readiness.ts';
import type { ReadinessScore } from '../contract/verdict.ts';
import { DASH, colorAt, fmtDuration, fmtInt, fmtMs, fmtPct, fmtRps, fmtUnit, round, signed, type Metric } from '../shared/format.ts';

/** Most points a time-series chart gets; longer series are aggregated (see downsample). */
export const MAX_CHART_POINTS = 900;

export interface Cell {
  text: string;
  /** Sort key for the client-side table sort. */
  v: number | string;
  cls?: string;
  title?: string;
}

const STATUS_LABEL = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE' } as const;

/**
 * The first question: the run against its own (gating) set, which decides the exit code. A set
 * without targets (the baseline) is NO TARGETS, neutral: never a PASS of nothing.
 */
export function verdictBadge(verdict: Verdict | null) {
  if (!verdict)
    return {
      judged: false,
      label: 'NOT JUDGED',
      cls: 'none',
      set: '',
      text: 'No verdict file: this run was not judged against targets.',
    };
  const j = ownJudgement(verdict);
  const text =
    j.status === 'none'
      ? `No targets of its own (threshold set ${j.set}): measured only.`
      : `${capitalize(j.summary)} (threshold set ${j.set}; decides the exit code).`;
  return { judged: true, label: j.label, cls: j.status, set: j.set, text };
}

/**
 * The second question: the run against the production gate, from the same verdict file.
 * Informational; a verdict written before the production gate says so.
 */
export function productionBadge(verdict: Verdict | null) {
  if (!verdict) return { judged: false, label: 'NOT JUDGED', cls: 'none', set: '', text: 'No verdict file.' };
  const j = productionJudgement(verdict);
  if (!j)
    return {
      judged: false,
      label: 'NOT JUDGED',
      cls: 'none',
      set: '',
      text: 'This verdict predates the production gate: run "loadgate verdict" on the run directory again.',
    };
  if (j.sameAsOwn)
    return { judged: true, label: j.label, cls: j.status, set: j.set, text: 'The threshold set is the production gate itself.' };
  const text =
    j.status === 'none'
      ? `No targets in the production gate (threshold set ${j.set}).`
      : `${capitalize(j.summary)} (threshold set ${j.set}; informational, the exit code follows the own set).`;
  return { judged: true, label: j.label, cls: j.status, set: j.set, text };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The window every load figure of the run is over, in words: `steady window: hold (180 s)`. */
export function windowText(f: LoadFigures): string {
  if (f.window === 'observed') return `the whole run (${fmtDuration(f.seconds)}): no stage plan`;
  const what = f.window === 'steady' ? 'steady window' : 'every planned stage (no steady one)';
  return `${what}: ${f.stages.join(', ')} (${fmtDuration(f.seconds)})`;
}

const LOAD_CLS: Record<LoadState, string> = { valid: 'pass', saturated: 'saturated', 'not-valid': 'inconclusive' };

/**
 * Offered, achieved and successful RPS, one definition (lib/contract/figures.ts) over one
 * window; the word for the load from the verdict (VALID, SATURATED, NOT VALID), or NOT JUDGED.
 */
export function validityView(analysis: Analysis, verdict: Verdict | null) {
  const f = loadFigures(analysis);
  const figures = {
    offered: fmtRps(f.offeredRps),
    achieved: fmtRps(f.achievedRps),
    successful: fmtRps(f.successfulRps),
    ratio: f.offeredRps && f.successfulRps !== null ? fmtPct(f.successfulRps / f.offeredRps, 0) : DASH,
    window: windowText(f),
  };
  if (verdict) {
    const v = verdict.validity;
    const lv = loadView(v);
    return {
      known: true,
      valid: v.valid,
      state: lv.state,
      cls: LOAD_CLS[lv.state],
      label: lv.label,
      sentence: lv.sentence,
      ...figures,
      dropped: fmtInt(v.droppedIterations),
      reasons: v.reasons,
    };
  }
  return {
    known: false,
    valid: null,
    state: 'none',
    cls: 'none',
    label: 'NOT JUDGED',
    sentence: 'no verdict: whether the load was offered and served is not judged',
    ...figures,
    dropped: fmtInt(analysis.totals.droppedIterations),
    reasons: [] as string[],
  };
}

/**
 * The load generator's own CPU and memory per load stage, from the verdict (which judged
 * generator.json): a stage where k6 used more than 90 % of the cores in more than 10 % of its
 * samples is SATURATED, and its figures measured the generator as much as the API.
 */
export function generatorView(verdict: Verdict | null) {
  const g = verdict?.validity.generator;
  if (!g) {
    return {
      any: false,
      state: 'none',
      note: verdict
        ? 'No generator samples: this run has no generator.json (a run before loadgate sampled k6, a k6 run elsewhere analysed here, or a system without /proc).'
        : 'No verdict file: the generator was not judged.',
    };
  }
  const saturated = g.saturatedStages.length > 0;
  const limit = fmtPct(g.cpuLimit, 0);
  return {
    any: true,
    state: saturated ? 'saturated' : 'ok',
    cls: saturated ? 'inconclusive' : 'pass',
    label: saturated ? 'SATURATED' : 'NOT SATURATED',
    headline: generatorSentence(g),
    sentence: saturated
      ? `${capitalize(saturatedSentence(g))}: a saturated generator measures itself, not the API, so the verdict is inconclusive there.`
      : `No stage saturated it: k6 used more than ${limit} of the ${g.cores} cores in at most ${fmtPct(g.saturatedShare, 0)} of any stage's samples.`,
    limit,
    rule: `CPU: k6's user + system time per ${fmtInt(g.intervalMs)} ms sample as a share of the machine's ${g.cores} cores (100 % = all of them busy); RSS: its resident memory${g.processes > 1 ? `, summed over ${g.processes} k6 processes` : ''}. ${fmtInt(g.samplesInStages)} of ${fmtInt(g.samples)} samples fall within a load stage (start-up and the graceful stop are in none).`,
    stages: g.stages.map((s) => ({
      name: s.name,
      samples: fmtInt(s.samples),
      mean: fmtCpu(s.meanCpu),
      peak: fmtCpu(s.peakCpu),
      width: Math.round(Math.min(1, s.meanCpu ?? 0) * 100),
      meterCls: s.saturated ? 'fail' : (s.peakCpu ?? 0) > g.cpuLimit ? 'warn' : 'pass',
      hot: s.hotShare === null ? DASH : `${fmtPct(s.hotShare, 0)} (${s.hot})`,
      rss: fmtMb(s.peakRssBytes),
      state: s.samples === 0 ? 'no samples' : s.saturated ? 'saturated' : 'ok',
      cls: s.saturated ? 'inconclusive' : '',
    })),
  };
}

/** The readiness score: the verdict's, else worked out the same way from what is there (no production gate: fewer categories). */
export function readinessScoreOf(analysis: Analysis, verdict: Verdict | null): ReadinessScore | null {
  if (verdict?.readiness) return verdict.readiness;
  const rows = verdict?.production?.rows ?? (verdict?.set.name === 'production' ? verdict.rows.filter((r) => r.gating) : null);
  if (!analysis.readiness && !rows) return null;
  return scoreReadiness(analysis, rows);
}

const STATUS_WORD = { pass: 'PASS', fail: 'FAIL', inconclusive: 'NOT JUDGED', off: 'OFF' } as const;

/** The production readiness section: the score per category and every check with its rule. */
export function readinessView(analysis: Analysis, verdict: Verdict | null) {
  const r = readinessScoreOf(analysis, verdict);
  if (!r) {
    return {
      any: false,
      score: DASH,
      cls: 'none',
      categories: [],
      checks: [],
      measured: false,
      note: 'Not judged: no verdict and no readiness checks in this run.',
    };
  }
  const categories = r.categories.map((c) => ({
    name: c.name,
    score: fmtScore(c.score),
    cls: scoreTone(c.score),
    width: c.score === null ? 0 : Math.round(c.score * 100),
    detail: c.judged ? `${c.met} of ${c.judged} met` : 'not judged',
    sources: c.sources.join(' + ') || 'nothing measured',
  }));
  const checks = r.checks.map((c) => ({
    id: c.id,
    title: checkTitle(c.id),
    category: c.category,
    rule: Object.hasOwn(READINESS_CHECKS, c.id) ? READINESS_CHECKS[c.id as ReadinessCheckId].rule : '',
    status: c.status,
    label: STATUS_WORD[c.status],
    cls: c.status === 'off' ? 'none' : c.status,
    passed: c.share === null ? DASH : `${fmtPct(c.share, 1)} of ${fmtInt(c.passes + c.fails)}`,
    shareV: c.share ?? -1,
    needs: fmtPct(c.required, 0),
    reason: c.reason ?? '',
  }));
  const note = !r.measured
    ? 'No readiness checks ran beside the load (switched off, nothing to ask: see each check, or a run from before them): monitoring and security are not judged.'
    : verdict?.production || verdict?.set.name === 'production'
      ? ''
      : 'Not judged against the production gate: performance, errors and timeouts are not scored.';
  return { any: true, score: fmtScore(r.score), cls: scoreTone(r.score), categories, checks, measured: r.measured, note };
}

export function runStatusView(analysis: Analysis) {
  const s = analysis.run.status;
  const messages: Record<typeof s, string> = {
    completed: 'Run completed.',
    aborted: `Run ABORTED by k6${analysis.run.k6ExitCode !== null ? ` (exit code ${analysis.run.k6ExitCode})` : ''}: the results cover only the part that ran.`,
    interrupted: 'Run INTERRUPTED (SIGINT/SIGTERM): the results cover only the part that ran.',
    failed: `Run FAILED${analysis.run.k6ExitCode !== null ? ` (k6 exit code ${analysis.run.k6ExitCode})` : ''}: treat every figure with suspicion.`,
    unknown: 'Run status UNKNOWN: k6 did not report how the run ended.',
  };
  return { status: s, alert: s !== 'completed', message: messages[s] };
}

/** Verdict rows about one endpoint's whole run (stage null), by metric. */
function endpointTargets(verdict: Verdict | null): Map<string, Map<Metric, VerdictRow>> {
  const out = new Map<string, Map<Metric, VerdictRow>>();
  for (const r of verdict?.rows ?? []) {
    if (isRunWide(r) || !isWholeRun(r)) continue;
    const m = out.get(r.endpoint) ?? new Map<Metric, VerdictRow>();
    m.set(metricOfRow(r), r);
    out.set(r.endpoint, m);
  }
  return out;
}

/** Per-stage P95 rows, keyed `endpoint\u0000stage`. */
function stageP95Rows(verdict: Verdict | null): Map<string, VerdictRow> {
  const out = new Map<string, VerdictRow>();
  for (const r of verdict?.rows ?? [])
    if (!isRunWide(r) && !isWholeRun(r) && r.target === 'p95') out.set(`${r.endpoint}\u0000${r.stage}`, r);
  return out;
}

function targetText(r: VerdictRow): string {
  return `${comparatorText(r.comparator)} ${fmtUnit(r.threshold, r.unit)}`;
}

function msCell(v: number | null, censored: boolean, row?: VerdictRow): Cell {
  const text = v === null ? DASH : `${censored ? '≥ ' : ''}${fmtMs(v)}`;
  const cell: Cell = { text, v: v ?? -1 };
  const cls: string[] = [];
  if (censored) {
    cls.push('censored');
    cell.title = 'Censored by the client timeout: the true value is at least this.';
  }
  if (row) {
    cls.push(row.status);
    cell.title = `${cell.title ? `${cell.title} ` : ''}Target ${targetText(row)}: ${row.status}.`;
  }
  if (cls.length) cell.cls = cls.join(' ');
  return cell;
}

function endpointRow(e: Endpoint, targets: Map<Metric, VerdictRow> | undefined, color: string, figures: LoadFigures) {
  const s = e.total;
  const d = s.durationMs;
  const timeouts = s.outcomes.timeout + s.outcomes.dialTimeout;
  const checksTotal = s.checks.passes + s.checks.fails;
  const errRow = targets?.get('error_rate');
  return {
    name: e.name,
    color,
    detail: [e.method, e.path].filter(Boolean).join(' '),
    timeoutMs: e.timeoutMs === null ? DASH : fmtMs(e.timeoutMs),
    cells: [
      { text: fmtInt(s.requests), v: s.requests },
      { text: fmtRps(endpointRps(e, figures)), v: endpointRps(e, figures) ?? -1 },
      ...PERCENTILES.map(([k]) => msCell(d[k], s.censored[k], targets?.get(k))),
      msCell(d.max, false, targets?.get('max')),
      {
        text: fmtPct(s.errorRate),
        v: s.errorRate ?? -1,
        ...(errRow ? { cls: errRow.status, title: `Target ${targetText(errRow)}: ${errRow.status}.` } : s.errorRate ? { cls: 'warn' } : {}),
      },
      {
        text: timeouts ? `${fmtInt(timeouts)} (${fmtPct(s.timeoutRate)})` : '0',
        v: timeouts,
        ...(timeouts ? { cls: targets?.get('timeout_rate')?.status === 'pass' ? 'warn' : 'timeout' } : {}),
      },
      {
        text: checksTotal ? `${fmtPct(s.checks.passes / checksTotal, 1)} of ${fmtInt(checksTotal)}` : DASH,
        v: checksTotal ? s.checks.passes / checksTotal : -1,
        ...(s.checks.fails ? { cls: 'warn' } : {}),
      },
    ].map((c: Cell) => ({ text: c.text, v: c.v, cls: c.cls ?? '', title: c.title ?? '' })),
  };
}

function targetRowView(r: VerdictRow) {
  const margin =
    r.margin === null
      ? DASH
      : r.unit === 'ratio'
        ? `${signed((Math.abs(r.margin) * 100).toFixed(2), r.margin)} pp`
        : signed(fmtUnit(Math.abs(r.margin), r.unit), r.margin);
  return {
    status: r.status,
    label: STATUS_LABEL[r.status],
    target: r.target,
    endpoint: isRunWide(r) ? 'all endpoints' : r.endpoint,
    stage: isWholeRun(r) ? 'whole run' : r.stage,
    measured: `${r.censored ? '≥ ' : ''}${fmtUnit(r.measured, r.unit)}`,
    threshold: targetText(r),
    margin,
    marginV: r.marginRel ?? 0,
    marginPct: r.marginRel === null ? '' : signed(fmtPct(Math.abs(r.marginRel), 0), r.marginRel),
    requests: fmtInt(r.requests),
    reason: r.reason ?? '',
  };
}

function targetsView(verdict: Verdict | null) {
  if (!verdict) return null;
  const order = { fail: 0, inconclusive: 1, pass: 2 } as const;
  const sorted = [...verdict.rows].sort((a, b) => order[a.status] - order[b.status]);
  const gating = sorted.filter((r) => r.gating).map(targetRowView);
  const other = sorted.filter((r) => !r.gating).map(targetRowView);
  const p = productionJudgement(verdict);
  const production =
    p && !p.sameAsOwn
      ? {
          set: p.set,
          label: p.label,
          cls: p.status,
          summary: p.summary,
          rows: [...p.rows].sort((a, b) => order[a.status] - order[b.status]).map(targetRowView),
          pass: p.met,
          fail: p.breached,
          inconclusive: p.inconclusive,
        }
      : null;
  return {
    set: verdict.set.name,
    gate: verdict.settings.gate,
    /** The own set has no targets (the baseline): no table, a neutral line. */
    none: gating.length === 0,
    rows: gating,
    other,
    otherFails: other.filter((r) => r.status === 'fail').length,
    pass: verdict.counts.pass,
    fail: verdict.counts.fail,
    inconclusive: verdict.counts.inconclusive,
    production,
  };
}

function timeoutsView(analysis: Analysis) {
  const t = analysis.timeouts;
  const stageNames = analysis.stages.map((s) => s.name);
  const findings = t.findings
    .filter((f) => f.count > 0)
    .map((f) => ({
      endpoint: f.endpoint,
      count: fmtInt(f.count),
      countV: f.count,
      rate: fmtPct(f.rate),
      rateV: f.rate,
      onset: f.onset
        ? {
            at: fmtDuration(f.onset.atS),
            atV: f.onset.atS,
            stage: f.onset.stage ?? DASH,
            offered: f.onset.offeredRps === null ? DASH : `${fmtRps(f.onset.offeredRps)} RPS`,
          }
        : null,
      pattern: f.pattern,
      censored: f.censored.join(', ') || 'none',
      worst: worstStage(f.byStage),
    }));
  const first = [...t.findings].filter((f) => f.onset).sort((a, b) => (a.onset?.atS ?? 0) - (b.onset?.atS ?? 0))[0];
  const headline =
    t.endpointsWithTimeouts === 0
      ? `No timeouts on any of ${t.endpointsTotal} endpoints.`
      : `Timeouts on ${t.endpointsWithTimeouts} of ${t.endpointsTotal} endpoints.` +
        (first?.onset
          ? ` First onset: ${first.endpoint} at ${fmtDuration(first.onset.atS)}${first.onset.stage ? ` (${first.onset.stage})` : ''}${first.onset.offeredRps !== null ? `, offered load ${fmtRps(first.onset.offeredRps)} RPS` : ''}.`
          : '');
  return { any: findings.length > 0, headline, stageNames, findings };
}

function worstStage(byStage: Record<string, number>) {
  const [stage, rate] = Object.entries(byStage).sort((a, b) => b[1] - a[1])[0] ?? [DASH, 0];
  return { stage, text: fmtPct(rate, 1), cls: heat(rate), v: rate };
}

function heat(rate: number): string {
  if (rate <= 0) return 'h0';
  if (rate < 0.01) return 'h1';
  if (rate < 0.1) return 'h2';
  return 'h3';
}

function stagesView(
  analysis: Analysis,
  verdict: Verdict | null,
  targets: Map<string, Map<Metric, VerdictRow>>,
  perStage: Map<string, VerdictRow>,
) {
  const judged = new Map((verdict?.validity.stages ?? []).map((v) => [v.name, v]));
  const stages = analysis.stages.map((s) => {
    const seconds = s.endS - s.startS;
    let ok = 0;
    for (const e of analysis.endpoints) ok += e.byStage[s.name]?.outcomes.ok ?? 0;
    const successful = seconds > 0 ? ok / seconds : null;
    const ratio = successful !== null && s.offeredRps.mean > 0 ? successful / s.offeredRps.mean : null;
    const v = judged.get(s.name);
    const state = !v ? '' : v.short ? 'short' : v.saturated ? 'saturated' : 'served';
    return {
      name: s.name,
      window: `${fmtDuration(s.startS)} – ${fmtDuration(s.endS)}`,
      offered:
        s.offeredRps.from === s.offeredRps.to ? fmtRps(s.offeredRps.mean) : `${fmtRps(s.offeredRps.from)} → ${fmtRps(s.offeredRps.to)}`,
      offeredMean: fmtRps(s.offeredRps.mean),
      achieved: fmtRps(s.achievedRps),
      successful: fmtRps(successful),
      ratio: ratio === null ? DASH : fmtPct(ratio, 0),
      state,
      stateCls: state === 'short' ? 'inconclusive' : state === 'saturated' ? 'saturated' : state === 'served' ? 'pass' : '',
      dropped: fmtInt(s.droppedIterations),
      droppedCls: s.droppedIterations > 0 ? 'warn' : '',
      vus: fmtInt(s.vusMax),
      requests: fmtInt(s.requests),
    };
  });
  const matrix = analysis.endpoints.map((e) => ({
    name: e.name,
    cells: analysis.stages.map((st) => {
      const s: Stats | undefined = e.byStage[st.name];
      if (!s || s.requests === 0) return { p95: DASH, to: '', cls: 'h0', title: 'no requests' };
      const stageRow = perStage.get(`${e.name}\u0000${st.name}`);
      const target = stageRow ?? targets.get(e.name)?.get('p95');
      const over = stageRow
        ? stageRow.status === 'fail'
        : target && s.durationMs.p95 !== null
          ? !compare(s.durationMs.p95, target.comparator, target.threshold)
          : false;
      const to = s.timeoutRate ?? 0;
      return {
        p95: `${s.censored.p95 ? '≥ ' : ''}${fmtMs(s.durationMs.p95)}`,
        to: to > 0 ? `${fmtPct(to, 1)} t/o` : '',
        cls: `${heat(to)}${over ? ' over' : ''}`,
        title: `${e.name} in ${st.name}: ${fmtInt(s.requests)} requests, P95 ${fmtMs(s.durationMs.p95)}, errors ${fmtPct(s.errorRate)}, timeouts ${fmtPct(to)}${target ? `, P95 target ${targetText(target)}` : ''}`,
      };
    }),
  }));
  return { stages, names: analysis.stages.map((s) => s.name), matrix };
}

function compare(measured: number, comparator: string, threshold: number): boolean {
  switch (comparator) {
    case '<':
      return measured < threshold;
    case '<=':
      return measured <= threshold;
    case '>':
      return measured > threshold;
    case '>=':
      return measured >= threshold;
    default:
      return true;
  }
}

/** Log-spaced latency histograms on one shared axis, as SVG geometry (numbers only; labels are escaped by the template). */
function histogramsView(analysis: Analysis, targets: Map<string, Map<Metric, VerdictRow>>, colors: Map<string, string>) {
  const W = 300;
  const H = 110;
  const PAD_L = 18;
  const PAD_B = 18;
  const plotH = H - PAD_B - 14;
  const N = 48;
  const cdfs = analysis.endpoints.map((e) => ({ e, cdf: decodeCdf(e.total.histogram) }));
  let lo = Infinity;
  let hi = 0;
  for (const { cdf } of cdfs) {
    if (!cdf || cdf.total === 0) continue;
    lo = Math.min(lo, cdf.values[0] ?? Infinity);
    hi = Math.max(hi, cdf.values[cdf.values.length - 1] ?? 0);
  }
  if (!Number.isFinite(lo) || hi <= 0) return { any: false, items: [] };
  lo = 10 ** Math.floor(Math.log10(Math.max(lo, 0.1)));
  hi = 10 ** Math.ceil(Math.log10(Math.max(hi, lo * 10)));
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  const x = (ms: number) => PAD_L + ((Math.log10(Math.max(ms, lo)) - a) / (b - a)) * (W - 2 * PAD_L);
  const ticks: Array<{ x: number; label: string }> = [];
  for (let d = Math.round(a); d <= Math.round(b); d++) {
    const v = 10 ** d;
    ticks.push({ x: round(x(v)), label: v >= 1000 ? `${v / 1000} s` : `${Number(v.toPrecision(1))} ms` });
  }
  const items = cdfs.map(({ e, cdf }) => {
    if (!cdf || cdf.total === 0)
      return { name: e.name, empty: true, bars: [], markers: [], ticks, W, H, base: H - PAD_B, summary: 'no requests' };
    const buckets = logBuckets(cdf, lo, hi, N);
    const peak = Math.max(...buckets.map((k) => k.count), 1);
    const bw = (W - 2 * PAD_L) / N;
    const bars = buckets
      .map((k, i) => ({ k, i }))
      .filter(({ k }) => k.count > 0)
      .map(({ k, i }) => {
        const h = Math.max(1, (k.count / peak) * plotH);
        return {
          x: round(PAD_L + i * bw + 0.5),
          y: round(H - PAD_B - h),
          w: round(Math.max(1, bw - 1)),
          h: round(h),
          title: `${fmtMs(k.lo)} – ${fmtMs(k.hi)}: ${fmtInt(k.count)} requests (${fmtPct(k.count / cdf.total, 1)})`,
        };
      });
    const markers: Array<{ x: number; label: string; cls: string; ty: number; anchor?: string; dx?: number }> = [];
    const p95 = e.total.durationMs.p95 ?? quantile(cdf, 0.95);
    markers.push({ x: round(x(p95)), label: e.total.censored.p95 ? 'p95 ≥ timeout' : `p95 ${fmtMs(p95)}`, cls: 'm-p95', ty: 10 });
    const target = targets.get(e.name)?.get('p95');
    if (target) markers.push({ x: round(x(target.threshold)), label: `target ${fmtMs(target.threshold)}`, cls: 'm-target', ty: 20 });
    if (e.timeoutMs !== null && e.timeoutMs <= hi) markers.push({ x: round(x(e.timeoutMs)), label: 'timeout', cls: 'm-timeout', ty: 30 });
    for (const m of markers) {
      // Labels near the right edge read leftwards so they stay inside the plot.
      m.anchor = m.x > W * 0.62 ? 'end' : 'start';
      m.dx = m.x > W * 0.62 ? -3 : 3;
    }
    return {
      name: e.name,
      color: colors.get(e.name) ?? '#555',
      empty: false,
      bars,
      markers,
      ticks,
      W,
      H,
      base: H - PAD_B,
      summary: `${fmtInt(cdf.total)} requests, p50 ${fmtMs(e.total.durationMs.p50)}, p95 ${fmtMs(e.total.durationMs.p95)}, max ${fmtMs(e.total.durationMs.max)}`,
    };
  });
  return { any: true, items };
}

/**
 * The buckets a chart draws: all but a last one that covers less than half an interval (the
 * run ended early in it; a rate over a sliver of a second draws a spike that never happened).
 * A last bucket of at least half an interval is kept and its counts divided by its true width.
 */
export function chartedBuckets(analysis: Analysis): { n: number; width: (i: number) => number; dropped: boolean } {
  const s = analysis.series;
  const end = analysis.run.durationS;
  const width = (i: number) => {
    const t = s.t[i] ?? i * s.intervalS;
    if (end === null || !(end > t)) return s.intervalS;
    return Math.min(s.intervalS, end - t);
  };
  let n = s.t.length;
  if (n > 1 && width(n - 1) < s.intervalS / 2) n--;
  return { n, width, dropped: n < s.t.length };
}

/**
 * The VU line without holes: k6 samples its `vus` gauge once a second, so an interval of a
 * second may hold no sample while VUs run. Between the first and the last sample, an interval
 * without one carries the last value on (a gauge holds until it changes).
 */
export function continuousVus(vus: ReadonlyArray<number | null>): Array<number | null> {
  const first = vus.findIndex((v) => v !== null);
  let last = -1;
  for (let i = vus.length - 1; i >= 0; i--)
    if (vus[i] !== null) {
      last = i;
      break;
    }
  let carry: number | null = null;
  return vus.map((v, i) => {
    if (v !== null) carry = v;
    return i < first || i > last ? v : (v ?? carry);
  });
}

/** An endpoint's group for the small multiples: its group, else the name's part before the first dot. */
function groupName(e: Endpoint): string {
  return e.group ?? e.name.split('.')[0] ?? e.name;
}

/**
 * Aggregates series to at most MAX_CHART_POINTS points: counts become per-second rates over the
 * wider point, VUs take the maximum, and P95 the highest interval P95 within the point (a
 * conservative view: spikes stay visible). P95 is drawn as small multiples, one chart per
 * endpoint group with the group's own target lines.
 */
export function chartData(analysis: Analysis, verdict: Verdict | null, colors: Map<string, string>) {
  const s = analysis.series;
  const buckets = chartedBuckets(analysis);
  const n = buckets.n;
  const f = Math.max(1, Math.ceil(n / MAX_CHART_POINTS));
  const stepS = s.intervalS * f;
  const groups = Math.ceil(n / f);
  const vusFilled = continuousVus(s.vus.slice(0, n));
  const t: number[] = [];
  const rps: number[] = [];
  const vus: Array<number | null> = [];
  const dropped: number[] = [];
  const offered: Array<number | null> = [];
  const offeredAt = (sec: number): number | null => {
    const st = analysis.stages.find((x) => sec >= x.startS && sec < x.endS);
    if (!st) return null;
    const span = st.endS - st.startS;
    return span > 0 ? st.offeredRps.from + ((st.offeredRps.to - st.offeredRps.from) * (sec - st.startS)) / span : st.offeredRps.mean;
  };
  const spanOf = (i0: number, i1: number) => {
    let w = 0;
    for (let i = i0; i < i1; i++) w += buckets.width(i);
    return w;
  };
  for (let g = 0; g < groups; g++) {
    const i0 = g * f;
    const i1 = Math.min(n, i0 + f);
    let r = 0;
    let d = 0;
    let v: number | null = null;
    for (let i = i0; i < i1; i++) {
      // The analysis's rps is per second of each bucket's true width already.
      r += (s.rps[i] ?? 0) * buckets.width(i);
      d += s.droppedIterations[i] ?? 0;
      const vi = vusFilled[i];
      if (vi !== null && vi !== undefined) v = v === null ? vi : Math.max(v, vi);
    }
    const span = spanOf(i0, i1);
    const t0 = s.t[i0] ?? i0 * s.intervalS;
    t.push(t0);
    rps.push(round(r / span));
    dropped.push(round(d / span));
    vus.push(v);
    const o = offeredAt(t0 + span / 2);
    offered.push(o === null ? null : round(o));
  }
  const endpoints = analysis.endpoints.map((e) => {
    const es = s.endpoints[e.name];
    const p95: Array<number | null> = [];
    const errors: number[] = [];
    const timeouts: number[] = [];
    let anyErr = false;
    let anyTo = false;
    for (let g = 0; g < groups; g++) {
      const i0 = g * f;
      const i1 = Math.min(n, i0 + f);
      let p: number | null = null;
      let er = 0;
      let to = 0;
      for (let i = i0; i < i1; i++) {
        const pi = es?.p95[i];
        if (pi !== null && pi !== undefined) p = p === null ? pi : Math.max(p, pi);
        er += es?.errors[i] ?? 0;
        to += es?.timeouts[i] ?? 0;
      }
      const span = spanOf(i0, i1);
      p95.push(p === null ? null : round(p));
      errors.push(round(er / span));
      timeouts.push(round(to / span));
      if (er > 0) anyErr = true;
      if (to > 0) anyTo = true;
    }
    return { name: e.name, color: colors.get(e.name) ?? '#555', p95, errors: anyErr ? errors : null, timeouts: anyTo ? timeouts : null };
  });
  // P95 targets per endpoint: the gating set's; without any (the baseline), the production gate's, so the lines still say where production is.
  const p95Rows = (rows: readonly VerdictRow[] | undefined) =>
    new Map((rows ?? []).filter((r) => r.target === 'p95' && isWholeRun(r) && !isRunWide(r)).map((r) => [r.endpoint, r.threshold]));
  const own = p95Rows(verdict?.rows);
  const prod = p95Rows(verdict?.production?.rows);
  const targetSet = own.size > 0 ? verdict?.set.name : prod.size > 0 ? (verdict?.production?.set.name ?? null) : null;
  const targetOf = own.size > 0 ? own : prod;
  // Small multiples: one P95 chart per endpoint group, in the order the groups first appear.
  const groupOrder: string[] = [];
  const members = new Map<string, number[]>();
  analysis.endpoints.forEach((e, i) => {
    const g = groupName(e);
    if (!members.has(g)) {
      groupOrder.push(g);
      members.set(g, []);
    }
    members.get(g)?.push(i);
  });
  const p95Groups = groupOrder.map((g) => {
    const idx = members.get(g) ?? [];
    const byThreshold = new Map<number, string[]>();
    for (const i of idx) {
      const e = analysis.endpoints[i] as Endpoint;
      const th = targetOf.get(e.name);
      if (th === undefined) continue;
      byThreshold.set(th, [...(byThreshold.get(th) ?? []), e.name]);
    }
    const targets = [...byThreshold].map(([value, eps]) => ({
      value,
      label:
        `${targetSet ?? ''} P95 target ${fmtMs(value)}${byThreshold.size > 1 ? ` (${eps.length === 1 ? eps[0] : `${eps.length} endpoints`})` : ''}`.trim(),
    }));
    return { name: g, endpoints: idx, targets };
  });
  const onsets = analysis.timeouts.findings
    .filter((x) => x.onset)
    .map((x) => ({ endpoint: x.endpoint, atS: x.onset?.atS ?? 0, color: colors.get(x.endpoint) ?? '#555' }));
  return {
    stepS,
    aggregated: f > 1,
    partialDropped: buckets.dropped,
    t,
    rps,
    vus,
    offered,
    dropped,
    stages: analysis.stages.map((x) => ({ name: x.name, startS: x.startS, endS: x.endS })),
    endpoints,
    p95Groups,
    onsets,
  };
}

export function runMeta(analysis: Analysis) {
  const r = analysis.run;
  return [
    { k: 'Run', v: r.runId },
    { k: 'Scenario', v: r.scenario ?? DASH },
    { k: 'Load profile', v: r.profile ?? DASH },
    { k: 'Phase', v: r.phase ?? DASH },
    { k: 'Target', v: r.target ?? DASH },
    { k: 'Started', v: r.startedAt ?? DASH },
    { k: 'Duration', v: fmtDuration(r.durationS) },
    { k: 'k6', v: r.k6Version ?? DASH },
    { k: 'Percentiles', v: analysis.settings.percentiles === 'exact' ? 'exact' : `HDR (±${fmtPct(analysis.settings.relativeError, 1)})` },
  ];
}

function inputWarnings(analysis: Analysis): string[] {
  const i = analysis.input;
  const out = [...i.warnings];
  const sk = i.skipped;
  const skipped = sk.badJson + sk.tornLastLine + sk.unknownMetric + sk.untagged;
  if (skipped > 0)
    out.push(
      `${fmtInt(skipped)} input line(s) skipped: ${sk.badJson} bad JSON, ${sk.tornLastLine} torn last line, ${sk.unknownMetric} unknown metric, ${sk.untagged} untagged.`,
    );
  if (i.truncated) out.push('The raw results were truncated: figures cover only what was read.');
  return out;
}

/** VUs actually running iterations: the analysis's peak (`vus` gauge), else the highest stage or series value. */
export function peakVus(analysis: Analysis): number {
  if (analysis.totals.vusPeak !== undefined) return analysis.totals.vusPeak;
  return Math.max(0, ...analysis.stages.map((s) => s.vusMax), ...analysis.series.vus.map((v) => v ?? 0));
}

export function buildRunView(analysis: Analysis, verdict: Verdict | null, now: Date) {
  const colors = new Map(analysis.endpoints.map((e, i) => [e.name, colorAt(i)]));
  const targets = endpointTargets(verdict);
  const all = analysis.totals.all;
  const tv = timeoutsView(analysis);
  const figures = loadFigures(analysis);
  const validity = validityView(analysis, verdict);
  const readiness = readinessView(analysis, verdict);
  const peak = peakVus(analysis);
  const kpis = [
    { label: 'Requests', value: fmtInt(all.requests), sub: `${fmtInt(analysis.endpoints.length)} endpoints`, cls: '' },
    {
      label: 'Successful RPS',
      value: `${fmtRps(figures.successfulRps)} RPS`,
      sub: `of ${fmtRps(figures.offeredRps)} offered · achieved ${fmtRps(figures.achievedRps)}`,
      cls: validity.state === 'saturated' ? 'saturated' : '',
    },
    {
      label: 'P95 (all)',
      value: `${all.censored.p95 ? '≥ ' : ''}${fmtMs(all.durationMs.p95)}`,
      sub: `p99 ${fmtMs(all.durationMs.p99)}`,
      cls: all.censored.p95 ? 'fail' : '',
    },
    {
      label: 'Errors',
      value: fmtPct(all.errorRate),
      sub: `${fmtInt(all.requests - all.outcomes.ok)} requests`,
      cls: all.errorRate ? 'warn' : '',
    },
    {
      label: 'Timeouts',
      value: fmtInt(all.outcomes.timeout + all.outcomes.dialTimeout),
      sub: `${analysis.timeouts.endpointsWithTimeouts} of ${analysis.timeouts.endpointsTotal} endpoints`,
      cls: analysis.timeouts.endpointsWithTimeouts ? 'fail' : '',
    },
    {
      label: 'Peak VUs',
      value: fmtInt(peak),
      sub: `in use (${fmtInt(analysis.totals.vusMax)} allocated) · ${fmtInt(analysis.totals.droppedIterations)} dropped iterations`,
      cls: analysis.totals.droppedIterations ? 'warn' : '',
    },
  ];
  return {
    title: `loadgate run ${analysis.run.runId}`,
    generatedAt: now.toISOString(),
    meta: runMeta(analysis),
    runStatus: runStatusView(analysis),
    verdict: verdictBadge(verdict),
    production: productionBadge(verdict),
    validity,
    readiness,
    kpis,
    warnings: inputWarnings(analysis),
    targets: targetsView(verdict),
    rpsWindow: windowText(figures),
    /** The endpoint table's percentile columns, in the order of its cells. */
    percentileKeys: PERCENTILES.map(([k]) => k),
    endpoints: analysis.endpoints.map((e) => endpointRow(e, targets.get(e.name), colors.get(e.name) ?? '#555', figures)),
    timeouts: tv,
    stages: stagesView(analysis, verdict, targets, stageP95Rows(verdict)),
    generator: generatorView(verdict),
    histograms: histogramsView(analysis, targets, colors),
    chart: chartData(analysis, verdict, colors),
  };
}

export type RunView = ReturnType<typeof buildRunView>;
