/** The reference API listens on loopback only; what counts as loopback is lib/shared/loopback.ts's one test. */
export { isLoopbackHost as isLoopback } from '../lib/shared/loopback.ts';
