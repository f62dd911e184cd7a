import { describe, expect, it } from 'vitest';
import { parseNumber } from './json-number.ts';
import { k6Percentile } from './distribution.ts';
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
    // Not JSON numbers (JSON.parse would reject the line): NaN, so the line is judged by JSON.parse.
    for (const bad of ['-', 'abc', '', '01', '-01', '1.', '.5', '-.5', '+1', '0x10', '1e', '1e+', 'Infinity', '1.2.3']) {
      const b = Buffer.from(`x${bad},`);
      expect(parseNumber(b, 1, b.length - 1), bad).toBeNaN();
      expect(() => JSON.parse(bad), bad).toThrow();
    }
  });
});

/** `iso` (UTC, whole ms, as toISOString writes it) at a UTC offset of `offsetMin`, with the fraction `frac` (digits after the second). */
function zoned(utcMs: number, offsetMin: number, frac: string): string {
  const local = new Date(utcMs + offsetMin * 60_000).toISOString().slice(0, 19);
  const a = Math.abs(offsetMin);
  const zone =
    offsetMin === 0 ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return `${local}${frac === '' ? '' : `.${frac}`}${zone}`;
}

describe('IsoTime', () => {
  it('reads RFC 3339 times to the microsecond, nanoseconds truncated, from strings and from bytes', () => {
    const t = new IsoTime();
    const cases: [string, number][] = [
      ['2026-11-22T10:00:00.123456789Z', Date.parse('2026-11-22T10:00:00Z') + 123456 / 1000],
      ['2026-11-22T10:00:59.5Z', Date.parse('2026-11-22T10:00:59Z') + 500],
      ['2026-11-22T10:01:00Z', Date.parse('2026-11-22T10:01:00Z')],
      ['2026-11-22T10:01:00.0000009Z', Date.parse('2026-11-22T10:01:00Z')],
      ['2026-12-02T11:00:00.123456+01:00', Date.parse('2026-12-02T10:00:00Z') + 123456 / 1000],
      ['2026-12-02T04:30:00.000001-05:30', Date.parse('2026-12-02T10:00:00Z') + 0.001],
      // The offset takes the date across a year's end.
      ['2026-12-31T23:30:00.25-01:00', Date.parse('2027-01-01T00:30:00Z') + 250],
      ['2024-02-29T00:00:00.5+14:00', Date.parse('2024-02-28T10:00:00Z') + 500],
      ['2026-11-22t10:00:00.5z', Date.parse('2026-11-22T10:00:00Z') + 500],
    ];
    for (const [c, expected] of cases) {
      expect(t.ms(c), c).toBe(expected);
      expect(t.fromBytes(Buffer.from(c), 0, c.length), c).toBe(expected);
    }
    // Truncated, never rounded into the next second (a double at epoch magnitude cannot tell .9999999 s from 1 s).
    expect(t.ms('2026-11-22T10:00:00.9999999Z')).toBeLessThan(Date.parse('2026-11-22T10:00:01Z'));
    for (const bad of [
      '2026-11-22T10:00:00',
      '2026-11-22T10:00:00.Z',
      '2026-11-22T10:00:00+0100',
      '2026-11-22T10:00:00+01',
      '2026-02-30T10:00:00Z',
      '2026-11-22T24:00:00Z',
      '2026-11-22T10:00:00.1x2Z',
      'not a time at all, not at all',
    ]) {
      expect(t.fromBytes(Buffer.from(bad), 0, bad.length), bad).toBeNaN();
    }
    // Strings that are not RFC 3339 go to Date.parse.
    expect(t.ms('not a time')).toBeNaN();
    expect(t.ms('Sun, 22 Nov 2026 10:00:00 GMT')).toBe(Date.parse('2026-11-22T10:00:00Z'));
  });

  it('gives one instant the same number, bit for bit, at every offset: per-second counts do not depend on the zone k6 ran in', () => {
    const r = rng(3);
    const t = new IsoTime();
    const offsets = [0, 60, 120, -300, 330, 345, -570, 840, -720];
    for (let i = 0; i < 5000; i++) {
      const ms = Date.parse('2026-03-29T00:00:00Z') + Math.floor(r() * 2 * 86_400_000);
      const digits = String(Math.floor(r() * 1e9))
        .padStart(9, '0')
        .slice(0, 1 + (i % 9));
      const utc = t.ms(zoned(ms, 0, digits));
      for (const off of offsets) {
        const s = zoned(ms, off, digits);
        expect(t.fromBytes(Buffer.from(s), 0, s.length), s).toBe(utc);
      }
      expect(Math.floor(utc / 1000)).toBe(Math.floor(ms / 1000));
    }
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
