/** Helpers for the fault-injection suite: short real runs, the k6 processes a loadgate started, and what a run left. */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import type { Analysis } from '../../lib/contract/analysis.ts';
import { constantRateConfig } from '../segments/helpers.ts';
import { ROOT, tempOut, type CliResult } from '../run/helpers.ts';

/** A config (in a directory of its own, not in --out) with one flat stage: `rps` requests/s for `seconds`. */
export async function shortConfig(rps: number, seconds: number): Promise<string> {
  return constantRateConfig(await tempOut('loadgate-faults-config-'), rps, seconds);
}

/** The arguments of a short `loadgate run` of the monitoring flow on the config's constant profile. */
export function runArgs(config: string, target: string, out: string, extra: string[] = []): string[] {
  return [
    'run',
    '--config',
    config,
    '--scenario',
    'monitoring',
    '--profile',
    'constant',
    '--threshold-set',
    'phase1',
    '--target',
    target,
    '--out',
    out,
    ...extra,
  ];
}

/**
 * Pids of the `k6 run` processes whose parent is `pid` (k6 runs as loadgate's child: setpriv
 * execs it). Not `k6 version`, which loadgate runs first, briefly.
 */
export function k6ChildrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid || comm !== 'k6') continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')[1] === 'run') out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** A process that exists and is not a zombie (a reparented k6 may wait for a reaper that is slow, or absent). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The entries of a directory, sorted (none when it does not exist). */
export async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

export const readAnalysis = async (dir: string) => JSON.parse(await readFile(join(dir, 'analysis.json'), 'utf8')) as Analysis;

/** Requests in a run's raw results, one http_req_duration sample each (what k6 wrote before it stopped, a torn gzip tail tolerated). */
export async function rawRequests(dir: string): Promise<{ setup: number; readiness: number; load: number }> {
  const buf = await readFile(join(dir, 'raw.ndjson.gz'));
  let text: string;
  try {
    text = gunzipSync(buf).toString('utf8');
  } catch {
    text = gunzipSync(buf, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  }
  const counts = { setup: 0, readiness: 0, load: 0 };
  for (const line of text.split('\n')) {
    // One http_req_duration sample a request, as the analysis counts them: k6 writes a request's
    // samples one after another, and a stream k6 could not finish (killed, or its pipes gone)
    // can end after a request's http_reqs line and before its duration.
    if (!line.startsWith('{"metric":"http_req_duration","type":"Point"')) continue;
    let tags: Record<string, string> = {};
    try {
      tags = (JSON.parse(line) as { data: { tags?: Record<string, string> } }).data.tags ?? {};
    } catch {
      continue;
    }
    if (tags['group'] === '::setup') counts.setup++;
    else if (tags['name'] === 'loadgate.readiness') counts.readiness++;
    else counts.load++;
  }
  return counts;
}

/** Every request sample k6 wrote is in the analysis: the load's per endpoint, the readiness checks' on their own. */
export async function everySampleAnalysed(dir: string): Promise<{ raw: number; analysed: number; detail: string }> {
  const raw = await rawRequests(dir);
  const a = await readAnalysis(dir);
  const readiness = (a as { readiness?: { requests?: number } | null }).readiness?.requests ?? 0;
  const load = a.endpoints.reduce((n, e) => n + e.total.requests, 0);
  // What to look at when the counts differ: both sides, and what the analysis says it left out.
  const detail = JSON.stringify({ raw, analysed: { load, readiness }, input: (a as { input?: unknown }).input });
  return { raw: raw.load + raw.readiness, analysed: load + readiness, detail };
}

/** Can this process make mount and network namespaces (root, or CAP_SYS_ADMIN)? */
export function canUnshare(): boolean {
  return spawnSync('unshare', ['-m', '-n', 'true']).status === 0;
}

/** No stack trace in a CLI's output. */
export const STACK = /\n\s+at /;

/**
 * Runs `wrap… node bin/loadgate.js args…` (e.g. under `unshare -n`: a network namespace of its
 * own, with nothing but a loopback that is down, so no request can leave the machine). `entry`
 * replaces bin/loadgate.js (test/faults/isolated-target.ts runs it); `onStderr` sees stderr as it comes.
 */
export function cliUnder(
  wrap: string[],
  args: string[],
  opts: {
    env?: Record<string, string>;
    timeoutMs?: number;
    entry?: string[];
    onSpawn?: (pid: number) => void;
    onStderr?: (soFar: string) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const argv = [...wrap, process.execPath, ...(opts.entry ?? [join(ROOT, 'bin/loadgate.js')]), ...args];
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: ROOT,
      env: { ...process.env, LOADGATE_PROGRESS: 'plain', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${argv.slice(0, wrap.length + 2).join(' ')} ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms\n${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Writes into `file` until the file system holding it has no space left; the bytes written. */
export async function fill(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let written = 0;
  try {
    for (;;) {
      try {
        written += (await handle.write(chunk)).bytesWritten;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return written;
        throw err;
      }
    }
  } finally {
    await handle.close();
  }
}
