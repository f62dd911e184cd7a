import { describe, expect, it } from 'vitest';
import { makeAnalysis } from '../../test/support/verdict-fixtures.ts';
import { isSaturated, loadFigures } from './figures.ts';

describe('one set of load figures', () => {
  it('saturation allows counting noise: 2/√n below 95 % of the offered rate', () => {
    expect(isSaturated(100, 93, 10_000)).toBe(false);
    expect(isSaturated(100, 90, 10_000)).toBe(true);
    expect(isSaturated(100, 80, 100)).toBe(false); // 0.95 − 0.2: a hundred requests prove little
    expect(isSaturated(null, 10, 100)).toBeNull();
  });

  it('without a steady stage the window is every planned stage; without a plan, the run', () => {
    const ramp = makeAnalysis({
      stages: [{ name: 'ramp', durationS: 20, from: 0, to: 100 }],
      endpoints: [{ name: 'a.b', group: 'a', byStage: { ramp: { requests: 1000, p95: 10 } } }],
    });
    expect(loadFigures(ramp)).toMatchObject({ window: 'planned', stages: ['ramp'], offeredRps: 50, achievedRps: 50 });
    const unplanned = { ...ramp, stages: ramp.stages.map((s) => ({ ...s, offeredRps: { from: 0, to: 0, mean: 0 } })) };
    expect(loadFigures(unplanned)).toMatchObject({ window: 'observed', offeredRps: null, achievedRps: 50 });
  });
});
