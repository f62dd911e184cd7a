/**
 * Fault 16, a full disk, when the verdict is written: `loadgate verdict <dir>` on a run directory
 * whose file system has no space left. The run's earlier verdict.json, junit.xml and summary.md
 * stay whole (RunDir writes are atomic: lib/contract/run-dir.ts), no temp file is left behind,
 * and loadgate exits 4 with one line naming the file and ENOSPC. Once space is freed the same
 * command writes the verdict again. Real CLI; the tmpfs is mounted by the test (root, or
 * CAP_SYS_ADMIN) and unmounted in afterAll.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_FILES, RunDir } from '../../lib/contract/run-dir.ts';
import { phaseRun } from '../fixtures/report/make-analysis.ts';
import { cli, tempOut } from '../run/helpers.ts';
import { entries, fill, STACK } from './helpers.ts';

const JUDGED = ['verdict.json', 'junit.xml', 'summary.md'];

let mnt = '';
let mounted = false;

beforeAll(async () => {
  mnt = await tempOut('loadgate-faults-verdict-tmpfs-');
  mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'loadgate-full', mnt]).status === 0;
});
afterAll(async () => {
  if (mounted) spawnSync('umount', [mnt]);
  if (mnt) await rm(mnt, { recursive: true, force: true });
});

const contents = async (dir: string) =>
  Object.fromEntries(await Promise.all(JUDGED.map(async (f) => [f, await readFile(join(dir, f), 'utf8')])));

describe('loadgate verdict on a full disk (a 4 MiB tmpfs)', () => {
  it('keeps the earlier verdict.json, junit.xml and summary.md whole, exits 4 naming the file and ENOSPC', async (ctx) => {
    if (!mounted) ctx.skip('mounting a tmpfs needs root or CAP_SYS_ADMIN');
    const dir = join(mnt, 'run');
    await mkdir(dir);
    await new RunDir(dir).write(RUN_FILES.analysis, phaseRun('phase3', 7));
    const first = await cli(['verdict', dir]);
    expect([0, 3, 99], first.stderr).toContain(first.code);
    const before = await contents(dir);
    const files = await entries(dir);

    // Another writer takes what space is left.
    const filler = join(mnt, 'filler');
    expect(await fill(filler)).toBeGreaterThan(0);
    const r = await cli(['verdict', dir]);
    expect(r.code, r.stderr).toBe(4);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^loadgate: system error: ENOSPC: no space left on device, write /);
    expect(lines[0]).toContain(`'${join(dir, 'verdict.json')}'`);
    expect(lines[0]).not.toContain('.tmp-');
    expect(r.stderr).not.toMatch(STACK);
    // The earlier files as they were, and nothing added (no temp file left).
    expect(await contents(dir)).toEqual(before);
    expect(await entries(dir)).toEqual(files);

    // Space freed: the same command writes the same verdict again (only its time differs).
    await rm(filler);
    const again = await cli(['verdict', dir]);
    expect(again.code, again.stderr).toBe(first.code);
    const stamp = (text: string | undefined) => String(text).replace(/"generatedAt": "[^"]*"/, '');
    expect(stamp((await contents(dir))['verdict.json'])).toBe(stamp(before['verdict.json']));
    expect(await entries(dir)).toEqual(files);
  });
});
