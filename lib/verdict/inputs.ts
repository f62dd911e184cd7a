/**
 * Moved to the contract (lib/contract/run-inputs.ts). This re-export stays only for bench/
 * (bench:report, bench:history), whose imports another change is editing at the same time;
 * remove it once they import lib/contract/run-inputs.ts.
 */
export { readRunInputs, type RunInputs } from '../contract/run-inputs.ts';
