/** Every subcommand, registered in this order; each file owns its flags and its action. */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commands: Register[] = [];
