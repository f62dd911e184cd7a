/**
 * The one module that runs k6: typed arguments in, a typed result out, one error type that
 * carries k6's exit code. Everything k6 prints goes to a log file, with secrets redacted.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { LoadgateError, ExitCode } from '../cli/errors.ts';
import type { K6Binary } from './locate.ts';
import { TIMEOUT_METRIC } from '../shared/defaults.ts';

/** Every k6 process gets these: k6 stays offline (no usage report, no extension resolution). */
export const K6_OFFLINE_ENV = { K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false' } as const;

/** util-linux's setpriv (Debian's essential set), for the parent-death signal. */
const SETPRIV = '/usr/bin/setpriv';

/** k6's documented exit codes (errext/exitcodes in k6's source). */
export const K6_EXIT = {
  ok: 0,
  thresholdsFailed: 99,
  setupTimeout: 100,
  teardownTimeout: 101,
  genericTimeout: 102,
  genericEngine: 103,
  invalidConfig: 104,
  externalAbort: 105,
  cannotStartRestAPI: 106,
  scriptException: 107,
  scriptAborted: 108,
} as const;

/** A k6 run that failed as a process (not a threshold breach). */
export class K6Error extends LoadgateError {
  constructor(
    message: string,
    readonly k6ExitCode: number | null,
  ) {
    super(message, ExitCode.infra);
  }
}

export interface K6RunArgs {
  k6: K6Binary;
  script: string;
  /** Extra env for the k6 process (k6 exposes the process env as __ENV). Secrets go here, never in argv. */
  env: Record<string, string>;
  /** Values for `--out`. */
  outputs: string[];
  summaryExport: string | null;
  /** `--address` for k6's REST API (live progress); null disables it. */
  apiAddress: string | null;
  logFile: string;
  /** Strings replaced by `***` in the log and in forwarded lines. */
  redact: string[];
  onLine?: (line: string) => void;
  cwd?: string;
}

export interface K6RunResult {
  exitCode: number | null;
  /** Signal that killed k6, if any. */
  signal: string | null;
  /** The signal loadgate forwarded to k6 (SIGINT/SIGTERM received by loadgate). */
  forwarded: string | null;
  durationMs: number;
  /** The last lines k6 wrote to stderr (redacted), for error messages. */
  tail: string[];
}

export function k6Args(a: K6RunArgs): string[] {
  const args = ['run', '--no-color', '--quiet', '--no-usage-report'];
  for (const out of a.outputs) args.push('--out', out);
  if (a.summaryExport) args.push('--summary-export', a.summaryExport);
  if (a.apiAddress) args.push('--address', a.apiAddress);
  args.push(a.script);
  return args;
}

export function redactor(secrets: readonly string[]): (line: string) => string {
  const list = secrets.filter((s) => s.length >= 4);
  if (list.length === 0) return (line) => line;
  return (line) => list.reduce((acc, s) => acc.split(s).join('***'), line);
}

/** A free loopback port for k6's REST API. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Runs k6 to completion. SIGINT/SIGTERM received meanwhile are forwarded once to k6 (which then
 * stops gracefully and flushes its outputs); k6 runs in its own process group so that a
 * terminal's Ctrl-C reaches it only through loadgate, once.
 */
export async function runK6(a: K6RunArgs): Promise<K6RunResult> {
  const started = performance.now();
  const redact = redactor(a.redact);
  const log = createWriteStream(a.logFile, { flags: 'a' });
  // setpriv --pdeathsig: the kernel sends k6 SIGINT when loadgate dies by any signal, kill -9
  // included, so no load outlives the harness; k6 then stops gracefully and flushes its outputs.
  const [command, args] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'SIGINT', '--', a.k6.path, ...k6Args(a)]]
    : [a.k6.path, k6Args(a)];
  const child = spawn(command, args, {
    cwd: a.cwd,
    env: { ...process.env, ...a.env, ...K6_OFFLINE_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  const pump = (stream: NodeJS.ReadableStream, keepTail: boolean) =>
    new Promise<void>((resolve) => {
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (raw) => {
        const line = redact(raw);
        log.write(line + '\n');
        if (keepTail) {
          tail.push(line);
          if (tail.length > 20) tail.shift();
        }
        a.onLine?.(line);
      });
      rl.on('close', resolve);
    });

  let forwarded: string | null = null;
  const forward = (sig: NodeJS.Signals) => {
    forwarded ??= sig;
    if (child.exitCode === null) child.kill(sig);
  };
  const onInt = () => forward('SIGINT');
  const onTerm = () => forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  try {
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const [res] = await Promise.all([exited, pump(child.stdout, false), pump(child.stderr, true)]);
    return { exitCode: res.code, signal: res.signal, forwarded, durationMs: performance.now() - started, tail };
  } catch (err) {
    throw new K6Error(`could not start k6 at ${a.k6.path}: ${(err as Error).message}`, null);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await new Promise<void>((resolve) => log.end(resolve));
  }
}

export interface LiveMetrics {
  vus: number;
  requests: number;
  failed: number;
  timeouts: number;
  droppedIterations: number;
}

/**
 * Has k6 started executing (VUs initialised, setup done)? From its REST API's /v1/status;
 * false while k6 is still starting or not answering yet.
 */
export async function k6HasStarted(apiAddress: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${apiAddress}/v1/status`, { signal: AbortSignal.timeout(800) });
    if (!res.ok) return false;
    const body = (await res.json()) as { data?: { attributes?: { running?: boolean; stopped?: boolean } } };
    const a = body.data?.attributes;
    return a?.running === true || a?.stopped === true;
  } catch {
    return false;
  }
}

/** Reads k6's REST API (/v1/metrics); null while k6 is not answering yet. */
export async function readLiveMetrics(apiAddress: string): Promise<LiveMetrics | null> {
  try {
    const res = await fetch(`http://${apiAddress}/v1/metrics`, { signal: AbortSignal.timeout(800) });
    if (!res.ok) return null;
    const body = (await res.json()) as { data?: Array<{ id: string; attributes?: { sample?: Record<string, number> } }> };
    const sample = (id: string) => body.data?.find((m) => m.id === id)?.attributes?.sample ?? {};
    // Rate metrics expose only their rate here; both have one sample per request.
    const requests = sample('http_reqs')['count'] ?? 0;
    return {
      vus: sample('vus')['value'] ?? 0,
      requests,
      failed: Math.round((sample('http_req_failed')['rate'] ?? 0) * requests),
      timeouts: Math.round((sample(TIMEOUT_METRIC)['rate'] ?? 0) * requests),
      droppedIterations: sample('dropped_iterations')['count'] ?? 0,
    };
  } catch {
    return null;
  }
}
