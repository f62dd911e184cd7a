/** Shared helpers for integration tests that run the real CLI (and so real k6). */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { READINESS_REQUEST_NAME, READINESS_SCENARIO } from '../../lib/shared/readiness.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/loadgate.js …`; `onSpawn` gets the child (to send it signals). */
export function cli(
  args: string[],
  opts: { env?: Record<string, string>; onSpawn?: (pid: number) => void; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/loadgate.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOADGATE_PROGRESS: 'plain', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`loadgate ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 180_000} ms\n${stderr}`));
    }, opts.timeoutMs ?? 180_000);
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export async function tempOut(prefix = 'loadgate-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** The single run directory created under `out`. */
export async function onlyRunDir(out: string): Promise<string> {
  const dirs = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory());
  if (dirs.length !== 1) throw new Error(`expected one run directory in ${out}, found ${dirs.length}`);
  return join(out, (dirs[0] as { name: string }).name);
}

export interface RawPoint {
  metric: string;
  type: string;
  data: { time: string; value: number; tags?: Record<string, string> };
}

/**
 * A sample of the readiness checks beside the load (lib/shared/readiness.ts; on by default): no
 * load count, endpoint or stage includes them, so a count of k6's raw samples leaves them out.
 */
export function isReadiness(p: RawPoint): boolean {
  return p.data.tags?.['scenario'] === READINESS_SCENARIO || p.data.tags?.['name'] === READINESS_REQUEST_NAME;
}

/** Every Point in a run's raw results (test-sized runs only). */
export async function rawPoints(runDir: string): Promise<RawPoint[]> {
  const text = gunzipSync(await readFile(join(runDir, 'raw.ndjson.gz'))).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.includes('"Point"'))
    .map((l) => JSON.parse(l) as RawPoint);
}
