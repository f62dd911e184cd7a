/**
 * Capacity of the reference API in `phase3`: wrk (closed model, as fast as the server answers)
 * against /api/monitoring/health and against /api/me with a valid token. The server must reach
 * 2,000 RPS (20× the highest phase target) so that it never limits a phase3 run.
 *
 *   npx tsx bench/target-capacity.ts [--duration 10] [--connections 32] [--profile phase3]
 *
 * Both endpoints run in one process, one after the other, so their figures compare. Bounded:
 * each wrk run lasts --duration seconds against 127.0.0.1 only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { startTarget } from '../reference-api/server.ts';
import { isProfileName } from '../reference-api/profiles.ts';
import { REFERENCE_PASSWORD } from '../lib/shared/reference-api.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    profile: { type: 'string', default: 'phase3' },
  },
});
if (!isProfileName(values.profile)) throw new Error(`unknown profile ${values.profile}`);
const duration = Math.min(60, Number(values.duration));

/** wrk's "99%" line and its Requests/sec, in ms and RPS. */
function parseWrk(out: string): { rps: number; p50Ms: number; p99Ms: number; errors: string | null } {
  const unit = (v: string, u: string) => Number(v) * (u === 's' ? 1000 : u === 'us' ? 0.001 : 1);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    return m ? unit(m[1] as string, m[2] as string) : NaN;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const errors = /Non-2xx or 3xx responses: \d+|Socket errors: .*/.exec(out)?.[0] ?? null;
  return { rps, p50Ms: pct('50'), p99Ms: pct('99'), errors };
}

const target = await startTarget({ profile: values.profile, port: 0 });
try {
  const res = await fetch(`${target.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'user1@example.test', password: REFERENCE_PASSWORD }),
  });
  const { accessToken } = (await res.json()) as { accessToken: string };
  const cases = [
    { name: 'GET /api/monitoring/health', args: [`${target.url}/api/monitoring/health`] },
    { name: 'GET /api/me (valid token)', args: ['-H', `Authorization: Bearer ${accessToken}`, `${target.url}/api/me`] },
  ];
  process.stdout.write(
    `reference API, profile ${values.profile}; wrk -t${values.threads} -c${values.connections} -d${duration}s --latency\n`,
  );
  const results: { name: string; rps: number }[] = [];
  for (const c of cases) {
    const { stdout } = await run('wrk', [`-t${values.threads}`, `-c${values.connections}`, `-d${duration}s`, '--latency', ...c.args], {
      timeout: (duration + 15) * 1000,
    });
    const r = parseWrk(stdout);
    results.push({ name: c.name, rps: r.rps });
    process.stdout.write(
      `${c.name.padEnd(30)} ${r.rps.toFixed(0).padStart(6)} RPS   p50 ${r.p50Ms.toFixed(2)} ms   p99 ${r.p99Ms.toFixed(2)} ms${r.errors ? `   (${r.errors})` : ''}\n`,
    );
  }
  const GOAL_RPS = 2000;
  const short = results.filter((r) => !(r.rps >= GOAL_RPS));
  process.stdout.write(
    short.length === 0
      ? `goal ≥ ${GOAL_RPS} RPS (20× the highest phase target): met on every route\n`
      : `goal ≥ ${GOAL_RPS} RPS: NOT met on ${short.map((r) => r.name).join(', ')}\n`,
  );
  if (short.length > 0) process.exitCode = 1;
} finally {
  await target.close();
}
