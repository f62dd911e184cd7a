/**
 * k6's summary export holds setup()'s return value (`setup_data`: with a session pool, live
 * login tokens), so k6 writes it into a file that has no name on disk (lib/k6/runner.ts,
 * unnamedFile): nothing of it outlives loadgate, `kill -9` included (fault 10), and nothing is
 * left to sweep. A run that ends keeps summary.json in the run without `setup_data`. Real CLI,
 * real k6, the reference API on port 0, loadgate's temporary directory (TMPDIR) a fresh one.
 */
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { onlyRunDir, tempOut } from '../run/helpers.ts';
import { waitFor } from '../segments/helpers.ts';
import { cliUnder, entries, k6ChildrenOf, running, shortConfig } from './helpers.ts';

let target: RunningTarget;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
});
afterAll(async () => {
  await target?.close();
});

/** `loadgate run` of the journey flow (its setup() logs users in: setup_data holds their tokens). */
function journey(config: string, out: string, tmp: string, o: { onSpawn?: (pid: number) => void; onStderr?: (s: string) => void } = {}) {
  const args = ['run', '--config', config, '--scenario', 'journey', '--profile', 'constant', '--threshold-set', 'phase1'];
  return cliUnder([], [...args, '--target', target.url, '--out', out], { env: { TMPDIR: tmp }, timeoutMs: 90_000, ...o });
}

describe("k6's summary export", () => {
  it('is a file with no name while k6 runs; after kill -9 of loadgate nothing of it is left', async () => {
    const config = await shortConfig(20, 60);
    const out = await tempOut('loadgate-faults-');
    const tmp = await tempOut('loadgate-faults-tmpdir-');
    let pid = 0;
    let sent = 0;
    const done = journey(config, out, tmp, {
      onSpawn: (p) => (pid = p),
      onStderr: (text) => (sent = Number(/.*requests=(\d+)/s.exec(text)?.[1] ?? 0)),
    });
    const k6 = await waitFor('k6 to start', async () => k6ChildrenOf(pid)[0], 30_000, 100);
    await waitFor('k6 to send 20 requests', async () => (sent >= 20 ? true : null), 30_000, 100);
    // k6's fd 3, where --summary-export /dev/fd/3 goes: a file whose name is already gone.
    expect(await readlink(`/proc/${k6}/fd/3`)).toMatch(new RegExp(`^${tmp}/loadgate-k6-summary-\\w+/summary\\.json \\(deleted\\)$`));
    expect(await entries(tmp)).toEqual([]);

    process.kill(pid, 'SIGKILL');
    await done;
    // k6 got SIGINT (its parent-death signal) and ended; its summary went with the file it held open.
    await waitFor('k6 to stop', async () => (running(k6) ? null : true), 10_000, 20);
    expect(await entries(tmp)).toEqual([]);
    expect(await entries(await onlyRunDir(out))).not.toContain('summary.json');
  });

  it('a run that ends keeps it in the run without setup_data, and nothing in the temporary directory', async () => {
    const config = await shortConfig(20, 2);
    const out = await tempOut('loadgate-faults-');
    const tmp = await tempOut('loadgate-faults-tmpdir-');
    const r = await journey(config, out, tmp);
    // 99: a target breached on a busy machine; the run went through either way.
    expect([0, 99], r.stderr).toContain(r.code);
    const summary = JSON.parse(await readFile(join(await onlyRunDir(out), 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toHaveProperty('metrics.http_reqs');
    expect(summary).not.toHaveProperty('setup_data');
    expect(await entries(tmp)).toEqual([]);
  });
});
