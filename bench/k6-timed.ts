/** Running k6 under GNU time for the benches. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `/usr/bin/time -f FORMAT k6 args…`; its stderr (k6's, then time's line). A run that crossed a
 * k6 threshold (exit 99: the probes past 100 ms on a busy machine) is kept: it still measured its cost.
 */
export async function timedK6(format: string, k6: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await run('/usr/bin/time', ['-f', format, k6, ...args], { env, maxBuffer: 64 * 1024 * 1024 })).stderr;
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    if (e.code === 99 && typeof e.stderr === 'string') return e.stderr;
    throw err;
  }
}
