/**
 * The two questions every verdict answers, in words every renderer shares: did the run meet its
 * own (gating) set, and how far is it from production? One place for the counts and the
 * sentences, so summary.md, JUnit, the terminal, the run report and the comparison agree.
 * Pure.
 */
import { isSaturated } from '../contract/figures.ts';
import { READINESS_CHECKS, type ReadinessCheckId } from './readiness.ts';
import type { ProductionJudgement, ReadinessScore, Validity, Verdict, VerdictRow, VerdictStatus } from '../contract/verdict.ts';

/** `none`: the set has no targets (the baseline): neither a pass nor a fail. */
export type JudgementStatus = VerdictStatus | 'none';

export const JUDGEMENT_LABEL: Record<JudgementStatus, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  inconclusive: 'INCONCLUSIVE',
  none: 'NO TARGETS',
};

export interface Judgement {
  /** `own`: the gating set, which decides the exit code; `production`: the production gate. */
  role: 'own' | 'production';
  set: string;
  status: JudgementStatus;
  label: string;
  /** Gating rows ("targets"), and how they came out. */
  targets: number;
  met: number;
  breached: number;
  inconclusive: number;
  /** `29 of 43 targets breached`, `43 of 43 targets met`, `no targets of its own`. */
  summary: string;
  /** `FAIL against production: 29 of 43 targets breached`. */
  sentence: string;
  /** The gating rows, as the verdict orders them (failures first). */
  rows: VerdictRow[];
  /** For `production`: the production set is the gating set itself. */
  sameAsOwn: boolean;
}

interface Judged {
  set: { name: string };
  status: VerdictStatus;
  rows: VerdictRow[];
}

function judgement(role: Judgement['role'], j: Judged, sameAsOwn: boolean): Judgement {
  const rows = j.rows.filter((r) => r.gating);
  const n = rows.length;
  const met = rows.filter((r) => r.status === 'pass').length;
  const breached = rows.filter((r) => r.status === 'fail').length;
  const inconclusive = rows.filter((r) => r.status === 'inconclusive').length;
  // A set without a target "passes" vacuously; say so instead of PASS.
  const status: JudgementStatus = n === 0 && j.status === 'pass' ? 'none' : j.status;
  const of = (k: number, what: string) => `${k} of ${n} target${n === 1 ? '' : 's'} ${what}`;
  let summary: string;
  switch (status) {
    case 'none':
      summary = role === 'own' ? 'no targets of its own' : 'no targets in the set';
      break;
    case 'pass':
      summary = of(met, 'met');
      break;
    case 'fail':
      summary = of(breached, 'breached') + (inconclusive ? `, ${inconclusive} inconclusive` : '');
      break;
    case 'inconclusive':
      summary = inconclusive
        ? of(inconclusive, 'inconclusive') + `, ${met} met`
        : `${of(met, 'met')}, but the run is not valid (see the load)`;
      break;
  }
  const sentence =
    status === 'none'
      ? role === 'own'
        ? `no targets of its own (set ${j.set.name}): measured only`
        : `no targets in the production gate (set ${j.set.name})`
      : `${JUDGEMENT_LABEL[status]} against ${j.set.name}: ${summary}`;
  return {
    role,
    set: j.set.name,
    status,
    label: JUDGEMENT_LABEL[status],
    targets: n,
    met,
    breached,
    inconclusive,
    summary,
    sentence,
    rows,
    sameAsOwn,
  };
}

/** The gating set's judgement: the first question, and the one the exit code follows. */
export function ownJudgement(v: Verdict): Judgement {
  return judgement('own', v, false);
}

/** The production gate's judgement; null for a verdict written before it (re-run `loadgate verdict`). */
export function productionJudgement(v: Verdict): Judgement | null {
  const p: ProductionJudgement | undefined = v.production;
  if (!p) return null;
  return judgement('production', p, p.set.name === v.set.name);
}

export function judgements(v: Verdict): { own: Judgement; production: Judgement | null } {
  return { own: ownJudgement(v), production: productionJudgement(v) };
}

// ---------------------------------------------------------------------------------------------
// The load: was it offered, and was it served? One word each, the same in every rendering.

/** `valid`: the generator offered the load and the system served it; `saturated`: offered but not served; `not-valid`: not offered (or the run did not complete). */
export type LoadState = 'valid' | 'saturated' | 'not-valid';

export const LOAD_LABEL: Record<LoadState, string> = { valid: 'VALID', saturated: 'SATURATED', 'not-valid': 'NOT VALID' };

export interface LoadView {
  state: LoadState;
  label: string;
  /** `the generator offered the load and the system served it`, … */
  sentence: string;
  /** `offered 100 RPS, achieved 97.2 RPS, successful 96.9 RPS in hold` (figures only). */
  figures: string;
}

const rps = (v: number | null) => (v === null ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function loadState(v: Validity): LoadState {
  if (!v.valid) return 'not-valid';
  const saturated = v.saturated ?? isSaturated(v.offeredRps, v.goodputRps, Number.POSITIVE_INFINITY) === true;
  return saturated ? 'saturated' : 'valid';
}

export function loadView(v: Validity): LoadView {
  const state = loadState(v);
  const share = v.offeredRps && v.goodputRps !== null ? ` (${Math.round((v.goodputRps / v.offeredRps) * 100)} % of offered)` : '';
  const window = v.steadyStages.length ? ` in ${v.steadyStages.join('+')}` : '';
  const figures = `offered ${rps(v.offeredRps)} RPS, achieved ${rps(v.achievedRps)} RPS, successful ${rps(v.goodputRps)} RPS${share}${window}`;
  const sentence =
    state === 'valid'
      ? 'the generator offered the load and the system served it'
      : state === 'saturated'
        ? 'the generator offered the load, the system served less of it'
        : v.generator?.saturatedStages.length
          ? 'the load generator was saturated: it measured itself, not the API'
          : 'the generator did not offer the load it promised';
  return { state, label: LOAD_LABEL[state], sentence, figures };
}

// ---------------------------------------------------------------------------------------------
// The production readiness score.

/** A score (0..1) as a whole percentage; `—` when nothing was judged. */
export function fmtScore(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${Math.round(x * 100)} %`;
}

/** Low, medium, high: the colour of a score (under 50 %, under 90 %, 90 % and up). */
export function scoreTone(x: number | null | undefined): 'fail' | 'warn' | 'pass' | 'none' {
  if (x === null || x === undefined) return 'none';
  return x >= 0.9 ? 'pass' : x >= 0.5 ? 'warn' : 'fail';
}

export function checkTitle(id: string): string {
  return Object.hasOwn(READINESS_CHECKS, id) ? READINESS_CHECKS[id as ReadinessCheckId].title : id;
}

/** `readiness 34 %: performance 40 %, errors 55 %, timeouts 45 %, monitoring 33 %, security 20 %`. */
export function readinessSentence(r: ReadinessScore): string {
  const cats = r.categories.map((c) => `${c.name} ${fmtScore(c.score)}`).join(', ');
  return `readiness ${fmtScore(r.score)}: ${cats}`;
}

/** The failing readiness checks, by title. */
export function failingChecks(r: ReadinessScore): string[] {
  return r.checks.filter((c) => c.status === 'fail').map((c) => checkTitle(c.id));
}
