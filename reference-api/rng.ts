/** A small seeded PRNG and the latency distributions faults draw from: same seed, same sequence. */
import { mulberry32 } from '../lib/shared/rng.ts';
import type { Latency } from './profiles.ts';

export type Rng = () => number;

/** mulberry32 (lib/shared/rng.ts): plenty for jitter and fault draws. */
export const createRng: (seed: number) => Rng = mulberry32;

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
