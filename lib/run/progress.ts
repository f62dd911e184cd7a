/**
 * Live progress while k6 runs: a progress bar on a TTY (cli-progress), plain lines elsewhere
 * (CI logs). Fed from k6's REST API once a second. Shows where the run is (the phase, k of n,
 * when the demo runs several; the stage), elapsed and remaining time, and reaches 100 % when
 * the run completes.
 */
import { SingleBar } from 'cli-progress';
import type { LiveMetrics } from '../k6/runner.ts';

export interface ProgressSnapshot extends LiveMetrics {
  elapsedS: number;
  totalS: number;
  stage: string;
  rps: number;
}

export interface ProgressDisplay {
  update(s: ProgressSnapshot): void;
  stop(): void;
}

export type ProgressMode = 'tty' | 'plain' | 'none';

/**
 * Where a run sits in a longer job (the demo's phases): shown before the stage, and the time
 * the job needs after this run, added to the remaining time.
 */
export interface ProgressContext {
  /** `phase 2/4 phase1`; null for a run on its own. */
  label: string | null;
  /** Seconds the job needs after this run, given this run's planned length. */
  afterS?: (totalS: number) => number;
}

const NO_CONTEXT: ProgressContext = { label: null };
let current: ProgressContext = NO_CONTEXT;

/**
 * Sets the context of the progress displays created from now on (the demo, before each phase);
 * null clears it. A display keeps the context it was created with.
 */
export function setProgressContext(context: ProgressContext | null): void {
  current = context ?? NO_CONTEXT;
}

export function progressMode(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): ProgressMode {
  if (env['LOADGATE_PROGRESS'] === 'none') return 'none';
  return stream.isTTY && !env['CI'] ? 'tty' : 'plain';
}

/** `1:05`, `12:00`, `1:02:03`. */
export function fmtClock(seconds: number): string {
  const t = Math.max(0, Math.round(seconds));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * k6's stage clock starts when the polling sees it run (up to a poll late) and the last poll
 * lands up to a poll before k6 ends: a run that completes stops within this much of its planned
 * length, and its display is then completed to 100 %.
 */
export const COMPLETION_SLACK_S = 3;

function remaining(s: Pick<ProgressSnapshot, 'elapsedS' | 'totalS'>, context: ProgressContext): { run: number; job: number | null } {
  const run = Math.max(0, s.totalS - s.elapsedS);
  return { run, job: context.afterS ? run + context.afterS(s.totalS) : null };
}

function timeText(s: Pick<ProgressSnapshot, 'elapsedS' | 'totalS'>, context: ProgressContext): string {
  const r = remaining(s, context);
  return `${fmtClock(s.elapsedS)} elapsed, ${fmtClock(r.run)} left${r.job !== null && r.job > r.run ? ` (demo ~${fmtClock(r.job)})` : ''}`;
}

export function formatProgressLine(s: ProgressSnapshot, context: ProgressContext = NO_CONTEXT): string {
  const errPct = s.requests > 0 ? ((100 * s.failed) / s.requests).toFixed(1) : '0.0';
  const pct = s.totalS > 0 ? Math.min(100, Math.floor((100 * s.elapsedS) / s.totalS)) : 0;
  return (
    `${context.label ? `[${context.label}] ` : ''}[${pct}% · ${timeText(s, context)}] stage=${s.stage} vus=${s.vus} rps=${s.rps.toFixed(1)} ` +
    `requests=${s.requests} errors=${s.failed} (${errPct}%) timeouts=${s.timeouts}` +
    (s.droppedIterations > 0 ? ` dropped=${s.droppedIterations}` : '')
  );
}

export function createProgress(
  mode: ProgressMode,
  stream: NodeJS.WriteStream,
  plainEveryS = 5,
  context: ProgressContext = current,
): ProgressDisplay {
  if (mode === 'none') return { update() {}, stop() {} };
  let last: ProgressSnapshot | null = null;
  const completed = () => last !== null && last.totalS > 0 && last.elapsedS >= last.totalS - COMPLETION_SLACK_S;
  if (mode === 'plain') {
    let lastPrinted = -Infinity;
    let printedEnd = false;
    const print = (s: ProgressSnapshot) => {
      lastPrinted = s.elapsedS;
      printedEnd = s.elapsedS >= s.totalS;
      stream.write(`loadgate: ${formatProgressLine(s, context)}\n`);
    };
    return {
      update(s) {
        last = s;
        if (s.elapsedS - lastPrinted < plainEveryS) return;
        print(s);
      },
      stop() {
        // The last line says the run reached its end; an interrupted run keeps its last figure.
        if (last && completed() && !printedEnd) print({ ...last, elapsedS: Math.max(last.elapsedS, last.totalS) });
      },
    };
  }
  const bar = new SingleBar(
    {
      stream,
      format: ` {label}{bar} {percentage}% | {stage} | {time} | VUs {vus} | {rps} rps | errors {errors} | timeouts {timeouts}{dropped}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    undefined,
  );
  let started = false;
  const payload = (s: ProgressSnapshot) => ({
    label: context.label ? `${context.label} ` : '',
    stage: s.stage,
    time: timeText(s, context),
    vus: s.vus,
    rps: s.rps.toFixed(1),
    errors: s.failed,
    timeouts: s.timeouts,
    dropped: s.droppedIterations > 0 ? ` | dropped ${s.droppedIterations}` : '',
  });
  return {
    update(s) {
      last = s;
      if (!started) {
        bar.start(Math.max(1, Math.round(s.totalS)), 0, payload(s));
        started = true;
      }
      bar.update(Math.min(Math.round(s.elapsedS), Math.round(s.totalS)), payload(s));
    },
    stop() {
      if (!started) return;
      if (last && completed()) {
        const end = { ...last, elapsedS: last.totalS };
        bar.update(Math.max(1, Math.round(last.totalS)), payload(end));
      }
      bar.stop();
    },
  };
}
