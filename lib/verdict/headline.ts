/**
 * The two questions every verdict answers, in words every renderer shares: did the run meet its
 * own (gating) set, and how far is it from production? One place for the counts and the
 * sentences, so summary.md, JUnit, the terminal, the run report and the comparison agree.
 * Pure.
 */
import type { ProductionJudgement, Verdict, VerdictRow, VerdictStatus } from './schema.ts';

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
