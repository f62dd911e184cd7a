/** A small seeded PRNG and the latency distributions faults draw from: same seed, same sequence. */
import type { Latency } from './profiles.ts';

export type Rng = () => number;

/** mulberry32: 32-bit state, uniform in [0, 1). Plenty for jitter and fault draws. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One draw from a latency distribution, in milliseconds. */
export function sampleLatency(l: Latency, rng: Rng): number {
  switch (l.dist) {
    case 'fixed':
      return l.ms;
    case 'uniform':
      return l.minMs + (l.maxMs - l.minMs) * rng();
    case 'exponential': {
      const v = -Math.log(1 - rng()) * l.meanMs;
      return l.maxMs === undefined ? v : Math.min(v, l.maxMs);
    }
  }
}
