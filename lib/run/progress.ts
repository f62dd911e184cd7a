/**
 * Live progress while k6 runs: a progress bar on a TTY (cli-progress), plain lines elsewhere
 * (CI logs). Fed from k6's REST API once a second.
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

export function progressMode(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): ProgressMode {
  if (env['LOADGATE_PROGRESS'] === 'none') return 'none';
  return stream.isTTY && !env['CI'] ? 'tty' : 'plain';
}

export function formatProgressLine(s: ProgressSnapshot): string {
  const errPct = s.requests > 0 ? ((100 * s.failed) / s.requests).toFixed(1) : '0.0';
  return (
    `[${Math.round(s.elapsedS)}s/${Math.round(s.totalS)}s] stage=${s.stage} vus=${s.vus} rps=${s.rps.toFixed(1)} ` +
    `requests=${s.requests} errors=${s.failed} (${errPct}%) timeouts=${s.timeouts}` +
    (s.droppedIterations > 0 ? ` dropped=${s.droppedIterations}` : '')
  );
}

export function createProgress(mode: ProgressMode, stream: NodeJS.WriteStream, plainEveryS = 5): ProgressDisplay {
  if (mode === 'none') return { update() {}, stop() {} };
  if (mode === 'plain') {
    let lastPrinted = -Infinity;
    return {
      update(s) {
        if (s.elapsedS - lastPrinted < plainEveryS) return;
        lastPrinted = s.elapsedS;
        stream.write(`loadgate: ${formatProgressLine(s)}\n`);
      },
      stop() {},
    };
  }
  const bar = new SingleBar(
    {
      stream,
      format: ' {bar} {percentage}% | {stage} | VUs {vus} | {rps} rps | errors {errors} | timeouts {timeouts}{dropped}',
      hideCursor: true,
      clearOnComplete: false,
    },
    undefined,
  );
  let started = false;
  return {
    update(s) {
      const payload = {
        stage: s.stage,
        vus: s.vus,
        rps: s.rps.toFixed(1),
        errors: s.failed,
        timeouts: s.timeouts,
        dropped: s.droppedIterations > 0 ? ` | dropped ${s.droppedIterations}` : '',
      };
      if (!started) {
        bar.start(Math.max(1, Math.round(s.totalS)), 0, payload);
        started = true;
      }
      bar.update(Math.min(Math.round(s.elapsedS), Math.round(s.totalS)), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
