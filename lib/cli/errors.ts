/**
 * The error types and the exit-code table live in the contract layer (lib/contract/errors.ts),
 * which imports no stage; this re-export keeps the modules that still import them from here working.
 */
export * from '../contract/errors.ts';
