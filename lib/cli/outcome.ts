/**
 * A command whose work succeeded but whose result is a non-zero outcome (a breach, an
 * inconclusive verdict) records it here; lib/cli/main.ts returns it as the exit code.
 * Errors are thrown instead (see errors.ts).
 */
import type { Command } from 'commander';

const outcomes = new WeakMap<Command, number>();

export function setOutcome(cmd: Command, exitCode: number): void {
  outcomes.set(cmd, exitCode);
}

export function outcomeOf(cmd: Command): number | undefined {
  return outcomes.get(cmd);
}
