/**
 * A command whose work succeeded records what it ended with here (a verdict, a step that
 * failed, an interruption), as a typed outcome; lib/cli/main.ts maps it to the exit code with
 * `exitCode` (lib/contract/exit.ts). Errors are thrown instead (see errors.ts).
 */
import type { Command } from 'commander';
import type { Outcome } from '../contract/exit.ts';

const outcomes = new WeakMap<Command, Outcome>();

export function setOutcome(cmd: Command, outcome: Outcome): void {
  outcomes.set(cmd, outcome);
}

export function outcomeOf(cmd: Command): Outcome | undefined {
  return outcomes.get(cmd);
}
