/** Small statistics the benches print and judge by: medians, spreads, the machine's load. */
import { loadavg } from 'node:os';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? Number.NaN : n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

export function fmtSpread(xs: readonly number[], digits: number): string {
  return `median ${median(xs).toFixed(digits)} (spread ${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

/**
 * A goal missed beyond the spread: the median on the wrong side of the goal by more than half
 * the spread (max − min) of the per-round values. `atLeast`: the goal is a floor (≥), else a ceiling (≤).
 */
export function missedBeyondSpread(values: readonly number[], goal: number, atLeast: boolean): boolean {
  const med = median(values);
  const half = (Math.max(...values) - Math.min(...values)) / 2;
  return atLeast ? med < goal && goal - med > half : med > goal && med - goal > half;
}

/** The 1-, 5- and 15-minute load averages, for the bench's output. */
export function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
}
