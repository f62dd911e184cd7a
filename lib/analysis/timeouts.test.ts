import { describe, expect, it } from 'vitest';
import { type IntervalPoint, offeredAt, onsetIndex, spearman, stageAt, timeoutPattern } from './timeouts.ts';

const pts = (rows: [number, number, number | null][]): IntervalPoint[] =>
  rows.map(([requests, timeouts, offeredRps], t) => ({ t, requests, timeouts, offeredRps }));

describe('spearman', () => {
  it('is 1 for a monotone rise, -1 for a fall, averages ties, null when a side is constant', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 1000])).toBe(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    expect(spearman([1, 2, 3, 4], [0, 0, 1, 1])).toBeCloseTo(0.894427191, 8);
    expect(spearman([5, 5, 5], [1, 2, 3])).toBeNull();
    expect(spearman([1], [1])).toBeNull();
  });
});

describe('onsetIndex', () => {
  it('is null without timeouts', () => {
    expect(
      onsetIndex(
        pts([
          [10, 0, 1],
          [10, 0, 2],
        ]),
      ),
    ).toBeNull();
  });
  it('skips an isolated early timeout and finds where they keep recurring (3 of 5 intervals)', () => {
    const p = pts([
      [10, 1, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 2, 5],
      [10, 0, 5],
      [10, 1, 5],
      [10, 3, 5],
      [10, 0, 5],
    ]);
    expect(onsetIndex(p)).toBe(6);
  });
  it('ignores intervals without requests when counting the window', () => {
    const p = pts([
      [10, 1, 1],
      [0, 0, 1],
      [0, 0, 1],
      [10, 1, 1],
      [10, 1, 1],
    ]);
    expect(onsetIndex(p)).toBe(0);
  });
  it('falls back to the first timeout when they never recur', () => {
    const p = pts([
      [10, 0, 1],
      [10, 1, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 1, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
      [10, 0, 1],
    ]);
    expect(onsetIndex(p)).toBe(1);
  });
});

describe('timeoutPattern', () => {
  it('none without timeouts', () => {
    expect(timeoutPattern(pts([[10, 0, 1]])).pattern).toBe('none');
  });
  it('load-correlated when the rate rises with offered load', () => {
    const p = pts([
      [10, 0, 10],
      [10, 0, 20],
      [10, 1, 30],
      [10, 2, 40],
      [10, 5, 50],
    ]);
    expect(timeoutPattern(p)).toMatchObject({ pattern: 'load-correlated', rho: expect.any(Number) });
  });
  it('load-correlated when high-load intervals time out at twice the rate of the rest', () => {
    // Offered load goes up and down; ρ is diluted, but the high-load rate (6/300) is 2.5 × the rest (4/500).
    const p = pts([
      [100, 1, 10],
      [100, 1, 100],
      [100, 3, 100],
      [100, 0, 10],
      [100, 1, 10],
      [100, 2, 100],
      [100, 1, 10],
      [100, 1, 10],
    ]);
    const r = timeoutPattern(p);
    expect(r.rateRatio).toBeCloseTo(2.5, 9);
    expect(r.pattern).toBe('load-correlated');
  });
  it('intermittent when timeouts are spread evenly over load levels, or the load is flat or unknown', () => {
    expect(
      timeoutPattern(
        pts([
          [100, 1, 10],
          [100, 1, 20],
          [100, 1, 30],
          [100, 1, 40],
          [100, 1, 50],
          [100, 0, 25],
        ]),
      ).pattern,
    ).toBe('intermittent');
    expect(
      timeoutPattern(
        pts([
          [100, 0, 50],
          [100, 5, 50],
          [100, 0, 50],
          [100, 9, 50],
        ]),
      ).pattern,
    ).toBe('intermittent');
    expect(
      timeoutPattern(
        pts([
          [100, 0, null],
          [100, 5, null],
          [100, 9, null],
        ]),
      ).pattern,
    ).toBe('intermittent');
  });
});

describe('timeoutPattern at high timeout rates', () => {
  it('persistent, not intermittent, when every request times out, at flat, rising or unknown load', () => {
    const all = (offered: (i: number) => number | null) => pts(Array.from({ length: 10 }, (_, i) => [20, 20, offered(i)]));
    // ρ is undefined (the rate is constant at 100 %) and the high-load rate equals the rest.
    expect(timeoutPattern(all(() => 50))).toMatchObject({ pattern: 'persistent', rho: null });
    expect(timeoutPattern(all((i) => 10 * (i + 1))).pattern).toBe('persistent');
    expect(timeoutPattern(all(() => null)).pattern).toBe('persistent');
    // One interval, all timed out: still not intermittent.
    expect(timeoutPattern(pts([[5, 5, null]])).pattern).toBe('persistent');
  });
  it('persistent at a high rate in (nearly) every interval; intermittent when the same count comes in bursts', () => {
    const steady = pts(Array.from({ length: 10 }, () => [10, 6, 50] as [number, number, number]));
    expect(timeoutPattern(steady).pattern).toBe('persistent');
    // Half of the requests time out, but in only 5 of 10 intervals.
    const bursts = pts(Array.from({ length: 10 }, (_, i) => [10, i % 2 ? 10 : 0, 50] as [number, number, number]));
    expect(timeoutPattern(bursts).pattern).toBe('intermittent');
    // Timeouts all along, but a small share: intermittent.
    const few = pts(Array.from({ length: 10 }, () => [100, 2, 50] as [number, number, number]));
    expect(timeoutPattern(few).pattern).toBe('intermittent');
  });
  it('load-correlated still wins when the rate rises with the load, even to 100 %', () => {
    const p = pts([
      [10, 5, 10],
      [10, 6, 20],
      [10, 8, 30],
      [10, 9, 40],
      [10, 10, 50],
    ]);
    expect(timeoutPattern(p).pattern).toBe('load-correlated');
  });
});

describe('the plan timeline', () => {
  const stages = [
    { name: 'ramp', startS: 0, endS: 10, fromRps: 0, toRps: 100 },
    { name: 'hold', startS: 10, endS: 20, fromRps: 100, toRps: 100 },
  ];
  it('gives the offered load (linear within a stage) and the stage at a time', () => {
    expect(offeredAt(stages, 2.5)).toBe(25);
    expect(offeredAt(stages, 15)).toBe(100);
    expect(offeredAt(stages, 25)).toBeNull();
    expect(stageAt(stages, 10)).toBe('hold');
    expect(stageAt(stages, -1)).toBeNull();
  });
});
