/**
 * The one module that runs k6: typed arguments in, a typed result out, one error type that
 * carries k6's exit code. Everything k6 prints goes to a log file, with secrets redacted.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, open, rm, rmdir, type FileHandle } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { LoadgateError, ExitCode } from '../contract/errors.ts';
import { writeAtomic } from '../contract/run-dir.ts';
import type { K6Binary } from './locate.ts';
import { LIVE_TIMEOUTS_METRICS } from '../shared/defaults.ts';
import { READINESS_LIVE_METRICS } from '../shared/readiness.ts';

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
  /**
   * This process's share of the test: k6's `--execution-segment` and `--execution-segment-sequence`
   * (e.g. `1/3:2/3` of `0,1/3,2/3,1`). Absent: the whole test.
   */
  segment?: { segment: string; sequence: string } | null;
  /** Start paused (`--paused`): k6 initialises its VUs, then waits for `resumeK6` (segments start together). */
  paused?: boolean;
  /** `--tag name=value` for every sample. */
  tags?: Record<string, string>;
  /**
   * A command k6 runs under, after setpriv (e.g. `ip netns exec NS`): it must exec k6 in place, so
   * that k6 stays this process's child and the parent-death signal still reaches it.
   */
  wrap?: string[];
  /** Called with the pid once k6 is spawned. */
  onSpawn?: (pid: number) => void;
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
  if (a.segment) args.push('--execution-segment', a.segment.segment, '--execution-segment-sequence', a.segment.sequence);
  if (a.paused) args.push('--paused');
  for (const [name, value] of Object.entries(a.tags ?? {})) args.push('--tag', `${name}=${value}`);
  args.push(a.script);
  return args;
}

