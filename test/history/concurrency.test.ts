/**
 * Two processes recording in one history at the same moment: every run lands, once, and the file
 * stays whole (PRAGMA integrity_check). Real processes, a fresh file (so both also race to create
 * and migrate it), and a start barrier so their transactions overlap.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDirs } from '../analysis/helpers.ts';
import { cli, ROOT } from '../run/helpers.ts';
import { HistoryStore } from '../../lib/history/store.ts';
import { writeNights, type NightRun } from './generate.ts';

const scratch = scratchDirs('loadgate-history-concurrency-');
let runs: NightRun[];

beforeAll(async () => {
  runs = await writeNights(await scratch(), 1, 40, { durationS: 30 });
}, 120_000);

function child(file: string, startMs: number, dirs: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/history/record-child.ts'), file, String(startMs), ...dirs], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('concurrent writers', () => {
  it('two processes recording 20 runs each, at the same moment, into a new history: all 40 land, the file is whole', async () => {
    const file = join(await scratch(), 'history.sqlite');
    // Both processes load first; the barrier lets them start writing within the same millisecond.
    const start = Date.now() + 2500;
    const a = runs.slice(0, 20).map((r) => r.runDir);
    const b = runs.slice(20).map((r) => r.runDir);
    const [ra, rb] = await Promise.all([child(file, start, a), child(file, start, b)]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    // The two writers really wrote at the same time: their windows overlap.
    const wa = JSON.parse(ra.stdout) as { first: number; last: number };
    const wb = JSON.parse(rb.stdout) as { first: number; last: number };
    expect(Math.max(wa.first, wb.first)).toBeLessThan(Math.min(wa.last, wb.last));
    const store = HistoryStore.open(file);
    try {
      expect(store.integrity()).toBe('ok');
      expect(store.count()).toBe(40);
      const entries = store.entries();
      expect(new Set(entries.map((e) => e.runId))).toEqual(new Set(runs.map((r) => r.analysis.run.runId)));
      expect(entries.every((e) => e.endpoints.length === 6)).toBe(true);
    } finally {
      store.close();
    }
  });

  it('two `loadgate history import`s finishing at the same moment both land', async () => {
    const out = await scratch();
    const [ra, rb] = await Promise.all([
      cli(['history', 'import', runs[0]!.runDir, '--out', out]),
      cli(['history', 'import', runs[1]!.runDir, '--out', out]),
    ]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const store = HistoryStore.open(join(out, 'history.sqlite'));
    try {
      expect(store.integrity()).toBe('ok');
      expect(
        store
          .list()
          .map((r) => r.runId)
          .sort(),
      ).toEqual([runs[0]!.analysis.run.runId, runs[1]!.analysis.run.runId].sort());
    } finally {
      store.close();
    }
  });
});
