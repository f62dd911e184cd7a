/**
 * One latency distribution while streaming: every value (exact mode) or an HDR histogram
 * (bounded memory), with the exact count, sum, min and max kept in both modes.
 */
import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, toHdrUnits } from './percentiles.ts';

const INITIAL_CAPACITY = 64;

/** k6 measures time in nanoseconds and writes milliseconds: a value is a whole number of these. */
const NS_PER_MS = 1e6;
const SPLIT = 2 ** 30;
/** The low word carries into the high one before it could leave the exact-integer range. */
const CARRY_AT = 2 ** 52;

/**
 * A sum of millisecond values kept as an exact integer of nanoseconds (in two doubles: high
 * and low 30 bits), so it does not depend on the order values arrive in: a run read in one
 * file or split across execution segments has the same mean, in exact and HDR mode alike.
 * (A floating-point running sum differs in its last bits with the order of the additions.)
 * Exact while each value stays below 2^53 ns (104 days) and the total below 2^83 ns; values
 * finer than 1 ns are rounded to it.
 */
export class NsSum {
  hi = 0;
  lo = 0;

  add(ms: number): void {
    const q = Math.round(ms * NS_PER_MS);
    const h = Math.floor(q / SPLIT);
    this.hi += h;
    this.lo += q - h * SPLIT;
    if (this.lo >= CARRY_AT) this.carry();
  }

  addSum(o: NsSum): void {
    this.hi += o.hi;
    this.lo += o.lo;
    if (this.lo >= CARRY_AT) this.carry();
  }

  /** The sum in ms: from the canonical (hi, lo < 2^30) form, so equal sums give equal results. */
  ms(): number {
    const h = Math.floor(this.lo / SPLIT);
    return ((this.hi + h) * SPLIT + (this.lo - h * SPLIT)) / NS_PER_MS;
  }

  private carry(): void {
    const h = Math.floor(this.lo / SPLIT);
    this.hi += h;
    this.lo -= h * SPLIT;
  }
}

export class Values {
  n = 0;
  /** The exact sum (for the mean). */
  readonly sum = new NsSum();
  min = Infinity;
  max = -Infinity;
  /** Exact mode: the values, in arrival order, in `buf[0..n)`. */
  buf: Float64Array | null = new Float64Array(INITIAL_CAPACITY);
  /** HDR mode: the histogram (µs). */
  hist: Histogram | null = null;

  add(v: number): void {
    this.n++;
    this.sum.add(v);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const buf = this.buf;
    if (buf !== null) {
      if (this.n > buf.length) {
        // 1.5×: less slack at the auto-switch size than doubling.
        const grown = new Float64Array(Math.ceil(buf.length * 1.5));
        grown.set(buf);
        this.buf = grown;
        grown[this.n - 1] = v;
      } else {
        buf[this.n - 1] = v;
      }
    } else {
      (this.hist as Histogram).recordValue(toHdrUnits(v));
    }
  }

  /** Moves from exact values to an HDR histogram (auto mode past its size limit); frees the values. */
  toHdr(): void {
    const buf = this.buf;
    if (buf === null) return;
    const h = newHistogram();
    for (let i = 0; i < this.n; i++) h.recordValue(toHdrUnits(buf[i] as number));
    this.hist = h;
    this.buf = null;
  }

  destroy(): void {
    this.hist?.destroy();
    this.hist = null;
    this.buf = null;
  }
}
