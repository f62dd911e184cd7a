/**
 * One latency distribution while streaming: every value (exact mode), or in bounded mode the
 * first EXACT_PER_CELL values and past them an HDR histogram, with the exact count, sum, min
 * and max kept in both modes.
 */
import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, toHdrUnits } from '../contract/distribution.ts';

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

/**
 * Values a distribution keeps exact in bounded (HDR) mode before it moves to a histogram: a cell
 * this small has percentiles equal to k6's in every mode. 8,192 values (64 kB) take no more
 * memory than the HDR histogram they would become (~70 kB, percentiles.ts newHistogram).
 */
export const EXACT_PER_CELL = 8192;

export class Values {
  n = 0;
  /** The exact sum (for the mean). */
  readonly sum = new NsSum();
  min = Infinity;
  max = -Infinity;
  /** While exact: the values, in arrival order, in `buf[0..n)`. */
  buf: Float64Array | null = new Float64Array(INITIAL_CAPACITY);
  /** Once past `limit`: the histogram (µs). */
  hist: Histogram | null = null;
  /** Values kept exact: unbounded (exact mode) until bound(). */
  private limit = Infinity;

  add(v: number): void {
    this.n++;
    this.sum.add(v);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const buf = this.buf;
    if (buf !== null) {
      if (this.n > buf.length) {
        if (this.n > this.limit) {
          this.toHdr(this.n - 1);
          (this.hist as Histogram).recordValue(toHdrUnits(v));
          return;
        }
        // 1.5×: less slack at the auto-switch size than doubling; never past the limit.
        const grown = new Float64Array(Math.min(Math.ceil(buf.length * 1.5), this.limit));
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

  /**
   * Bounded memory from now on (HDR mode, or auto mode past its size): at most EXACT_PER_CELL
   * values stay exact, and past them (now, if there are more already) the values move to a
   * histogram.
   */
  bound(): void {
    this.limit = EXACT_PER_CELL;
    if (this.buf === null) return;
    if (this.n > this.limit) {
      this.toHdr(this.n);
    } else if (this.buf.length > this.limit) {
      this.buf = this.buf.slice(0, this.limit);
    }
  }

  /** Moves the first `stored` values to an HDR histogram; frees them. */
  private toHdr(stored: number): void {
    const buf = this.buf as Float64Array;
    const h = newHistogram();
    for (let i = 0; i < stored; i++) h.recordValue(toHdrUnits(buf[i] as number));
    this.hist = h;
    this.buf = null;
  }

  destroy(): void {
    this.hist?.destroy();
    this.hist = null;
    this.buf = null;
  }
}
