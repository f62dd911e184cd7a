import { describe, expect, it } from 'vitest';
import { parseNumber } from './accumulator.ts';
import { k6Percentile } from './percentiles.ts';
import { IsoTime } from './time.ts';
import { rng } from '../../test/analysis/generate.ts';

describe('parseNumber', () => {
  it('rounds exactly as JSON.parse does, fast path and fallback', () => {
    const r = rng(1);
    const samples = [
      '0',
      '1',
      '-3',
      '12.867798',
      '1000.306865',
      '0.000001',
      '1e-05',
      '2.5E+3',
      '123456789012345678',
      '0.1',
      '-0.5',
      '9007199254740993',
      '3.141592653589793',
    ];
    for (let i = 0; i < 20_000; i++) samples.push(String(Math.round(r() * 10 ** (1 + (i % 12))) / 10 ** (i % 9)), String(r() * 5000));
    for (const s of samples) {
      const b = Buffer.from(`x${s},`);
      expect(parseNumber(b, 1, b.length - 1), s).toBe(JSON.parse(s));
    }
    expect(parseNumber(Buffer.from('-'), 0, 1)).toBeNaN();
    expect(parseNumber(Buffer.from('abc'), 0, 3)).toBeNaN();
  });
});

describe('IsoTime', () => {
  it('reads k6 timestamps, from strings and from bytes, to the nanosecond fraction', () => {
    const t = new IsoTime();
    const cases = ['2026-11-22T10:00:00.123456789Z', '2026-11-22T10:00:59.5Z', '2026-11-22T10:01:00Z', '2026-12-31T23:59:59.999999999Z'];
    for (const c of cases) {
      const expected =
        Date.parse(c.replace(/(\.\d{3})\d*Z/, '$1Z')) + (Number(`0.${(c.split('.')[1] ?? '0').replace('Z', '').slice(3) || '0'}`) || 0);
      expect(t.ms(c), c).toBeCloseTo(expected, 5);
      const b = Buffer.from(c);
      expect(t.fromBytes(b, 0, b.length), c).toBeCloseTo(expected, 5);
    }
    expect(t.ms('2026-11-22T11:00:00+01:00')).toBe(Date.parse('2026-11-22T10:00:00Z'));
    expect(t.fromBytes(Buffer.from('2026-11-22T11:00:00+01:00'), 0, 25)).toBeNaN();
    expect(t.ms('not a time')).toBeNaN();
  });
});

describe("k6's percentile", () => {
  it('interpolates linearly at p·(n−1)', () => {
    const v = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(k6Percentile(v, 10, 0.5)).toBe(5.5);
    expect(k6Percentile(v, 10, 0.95)).toBeCloseTo(9.55, 12);
    expect(k6Percentile(v, 1, 0.95)).toBe(1);
    expect(k6Percentile(v, 0, 0.95)).toBe(0);
  });
});
