/**
 * One latency distribution while streaming: every value (exact mode) or an HDR histogram
 * (bounded memory), with the exact count, sum, min and max kept in both modes.
 */
import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, toHdrUnits } from './percentiles.ts';

const INITIAL_CAPACITY = 64;

export class Values {
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Exact mode: the values, in arrival order, in `buf[0..n)`. */
  buf: Float64Array | null = new Float64Array(INITIAL_CAPACITY);
  /** HDR mode: the histogram (µs). */
  hist: Histogram | null = null;

  add(v: number): void {
    this.n++;
    this.sum += v;
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
