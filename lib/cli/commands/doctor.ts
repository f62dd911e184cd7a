/** `loadgate doctor`: what loadgate depends on, where it is, which version, and how to fix what is missing. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { InfraError } from '../../contract/errors.ts';
import { setOutcome } from '../outcome.ts';

const run = promisify(execFile);

export interface Check {
  name: string;
  required: boolean;
  ok: boolean;
  path: string | null;
  version: string | null;
  fix: string | null;
}

async function which(bin: string): Promise<string | null> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${bin}`]);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

async function versionOf(path: string, args: string[], pattern: RegExp): Promise<string | null> {
  try {
    const { stdout, stderr } = await run(path, args, {
      timeout: 15_000,
      env: { ...process.env, K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false' },
    });
    return pattern.exec(stdout + stderr)?.[1] ?? null;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return pattern.exec(`${e.stdout ?? ''}${e.stderr ?? ''}`)?.[1] ?? null;
  }
}

async function tool(name: string, bin: string, args: string[], pattern: RegExp, required: boolean, fix: string): Promise<Check> {
  const path = await which(bin);
  const version = path ? await versionOf(path, args, pattern) : null;
  return { name, required, ok: path !== null, path, version, fix: path ? null : fix };
}

export async function runChecks(): Promise<Check[]> {
  // Loaded when the command runs: `loadgate <other command>` and --help do not pay for it.
  const { locateK6, pinnedK6Version, SETUP_COMMAND } = await import('../../k6/locate.ts');
  const pinned = await pinnedK6Version();
  const k6: Check = await locateK6().then(
    (b) => ({
      name: 'k6',
      required: true,
      ok: b.version === pinned,
      path: b.path,
      version: b.version,
      fix: b.version === pinned ? null : `pinned ${pinned}: ${SETUP_COMMAND}`,
    }),
    (err: Error) => ({ name: 'k6', required: true, ok: false, path: null, version: null, fix: err.message }),
  );
  const apt = (pkg: string) => `apt-get update && apt-get install -y ${pkg}  (or: ${SETUP_COMMAND})`;
  return [
    k6,
    { name: 'node', required: true, ok: true, path: process.execPath, version: process.version, fix: null },
    await tool('go', 'go', ['version'], /go version (go\S+)/, false, 'install Go to build k6 (https://go.dev/doc/install)'),
    await tool('influxd', 'influxd', ['version'], /InfluxDB (v\S+)/, false, apt('influxdb')),
    await tool('chromium', 'chromium', ['--version'], /Chromium (\S+)/, false, apt('chromium')),
    await tool('wrk', 'wrk', ['--version'], /wrk (\S+)/, false, apt('wrk')),
  ];
}

export function formatChecks(checks: Check[]): string {
  return checks
    .map((c) => {
      const mark = c.ok ? 'ok     ' : c.required ? 'MISSING' : 'missing';
      const where = c.path ? `${c.version ?? '?'}  ${c.path}` : '';
      return `${mark}  ${c.name.padEnd(9)} ${where}${c.fix ? `\n         fix: ${c.fix}` : ''}`;
    })
    .join('\n');
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('report k6, Go, InfluxDB, Chromium and wrk: versions, paths, and how to fix what is missing')
    .action(async (_opts: unknown, command: Command) => {
      const checks = await runChecks();
      process.stdout.write(formatChecks(checks) + '\n');
      const missing = checks.filter((c) => c.required && !c.ok).map((c) => c.name);
      setOutcome(command, {
        failures: missing.length ? [{ step: 'tools', error: new InfraError(`required tools missing: ${missing.join(', ')}`) }] : [],
      });
    });
}
