/**
 * `loadgate target`: runs the bundled reference API in the foreground until SIGINT/SIGTERM.
 * Loopback only, whatever --host says.
 */
import type { Command } from 'commander';
import type { RunningTarget } from '../../../reference-api/server.ts';
import { isLoopbackHost } from '../../shared/loopback.ts';
import { isProfileName, profileNames, type ProfileName } from '../../../reference-api/profiles.ts';
import { parseNumberFlag } from '../flags.ts';
import { ConfigError, InfraError, isSystemError, UsageError } from '../../contract/errors.ts';

export interface TargetFlags {
  profile: string;
  port: number;
  host: string;
  seed?: number;
}

/** Validates the flags; exported so tests call it without starting a server. */
export function parseTargetFlags(flags: TargetFlags): { profile: ProfileName; port: number; host: string; seed?: number } {
  if (!isProfileName(flags.profile)) {
    throw new UsageError(`unknown profile "${flags.profile}"; valid profiles: ${profileNames.join(', ')}`);
  }
  if (flags.port > 65_535) throw new UsageError(`--port must be between 0 and 65535, got ${flags.port}`);
  if (!isLoopbackHost(flags.host)) {
    throw new UsageError(
      `--host must be a loopback address (127.0.0.1, ::1, localhost): the reference API never listens beyond this machine; got "${flags.host}"`,
    );
  }
  return { profile: flags.profile, port: flags.port, host: flags.host, ...(flags.seed === undefined ? {} : { seed: flags.seed }) };
}

export function register(program: Command): void {
  program
    .command('target')
    .description('run the bundled reference API (the default system under test) until interrupted')
    .option('--profile <name>', `remediation profile: ${profileNames.join(', ')}`, 'baseline')
    .option('--port <n>', 'port to listen on; 0 picks a free one', parseNumberFlag('port', { int: true, min: 0 }), 8080)
    .option('--host <addr>', 'loopback address to listen on', '127.0.0.1')
    .option('--seed <n>', 'seed for pool jitter and injected faults', parseNumberFlag('seed', { int: true, min: 0 }))
    .action(async (flags: TargetFlags) => {
      const opts = parseTargetFlags(flags);
      // Loaded when the command runs: `loadgate <other command>` and --help do not pay for it.
      const { startTarget } = await import('../../../reference-api/server.ts');
      let target: RunningTarget;
      try {
        target = await startTarget(opts);
      } catch (err) {
        // The address or port is not this machine's to listen on (in use, not permitted, not
        // configured, e.g. ::1 with IPv6 off): where, and the OS's word.
        if (isSystemError(err))
          throw new InfraError(`cannot listen on ${opts.host} port ${opts.port}: ${err.code} (${err.syscall})`, { cause: err });
        if (err instanceof Error && err.name === 'ProfileError') throw new ConfigError(err.message);
        throw err;
      }
      process.stdout.write(`loadgate target: listening on ${target.url} (profile ${target.profile.name})\n`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      process.stderr.write(`loadgate target: ${signal}, closing\n`);
      await target.close();
    });
}
