import { describe, expect, it } from 'vitest';
import { COMPLETION_SLACK_S, createProgress, fmtClock, formatProgressLine, setProgressContext, type ProgressSnapshot } from './progress.ts';

const snap = (elapsedS: number, totalS = 90, stage = 'hold'): ProgressSnapshot => ({
  elapsedS,
  totalS,
  stage,
  rps: 98.4,
  vus: 12,
  requests: 4000,
  failed: 40,
  timeouts: 3,
  droppedIterations: 0,
});

/** A stream that keeps what is written. */
function sink(): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const write = (c: string) => {
    out += c;
    return true;
  };
  return { write, isTTY: false, text: () => out } as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('progress', () => {
  it('says the phase (k of n), the stage, elapsed and remaining time, and the demo’s remaining time', () => {
    const line = formatProgressLine(snap(30), { label: 'phase 2/4 phase1', afterS: (t) => 2 * (t + 15) });
    expect(line).toBe(
      '[phase 2/4 phase1] [33% · 0:30 elapsed, 1:00 left (demo ~4:30)] stage=hold vus=12 rps=98.4 requests=4000 errors=40 (1.0%) timeouts=3',
    );
    expect(formatProgressLine(snap(30))).toMatch(/^\[33% · 0:30 elapsed, 1:00 left\] stage=hold/);
    expect(fmtClock(3725)).toBe('1:02:05');
  });

  it('reaches 100 % when the run completes (within the polling slack of its planned end), not when it is cut short', () => {
    const out = sink();
    const p = createProgress('plain', out, 5, { label: null });
    p.update(snap(10));
    p.update(snap(90 - COMPLETION_SLACK_S + 1));
    p.stop();
    const lines = out.text().trim().split('\n');
    expect(lines.at(-1)).toMatch(/\[100% · 1:30 elapsed, 0:00 left\]/);
    expect(lines.filter((l) => l.includes('[100%')).length).toBe(1);
    const cut = sink();
    const q = createProgress('plain', cut, 5, { label: null });
    q.update(snap(40));
    q.stop();
    expect(cut.text()).not.toContain('100%');
  });

  it('takes the context set when it is created (the demo sets one per phase)', () => {
    setProgressContext({ label: 'phase 1/2 baseline' });
    const out = sink();
    const p = createProgress('plain', out);
    setProgressContext(null);
    p.update(snap(0));
    expect(out.text()).toContain('[phase 1/2 baseline]');
    const plain = sink();
    createProgress('plain', plain).update(snap(0));
    expect(plain.text()).not.toContain('phase 1/2');
  });
});
