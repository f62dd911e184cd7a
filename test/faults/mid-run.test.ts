/**
 * Faults mid-run. loadgate stopped: SIGINT and SIGTERM stop k6, keep what was collected, analyse
 * every sample of it and exit 130; `kill -9` leaves no k6 behind (k6 runs under setpriv
 * --pdeathsig) and `loadgate analyze` recovers the run. k6 killed: exit 4, what it wrote
 * analysed. The target killed: the run goes on, the failures counted by kind. Real CLI, real
 * k6, the reference API on port 0. SIGINT of a segmented run, and one segment's k6 killed:
 * test/segments/run.test.ts.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, onlyRunDir, tempOut, type CliResult } from '../run/helpers.ts';
import { readRecord, waitFor } from '../segments/helpers.ts';
import { cliUnder, entries, everySampleAnalysed, k6ChildrenOf, readAnalysis, runArgs, running, shortConfig, STACK } from './helpers.ts';

let target: RunningTarget;
let config: string;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  // Long enough never to end by itself while the test runs: every run here is stopped.
  config = await shortConfig(20, 60);
});
afterAll(async () => {
  await target?.close();
});

/**
 * Starts a run; resolves once k6 has sent at least `requests` requests (the plain progress line,
 * every 5 s, says so from k6's own count), and `afterMs` more, with loadgate's and k6's pids.
 */
async function startRun(
  out: string,
  o: { requests?: number; afterMs?: number; config?: string; url?: string } = {},
): Promise<{ pid: number; k6: number; done: Promise<CliResult> }> {
  let pid = 0;
  let sent = 0;
  const done = cliUnder([], runArgs(o.config ?? config, o.url ?? target.url, out), {
    onSpawn: (p) => (pid = p),
    onStderr: (text) => (sent = Number(/.*requests=(\d+)/s.exec(text)?.[1] ?? 0)),
  });
  const k6 = await waitFor('k6 to start', async () => k6ChildrenOf(pid)[0], 30_000, 100);
  const requests = o.requests ?? 30;
  await waitFor(`k6 to send ${requests} requests`, async () => (sent >= requests ? true : null), 30_000, 100);
  await new Promise((r) => setTimeout(r, o.afterMs ?? 0));
  return { pid, k6, done };
}

describe.each(['SIGINT', 'SIGTERM'] as const)('%s to loadgate mid-run', (signal) => {
  it('stops k6, exits 130, and analyses and reports every sample collected', async () => {
    const out = await tempOut('loadgate-faults-');
    const run = await startRun(out);
    const sent = Date.now();
    process.kill(run.pid, signal);
    const r = await run.done;
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(STACK);
    expect(running(run.k6)).toBe(false);
    const dir = await onlyRunDir(out);
    expect(await readRecord(dir)).toMatchObject({ status: 'interrupted', signal });
    expect(await entries(dir), r.stderr).toContain('analysis.json');
    const a = await readAnalysis(dir);
    expect(a.run.status).toBe('interrupted');
    const { raw, analysed, detail } = await everySampleAnalysed(dir);
    expect(raw).toBeGreaterThan(20);
    expect(analysed, detail).toBe(raw);
    for (const f of ['plan.json', 'run.json', 'raw.ndjson.gz', 'k6.log', 'analysis.json', 'verdict.json', 'report.html'])
      await access(join(dir, f));
  });
});

describe('kill -9 of loadgate', () => {
  it('no k6 left within 2 s; `loadgate analyze` recovers the run from what k6 wrote', async () => {
    const out = await tempOut('loadgate-faults-');
    const run = await startRun(out);
    process.kill(run.pid, 'SIGKILL');
    const killed = Date.now();
    await run.done;
    // The kernel sends k6 the parent-death signal (SIGINT): k6 stops, and no load outlives loadgate.
    await waitFor('k6 to stop', async () => (running(run.k6) ? null : true), 2000, 20);
    expect(Date.now() - killed).toBeLessThan(2000);

    const dir = await onlyRunDir(out);
    // What loadgate left: the run as it was while k6 ran (generator.json once its first 5 s write
    // happened), no analysis, and no summary.json: k6 writes that into a private directory, and
    // only loadgate, after k6's exit, keeps it in the run without setup()'s session tokens.
    const left = await entries(dir);
    expect(left.filter((f) => f !== 'generator.json')).toEqual(['k6.log', 'plan.json', 'raw.ndjson.gz', 'run.json']);
    expect((await readRecord(dir)).status).toBe('running');

    const r = await cli(['analyze', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'run.json still says "running": the run was cut off (or is still going); the analysis covers what was written',
    );
    const a = await readAnalysis(dir);
    expect(a.run.status).toBe('unknown');
    const { raw, analysed, detail } = await everySampleAnalysed(dir);
    expect(raw).toBeGreaterThan(20);
    expect(analysed, detail).toBe(raw);
  });
});

describe('k6 crashing mid-run (killed by SIGKILL)', () => {
  it('exit 4 naming how k6 ended; the run recorded as failed, and what k6 wrote analysed and reported', async () => {
    const out = await tempOut('loadgate-faults-');
    const run = await startRun(out);
    process.kill(run.k6, 'SIGKILL');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^loadgate: k6 failed \(killed by SIGKILL\)/m);
    expect(r.stderr).not.toMatch(STACK);
    const dir = await onlyRunDir(out);
    expect(await readRecord(dir)).toMatchObject({ status: 'failed', signal: 'SIGKILL', k6ExitCode: null });
    const a = await readAnalysis(dir);
    expect(a.run.status).toBe('failed');
    // k6 died without closing its gzip stream: every line it got out is analysed.
    const { raw, analysed, detail } = await everySampleAnalysed(dir);
    expect(raw).toBeGreaterThan(20);
    expect(analysed, detail).toBe(raw);
    await access(join(dir, 'report.html'));
  });
});

describe('the target killed mid-run', () => {
  it('the run goes on to its end; the refused connections are counted as such, and breach the error-rate target (99)', async () => {
    const doomed = await startTarget({ profile: 'phase3', port: 0 });
    const out = await tempOut('loadgate-faults-');
    try {
      const run = await startRun(out, { requests: 1, afterMs: 2000, config: await shortConfig(20, 10), url: doomed.url });
      await doomed.close();
      const r = await run.done;
      expect(r.code, r.stderr).toBe(99);
      expect(r.stderr).not.toMatch(STACK);
    } finally {
      await doomed.close();
    }
    const dir = await onlyRunDir(out);
    expect((await readRecord(dir)).status).toBe('completed');
    const a = await readAnalysis(dir);
    const refused = a.endpoints.reduce((n, e) => n + e.total.outcomes.connRefused, 0);
    const ok = a.endpoints.reduce((n, e) => n + e.total.outcomes.ok, 0);
    expect(ok).toBeGreaterThanOrEqual(15);
    expect(refused).toBeGreaterThan(20);
    const { raw, analysed } = await everySampleAnalysed(dir);
    expect(analysed).toBe(raw);
  });
});