/** The command line that starts k6: under setpriv (parent-death signal) when there is one, and under `wrap`. */
export function k6Command(
  a: Pick<K6RunArgs, 'k6' | 'wrap'>,
  args: string[],
  setpriv: string | null = existsSync(SETPRIV) ? SETPRIV : null,
): [string, string[]] {
  const inner = [...(a.wrap ?? []), a.k6.path, ...args];
  if (setpriv !== null) return [setpriv, ['--pdeathsig', 'SIGINT', '--', ...inner]];
  return [inner[0] as string, inner.slice(1)];
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
  // k6's summary export carries setup()'s return value (`setup_data`): with a session pool, live
  // login tokens. k6 writes it into a file that has no name on disk (unnamedFile), handed to it
  // as its fd 3; only the summary without it reaches the run directory (keepSummary). However
  // loadgate ends, kill -9 included, no copy outlives the processes that hold the file open.
  const summary = a.summaryExport ? await unnamedFile() : null;
  const [command, args] = k6Command(a, k6Args({ ...a, summaryExport: summary ? K6_SUMMARY_FD_PATH : null }));
  const child = spawn(command, args, {
    cwd: a.cwd,
    env: { ...process.env, ...a.env, ...K6_OFFLINE_ENV },
    stdio: ['ignore', 'pipe', 'pipe', summary?.fd ?? 'ignore'],
    detached: true,
  });
  if (child.pid !== undefined) a.onSpawn?.(child.pid);

  // A full disk (or a spent quota) under the run: k6 would go on sending load whose samples
  // nobody can keep. The first write that fails, k6's own (it logs the error and goes on) or
  // loadgate's k6.log, stops k6 as SIGINT does; what was written stays, and runK6 then throws.
  let full: DiskFull | null = null;
  const stopForDisk = (failure: DiskFull) => {
    if (full !== null) return;
    full = failure;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  log.on('error', (err: NodeJS.ErrnoException) => stopForDisk(writeFailure(a.logFile, err)));

  const tail: string[] = [];
  const pump = (stream: NodeJS.ReadableStream, keepTail: boolean) =>
    new Promise<void>((resolve) => {
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (raw) => {
        const line = redact(raw);
        const disk = diskFullIn(line);
        if (disk) stopForDisk(disk);
        if (!log.destroyed) log.write(line + '\n');
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

  let result: K6RunResult;
  try {
    try {
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code, signal) => resolve({ code, signal }));
      });
      // 'pipe' in stdio: both are there (the fourth entry, fd 3, makes their types nullable).
      const [res] = await Promise.all([
        exited,
        pump(child.stdout as NodeJS.ReadableStream, false),
        pump(child.stderr as NodeJS.ReadableStream, true),
      ]);
      result = { exitCode: res.code, signal: res.signal, forwarded, durationMs: performance.now() - started, tail };
    } catch (err) {
      throw new K6Error(`could not start k6 at ${a.k6.path}: ${(err as Error).message}`, null);
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    // On a full disk, the summary could not be kept either: not tried.
    if (summary && a.summaryExport && full === null) {
      try {
        await keepSummary(await summary.readFile('utf8'), a.summaryExport, (line) => log.write(`${line}\n`));
      } catch (err) {
        const failure = writeFailure(a.summaryExport, err as NodeJS.ErrnoException);
        if (!NO_SPACE.has(failure.code)) throw err;
        full = failure;
      }
    }
  } finally {
    await summary?.close();
    // After a write error the stream is destroyed: nothing left to end.
    if (!log.destroyed) await new Promise<void>((resolve) => log.end(resolve));
  }
  const failure = full as DiskFull | null;
  if (failure !== null) {
    const dir = dirname(a.logFile);
    const what = NO_SPACE.has(failure.code) ? 'the disk is full' : 'a file of the run cannot be written';
    throw new K6Error(
      `${what}: writing ${failure.file} failed: ${failure.code} (${failure.text}); k6 was stopped. ` +
        `What it collected is kept in ${dir}: free some space, then run: loadgate analyze ${dir}`,
      result.exitCode,
    );
  }
  return result;
}

/** A write into the run that failed (for want of space, mostly): the file, the errno code, the OS's words. */
export interface DiskFull {
  file: string;
  code: string;
  text: string;
}

/** The OS's words for the errno codes of a full disk and of a spent quota. */
const NO_SPACE = new Map([
  ['ENOSPC', 'no space left on device'],
  ['EDQUOT', 'disk quota exceeded'],
]);

function writeFailure(file: string, err: NodeJS.ErrnoException): DiskFull {
  const code = err.code ?? 'EIO';
  return { file, code, text: NO_SPACE.get(code) ?? err.message };
}

/**
 * A k6 log line that reports a write that found no space (k6's outputs log the error and go
 * on): the file and the code, or null. Go's words for ENOSPC and EDQUOT, after the path:
 * `error="write /run/raw.ndjson.gz: no space left on device"`.
 */
export function diskFullIn(line: string): DiskFull | null {
  const m = /(?:write|open|close|sync) ([^\s"]+): (no space left on device|disk quota exceeded)/.exec(line);
  if (!m) return null;
  const text = m[2] as string;
  return { file: m[1] as string, code: text === 'no space left on device' ? 'ENOSPC' : 'EDQUOT', text };
}

/** Where k6 writes its summary export: its own fd 3, the unnamed file loadgate hands it (Linux's /dev/fd). */
export const K6_SUMMARY_FD_PATH = '/dev/fd/3';

/**
 * A file open for reading and writing that has no name on disk: made in a private (0700)
 * directory, then unlinked with it at once, before anything is written into it. A child that
 * inherits it opens it again through /dev/fd; the kernel frees it when the last process that
 * holds it open ends, so nothing is left to sweep after a crash or a kill -9.
 */
export async function unnamedFile(): Promise<FileHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'loadgate-k6-summary-'));
  const file = join(dir, 'summary.json');
  try {
    return await open(file, 'w+', 0o600);
  } finally {
    // Before k6 writes anything into it: the file and its directory lose their names at once.
    await rm(file, { force: true });
    await rmdir(dir);
  }
}

/**
 * Writes k6's summary export (`text`, as k6 wrote it) to `to` without `setup_data` (setup()'s
 * return value: the session pool's tokens). A summary k6 did not write (empty) stays absent; one
 * that does not parse is not copied (it could hold the tokens), and `note` says so.
 */
export async function keepSummary(text: string, to: string, note: (line: string) => void): Promise<void> {
  if (text === '') return;
  let summary: Record<string, unknown>;
  try {
    summary = JSON.parse(text) as Record<string, unknown>;
  } catch {
    note(`loadgate: k6's summary export did not parse; not kept (it may hold setup() data)`);
    return;
  }
  delete summary['setup_data'];
  await writeAtomic(to, `${JSON.stringify(summary, null, 2)}\n`);
}

export interface LiveMetrics {
  vus: number;
  requests: number;
  failed: number;
  timeouts: number;
  droppedIterations: number;
}

/**
 * One request to k6's REST API. The address is `host:port`, or `unix:PATH` for a Unix socket
 * relayed to a k6 whose API listens in another network namespace (lib/run/netns.ts). node:http
 * rather than fetch: fetch knows no Unix sockets, and refuses the Fetch standard's "bad ports",
 * which a free port may be. Resolves null when k6 does not answer (yet), or answers an error.
 */
export function k6Api(apiAddress: string, method: 'GET' | 'PATCH', path: string, body?: unknown, timeoutMs = 800): Promise<unknown> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const where = apiAddress.startsWith('unix:')
    ? { socketPath: apiAddress.slice('unix:'.length) }
    : { host: apiAddress.slice(0, apiAddress.lastIndexOf(':')), port: Number(apiAddress.slice(apiAddress.lastIndexOf(':') + 1)) };
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        ...where,
        method,
        path,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 300) return resolve(null);
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            resolve(null);
          }
        });
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end(payload);
  });
}

