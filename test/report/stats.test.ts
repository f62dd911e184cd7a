import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { decodeCdf, quantile, type Cdf } from '../../lib/shared/histogram.ts';
import {
  bootstrapPercentileDiff,
  classifyLatency,
  classifyProportion,
  classifyRate,
  normalCdf,
  poissonRateZ,
  twoProportionZ,
} from '../../lib/shared/stats.ts';
import { mulberry32 } from '../../lib/shared/rng.ts';

/** A CDF from latencies in ms, through a real HDR histogram as the analysis stores it. */
function cdfOf(values: number[]): Cdf {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
  for (const v of values) h.recordValue(Math.round(v * 1000));
  const cdf = decodeCdf(hdr.encodeIntoCompressedBase64(h));
  if (!cdf) throw new Error('no cdf');
  return cdf;
}

function lognormal(n: number, medianMs: number, sigma: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => medianMs * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())));
}

describe('two-proportion z-test', () => {
  it('matches a hand-computed case: 30/1000 vs 15/1000', () => {
    // pooled p = 45/2000 = 0.0225; se = sqrt(0.0225·0.9775·(2/1000)) = 0.0066323; z = −0.015/se = −2.2617;
    // two-sided p = 2·(1 − Φ(2.2617)) = 0.02372.
    const t = twoProportionZ(30, 1000, 15, 1000);
    expect(t?.z).toBeCloseTo(-2.2617, 3);
    expect(t?.pValue).toBeCloseTo(0.0237, 3);
    expect(classifyProportion(t)).toBe('improved');
    expect(classifyProportion(twoProportionZ(15, 1000, 30, 1000))).toBe('regressed');
  });
  it('is within noise for equal or tiny differences, and for no variance at all', () => {
    expect(classifyProportion(twoProportionZ(20, 1000, 22, 1000))).toBe('within-noise');
    expect(twoProportionZ(0, 500, 0, 800)?.pValue).toBe(1);
    // Significant but below the 0.1 percentage-point floor.
    expect(classifyProportion(twoProportionZ(0, 10_000_000, 50, 10_000_000))).toBe('within-noise');
    expect(twoProportionZ(1, 0, 1, 10)).toBeNull();
  });
  it('uses a standard normal CDF accurate to 1e-6', () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});

describe('Poisson rate test', () => {
  it('classifies throughput (higher is better)', () => {
    expect(classifyRate(poissonRateZ(6000, 60, 9000, 60))).toBe('improved');
    expect(classifyRate(poissonRateZ(9000, 60, 6000, 60))).toBe('regressed');
    expect(classifyRate(poissonRateZ(6000, 60, 6050, 60))).toBe('within-noise');
  });
});

describe('bootstrap CI of the P95 difference', () => {
  it('known answer: point masses at 50 ms and 60 ms give exactly +10 ms, regressed', () => {
    const a = cdfOf(Array(500).fill(50));
    const b = cdfOf(Array(700).fill(60));
    const d = bootstrapPercentileDiff(a, b, { seed: 3 });
    expect(d?.lo).toBeCloseTo(10, 1);
    expect(d?.hi).toBeCloseTo(10, 1);
    expect(classifyLatency(d, 10, 50)).toBe('regressed');
    expect(classifyLatency(bootstrapPercentileDiff(b, a, { seed: 3 }), -10, 60)).toBe('improved');
  });

  it('two samples of the same distribution are within noise, their CI covering 0', () => {
    const a = cdfOf(lognormal(3000, 80, 0.4, 1));
    const b = cdfOf(lognormal(3000, 80, 0.4, 2));
    const d = bootstrapPercentileDiff(a, b, { seed: 1 });
    expect(d).not.toBeNull();
    expect(d!.lo).toBeLessThan(0);
    expect(d!.hi).toBeGreaterThan(0);
    expect(classifyLatency(d, d!.delta, d!.a)).toBe('within-noise');
  });

  it('a clearly shifted distribution is improved or regressed', () => {
    const slow = cdfOf(lognormal(2000, 120, 0.35, 5));
    const fast = cdfOf(lognormal(2000, 60, 0.35, 6));
    const down = bootstrapPercentileDiff(slow, fast, { seed: 1 })!;
    expect(down.hi).toBeLessThan(0);
    expect(classifyLatency(down, down.delta, down.a)).toBe('improved');
    const up = bootstrapPercentileDiff(fast, slow, { seed: 1 })!;
    expect(classifyLatency(up, up.delta, up.a)).toBe('regressed');
  });

  it('a real but negligible shift stays within noise (practical floor)', () => {
    const a = cdfOf(lognormal(200_000, 100, 0.2, 7));
    const b = cdfOf(lognormal(200_000, 103, 0.2, 8)); // +3 %: detectable with 200k requests, below the 5 % floor
    const d = bootstrapPercentileDiff(a, b, { seed: 1 })!;
    expect(d.lo).toBeGreaterThan(0);
    expect(classifyLatency(d, d.delta, d.a)).toBe('within-noise');
  });

  it('the order-statistic shortcut matches a naive resample-and-sort bootstrap', () => {
    const cdf = cdfOf(lognormal(1500, 50, 0.5, 11));
    const rng = mulberry32(99);
    const naive: number[] = [];
    for (let i = 0; i < 400; i++) {
      const sample = Array.from({ length: cdf.total }, () => quantile(cdf, rng())).sort((x, y) => x - y);
      naive.push(sample[Math.ceil(0.95 * cdf.total) - 1]!);
    }
    naive.sort((x, y) => x - y);
    const naiveWidth = naive[389]! - naive[10]!; // central 95 %
    const d = bootstrapPercentileDiff(cdfOf(Array(1).fill(1)), cdf, { seed: 4, resamples: 4000 })!;
    // b − a with a a point mass at 1 ms: the interval is the P95's own bootstrap interval, shifted by 1 ms.
    const width = d.hi - d.lo;
    expect(Math.abs(width - naiveWidth) / naiveWidth).toBeLessThan(0.2);
  });

  it('is reproducible for a seed', () => {
    const a = cdfOf(lognormal(1000, 80, 0.4, 1));
    const b = cdfOf(lognormal(1000, 85, 0.4, 2));
    expect(bootstrapPercentileDiff(a, b, { seed: 5 })).toEqual(bootstrapPercentileDiff(a, b, { seed: 5 }));
  });
});
