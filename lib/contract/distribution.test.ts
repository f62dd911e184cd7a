import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { rng } from '../../test/analysis/generate.ts';
import {
  decodeHistogram,
  encodeHistogram,
  exactDist,
  HDR_ABSOLUTE_ERROR_MS,
  HDR_RELATIVE_ERROR,
  hdrDist,
  newHistogram,
  toHdrUnits,
  topRank,
} from './distribution.ts';
import { PERCENTILES } from './percentiles.ts';
import { EXACT_PER_CELL, Values } from '../analysis/values.ts';

/** k6's figures and the HDR ones for the same values. */
function both(values: number[]): { exact: ReturnType<typeof exactDist>; hdr: ReturnType<typeof hdrDist> } {
  const h = newHistogram();
  let sum = 0;
  for (const v of values) {
    h.recordValue(toHdrUnits(v));
    sum += v;
  }
  const hdr = hdrDist(h, { count: values.length, min: Math.min(...values), max: Math.max(...values), sum });
  h.destroy();
  return { exact: exactDist(Float64Array.from(values), sum), hdr };
}

/** The stated error: HDR_RELATIVE_ERROR of k6's figure, or HDR_ABSOLUTE_ERROR_MS below 0.5 ms. */
const allowed = (k6: number) => Math.max(HDR_RELATIVE_ERROR * k6, HDR_ABSOLUTE_ERROR_MS);

describe('HDR percentiles', () => {
  const r = rng(11);
  const cases: [string, () => number[]][] = [
    ['log-normal around 40 ms', () => Array.from({ length: 50_000 }, () => 40 * Math.exp(0.8 * gauss(r)))],
    ['sub-millisecond (loopback)', () => Array.from({ length: 20_000 }, () => Math.round((0.05 + r() * 0.9) * 1e6) / 1e6)],
    // A gap at the p95 rank: the nearest rank and k6's interpolation differ by a whole step.
    ['two modes, the gap at p95', () => Array.from({ length: 10_000 }, (_, i) => (i < 9_500 ? 10 + r() : 1000 + r()))],
    ['20 values', () => Array.from({ length: 20 }, (_, i) => (i + 1) * 10.123)],
    ['one value', () => [12.5]],
    ['ties and zeros', () => Array.from({ length: 9_000 }, (_, i) => (i % 3 === 0 ? 0 : 2000 + (i % 7)))],
  ];
  for (const [name, make] of cases) {
    it(`follow k6's definition within the stated error: ${name}`, () => {
      const { exact, hdr } = both(make());
      for (const [k] of PERCENTILES) {
        const e = exact[k] as number;
        expect(Math.abs((hdr[k] as number) - e), `${k}: hdr ${hdr[k]} k6 ${e}`).toBeLessThanOrEqual(allowed(e));
      }
      expect([hdr.count, hdr.min, hdr.max]).toEqual([exact.count, exact.min, exact.max]);
    });
  }

  it('censoring reads the ranks k6 interpolates between, in both modes', () => {
    expect(topRank(0.95, 20)).toBe(19);
    expect(topRank(0.9, 20)).toBe(18);
    expect(topRank(0.5, 20)).toBe(10);
    expect(topRank(0.99, 1)).toBe(0);
  });
});

describe('Values in bounded mode', () => {
  it(`keep the first ${EXACT_PER_CELL} values exact, then move to a histogram`, () => {
    const v = new Values();
    v.bound();
    for (let i = 0; i < EXACT_PER_CELL; i++) v.add(i / 7);
    expect(v.buf?.length).toBeLessThanOrEqual(EXACT_PER_CELL);
    expect(v.hist).toBeNull();
    v.add(1);
    expect(v.buf).toBeNull();
    expect(v.hist?.totalCount).toBe(EXACT_PER_CELL + 1);
    expect(v.n).toBe(EXACT_PER_CELL + 1);
    v.destroy();
  });

  it("makes, encodes and decodes histograms as hdr-histogram-js's own build and base64 functions do", () => {
    const r = rng(7);
    const ours = newHistogram();
    const theirs = hdr.build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
    // Past the initial one-minute range too: the auto-resize is in the encoding's header.
    for (let i = 0; i < 5000; i++) {
      const v = toHdrUnits(i === 4000 ? 95_000 : 1 + 400 * gauss(r) ** 2);
      ours.recordValue(v);
      theirs.recordValue(v);
    }
    const encoded = encodeHistogram(ours) as string;
    expect(encoded).toBe(hdr.encodeIntoCompressedBase64(theirs));
    const back = decodeHistogram(encoded);
    const libBack = hdr.decodeFromCompressedBase64(encoded, 32, false);
    expect(back.totalCount).toBe(5000);
    expect(hdr.encodeIntoCompressedBase64(back)).toBe(hdr.encodeIntoCompressedBase64(libBack));
    expect(back.maxValue).toBe(libBack.maxValue);
    expect(back.getValueAtPercentile(95)).toBe(libBack.getValueAtPercentile(95));
  });

  it('bound() after the fact: a small distribution stays exact, a large one moves', () => {
    const small = new Values();
    const large = new Values();
    for (let i = 0; i < 100; i++) small.add(i);
    for (let i = 0; i < EXACT_PER_CELL + 10; i++) large.add(i);
    small.bound();
    large.bound();
    expect(small.buf?.subarray(0, small.n)).toEqual(Float64Array.from({ length: 100 }, (_, i) => i));
    expect(large.buf).toBeNull();
    expect(large.hist?.totalCount).toBe(EXACT_PER_CELL + 10);
    small.add(5);
    expect(small.n).toBe(101);
    large.destroy();
  });
});

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}
