/**
 * Fault 16, a full disk, here mid-run (a full disk at the start: before-load.test.ts): `--out`
 * on a small tmpfs of the test's own, filled up by another writer while k6 sends load. k6's
 * JSON output logs the failed write and would go on sending load for nothing; loadgate stops
 * it at the first failed write (k6's or its own), exits 4 with one line naming the file and
 * ENOSPC, and keeps the run directory: once space is freed, `loadgate analyze` makes the
 * analysis of every request k6 wrote. Real CLI, real k6, the reference API on port 0; the
 * tmpfs is mounted by the test (root, or CAP_SYS_ADMIN) and unmounted in afterAll.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, onlyRunDir, tempOut } from '../run/helpers.ts';
import { waitFor } from '../segments/helpers.ts';
import { cliUnder, entries, fill, k6ChildrenOf, readAnalysis, runArgs, running, shortConfig, STACK } from './helpers.ts';

let target: RunningTarget;
let config: string;
let mnt = '';
let mounted = false;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  // Long enough never to end by itself: the full disk stops it.
  config = await shortConfig(50, 60);
  mnt = await tempOut('loadgate-faults-tmpfs-');
  mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'loadgate-full', mnt]).status === 0;
});
afterAll(async () => {
  await target?.close();
  if (mounted) spawnSync('umount', [mnt]);
  if (mnt) await rm(mnt, { recursive: true, force: true });
});

/** The raw results files of a run: raw.ndjson.gz, or one per segment (raw.i-of-N.ndjson.gz). */
const rawFiles = async (dir: string) => (await entries(dir)).filter((f) => /^raw\..*ndjson\.gz$/.test(f));

/**
 * Every request k6 wrote, in each raw file of the run (one http_req_duration sample a request,
 * a torn gzip tail tolerated), against the analysis's count, the readiness checks included.
 */
async function everyRequestAnalysed(dir: string): Promise<{ raw: number; analysed: number; detail: string }> {
  let raw = 0;
  for (const file of await rawFiles(dir)) {
    const buf = await readFile(join(dir, file));
    let text: string;
    try {
      text = gunzipSync(buf).toString('utf8');
    } catch {
      text = gunzipSync(buf, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{"metric":"http_req_duration","type":"Point"')) continue;
      try {
        const tags = (JSON.parse(line) as { data: { tags?: Record<string, string> } }).data.tags ?? {};
        if (tags['group'] !== '::setup') raw++;
      } catch {
        // A torn last line: the analysis skips it too.
      }
    }
  }
  const a = await readAnalysis(dir);
  const readiness = (a as { readiness?: { requests?: number } | null }).readiness?.requests ?? 0;
  const analysed = a.endpoints.reduce((n, e) => n + e.total.requests, 0) + readiness;
  return { raw, analysed, detail: JSON.stringify({ raw, analysed, readiness, input: (a as { input?: unknown }).input }) };
}

describe.each([
  ['one k6', [] as string[], 1],
  ['two segments', ['--segments', '2'], 2],
])('a disk that fills up mid-run (a 4 MiB tmpfs), %s', (_what, extra, processes) => {
  it('stops k6 at once, exits 4 naming the file and ENOSPC, and keeps every request collected', async (ctx) => {
    if (!mounted) ctx.skip('mounting a tmpfs needs root or CAP_SYS_ADMIN');
    const out = join(mnt, `results-${processes}`);
    await mkdir(out);
    let pid = 0;
    let sent = 0;
    const done = cliUnder([], runArgs(config, target.url, out, extra), {
      onSpawn: (p) => (pid = p),
      onStderr: (text) => (sent = Number(/.*requests=(\d+)/s.exec(text)?.[1] ?? 0)),
      timeoutMs: 90_000,
    });
    const k6s = await waitFor('k6 to start', async () => (k6ChildrenOf(pid).length === processes ? k6ChildrenOf(pid) : null), 30_000, 100);
    await waitFor('k6 to send 100 requests', async () => (sent >= 100 ? true : null), 30_000, 100);

    // Another writer takes what space is left.
    const filler = join(mnt, 'filler');
    expect(await fill(filler)).toBeGreaterThan(0);
    const filled = Date.now();
    const r = await done;

    expect(r.code, r.stderr).toBe(4);
    const dir = await onlyRunDir(out);
    const line = r.stderr.trim().split('\n').at(-1) ?? '';
    expect(line, r.stderr).toMatch(
      new RegExp(
        `^loadgate: the disk is full: writing ${dir}/(raw\\.[^ ]*ndjson\\.gz|k6\\.[^ ]*log|generator\\.json[^ ]*) failed: ENOSPC \\(no space left on device\\); k6 was stopped\\. ` +
          `What it collected is kept in ${dir}: free some space, then run: loadgate analyze ${dir}$`,
      ),
    );
    expect(r.stderr).not.toMatch(STACK);
    // Stopped at the first failed write, not at the plan's end (60 s), and no k6 left sending load.
    expect(Date.now() - filled).toBeLessThan(20_000);
    for (const k6 of k6s) expect(running(k6)).toBe(false);
    expect(k6ChildrenOf(pid)).toEqual([]);

    // Nothing collected was removed; nothing could be added.
    expect(await entries(dir)).toEqual(expect.arrayContaining(['plan.json', 'run.json']));
    expect(await rawFiles(dir)).toHaveLength(processes);
    expect(await entries(dir)).not.toContain('analysis.json');

    // Space freed: the analysis of what k6 wrote, every request of it.
    await rm(filler);
    const a = await cli(['analyze', dir]);
    expect(a.code, a.stderr).toBe(0);
    const { raw, analysed, detail } = await everyRequestAnalysed(dir);
    expect(raw).toBeGreaterThan(50);
    expect(analysed, detail).toBe(raw);
  });
});