export interface K6Status {
  /** k6's execution status: 4 = initialised and paused before the run, 7 = running, 9 = ended. */
  status: number;
  paused: boolean;
  running: boolean;
  stopped: boolean;
  vus: number;
  vusMax: number;
}

/** k6's /v1/status; null while k6 is not answering. */
export async function k6Status(apiAddress: string): Promise<K6Status | null> {
  const body = (await k6Api(apiAddress, 'GET', '/v1/status')) as { data?: { attributes?: Record<string, unknown> } } | null;
  const a = body?.data?.attributes;
  if (a === undefined) return null;
  return {
    status: typeof a['status'] === 'number' ? a['status'] : -1,
    paused: a['paused'] === true,
    running: a['running'] === true,
    stopped: a['stopped'] === true,
    vus: typeof a['vus'] === 'number' ? a['vus'] : 0,
    vusMax: typeof a['vus-max'] === 'number' ? a['vus-max'] : 0,
  };
}

/** k6's execution status once its VUs are initialised and it waits, paused, for the start (lib/execution). */
export const K6_STATUS_PAUSED_BEFORE_RUN = 4;
/**
 * k6's execution status while its scenarios run: after VU initialisation (1–3) and setup() (6),
 * when the executors' stage clock starts (lib/execution: Running = 7, Teardown 8, Ended 9).
 */
export const K6_STATUS_RUNNING = 7;

/** Have k6's scenarios started (execution status Running or later)? False while it initialises, runs setup() or does not answer. */
export async function k6ScenariosStarted(apiAddress: string): Promise<boolean> {
  const s = await k6Status(apiAddress);
  return s !== null && s.status >= K6_STATUS_RUNNING;
}

/**
 * Sets a k6's `paused` or `stopped` through its REST API (PATCH /v1/status), as the k6-operator's
 * starter does for its runners; true when k6 took it.
 */
export async function setK6Status(apiAddress: string, attributes: { paused?: boolean; stopped?: boolean }): Promise<boolean> {
  const body = { data: { type: 'status', id: 'default', attributes } };
  return (await k6Api(apiAddress, 'PATCH', '/v1/status', body, 3000)) !== null;
}

/**
 * Has k6 started executing (VUs initialised, setup done)? From its REST API's /v1/status;
 * false while k6 is still starting or not answering yet.
 */
export async function k6HasStarted(apiAddress: string): Promise<boolean> {
  const s = await k6Status(apiAddress);
  return s !== null && (s.running || s.stopped);
}

/** Reads k6's REST API (/v1/metrics); null while k6 is not answering yet. */
export async function readLiveMetrics(apiAddress: string): Promise<LiveMetrics | null> {
  try {
    const body = (await k6Api(apiAddress, 'GET', '/v1/metrics')) as {
      data?: Array<{ id: string; attributes?: { sample?: Record<string, number> } }>;
    } | null;
    if (body === null) return null;
    const sample = (id: string) => body.data?.find((m) => m.id === id)?.attributes?.sample ?? {};
    // Rate metrics expose only their rate here (http_req_failed has one sample per request); the
    // timeouts are a count on the request counter (LIVE_TIMEOUTS_METRICS). The readiness checks
    // beside the load are left out (their submetrics, READINESS_LIVE_METRICS; absent without them).
    const all = sample('http_reqs')['count'] ?? 0;
    const readiness = sample(READINESS_LIVE_METRICS.requests)['count'] ?? 0;
    const requests = Math.max(0, all - readiness);
    const failedAll = (sample('http_req_failed')['rate'] ?? 0) * all;
    const failedReadiness = (sample(READINESS_LIVE_METRICS.failed)['rate'] ?? 0) * readiness;
    return {
      vus: sample('vus')['value'] ?? 0,
      requests,
      failed: Math.max(0, Math.round(failedAll - failedReadiness)),
      timeouts: Math.max(
        0,
        LIVE_TIMEOUTS_METRICS.reduce((n, m) => n + (sample(m)['count'] ?? 0), 0) -
          (sample(READINESS_LIVE_METRICS.timeouts)['count'] ?? 0) -
          (sample(READINESS_LIVE_METRICS.dialTimeouts)['count'] ?? 0),
      ),
      droppedIterations: Math.max(0, (sample('dropped_iterations')['count'] ?? 0) - (sample(READINESS_LIVE_METRICS.dropped)['count'] ?? 0)),
    };
  } catch {
    return null;
  }
}
