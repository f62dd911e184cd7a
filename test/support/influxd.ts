/**
 * A private, throw-away `influxd` (InfluxDB 1.x) for tests, benchmarks and local development:
 * its own temporary data directory and config, loopback ports only, stopped in `finally`.
 * Never a mock: this is the real server Debian's `influxdb` package installs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../lib/k6/runner.ts';
import { InfraError } from '../../lib/contract/errors.ts';

export interface InfluxdHandle {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Sends SIGKILL: simulates InfluxDB dying mid-run (the data directory is kept until `stop`). */
  kill(): void;
  /** Stops the server and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

export const INFLUXD_CANDIDATES = [process.env['LOADGATE_INFLUXD'], '/usr/bin/influxd', '/usr/local/bin/influxd'];

export function locateInfluxd(): string {
  for (const candidate of INFLUXD_CANDIDATES) if (candidate && existsSync(candidate)) return candidate;
  throw new InfraError(
    `influxd (InfluxDB 1.x) not found in ${INFLUXD_CANDIDATES.filter(Boolean).join(', ')}; install Debian's "influxdb" package or set LOADGATE_INFLUXD`,
  );
}

/** influxd 1.6 needs a config file to move every directory and port away from the system defaults. */
export function influxdConfig(dir: string, httpPort: number, rpcPort: number): string {
  return [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${join(dir, 'meta')}"`,
    '[data]',
    `  dir = "${join(dir, 'data')}"`,
    `  wal-dir = "${join(dir, 'wal')}"`,
    // Every query in the proof is logged otherwise: noise in the test output.
    '  query-log-enabled = false',
    '[http]',
    `  bind-address = "127.0.0.1:${httpPort}"`,
    '  log-enabled = false',
    '[monitor]',
    // No _internal database: nothing but loadgate's data in this server.
    '  store-enabled = false',
    '[continuous_queries]',
    '  enabled = false',
    '[logging]',
    '  level = "warn"',
    '',
  ].join('\n');
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new InfraError(`influxd exited with code ${child.exitCode} before it answered ${url}/ping`);
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) });
      if (res.status === 204) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new InfraError(`influxd did not answer ${url}/ping within ${timeoutMs} ms`);
}

export async function startInfluxd(opts: { binary?: string; timeoutMs?: number } = {}): Promise<InfluxdHandle> {
  const binary = opts.binary ?? locateInfluxd();
  const dir = await mkdtemp(join(tmpdir(), 'loadgate-influxd-'));
  const port = await freePort();
  let rpcPort = await freePort();
  while (rpcPort === port) rpcPort = await freePort();
  const configPath = join(dir, 'influxdb.conf');
  await writeFile(configPath, influxdConfig(dir, port, rpcPort));
  const child = spawn(binary, ['run', '-config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  let stopped = false;
  const handle: InfluxdHandle = {
    url,
    port,
    dir,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForPing(url, child, opts.timeoutMs ?? 20_000);
  } catch (err) {
    await handle.stop();
    throw new InfraError(`${(err as Error).message}\n${stderr.trim()}`);
  }
  return handle;
}
