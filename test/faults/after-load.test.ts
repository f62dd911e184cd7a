/**
 * Faults in the steps after k6. A mandatory step (the HTML report) that fails is never exit 0:
 * the run exits with its error's code and a line naming the report, and keeps what the steps
 * before it wrote. An optional sink (the history record) that fails is a warning only. Real CLI,
 * real k6, the reference API on port 0.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { onlyRunDir, tempOut } from '../run/helpers.ts';
import { waitFor } from '../segments/helpers.ts';
import { cliUnder, runArgs, shortConfig, STACK } from './helpers.ts';

let target: RunningTarget;
let config: string;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  config = await shortConfig(10, 3);
});
afterAll(async () => {
  await target?.close();
});

describe('the report cannot be written', () => {
  it('exit 4 with a line naming the report; analysis.json and verdict.json kept', async () => {
    const out = await tempOut('loadgate-faults-');
    const done = cliUnder([], runArgs(config, target.url, out));
    // As soon as the run directory exists (before k6 starts): a directory where report.html goes.
    const dir = await waitFor('the run directory', () => onlyRunDir(out), 30_000, 20);
    await mkdir(join(dir, 'report.html'));
    const r = await done;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`loadgate: report ${join(dir, 'report.html')} failed: EISDIR`);
    expect(r.stderr).not.toMatch(STACK);
    expect(existsSync(join(dir, 'analysis.json'))).toBe(true);
    expect(existsSync(join(dir, 'verdict.json'))).toBe(true);
    // The terminal verdict does not point at a report that is not there.
    expect(r.stderr).not.toMatch(/^\s+report: /m);
  });
});

describe('an optional sink fails', () => {
  it('the history cannot be written: a warning, and the verdict keeps its exit code (0)', async () => {
    const out = await tempOut('loadgate-faults-');
    // A directory where the history file should be: SQLite cannot open it.
    await mkdir(join(out, 'history.sqlite'));
    const r = await cliUnder([], runArgs(config, target.url, out));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: history: the run was not recorded/);
    // stdout is one line: the run directory.
    const dir = r.stdout.trim();
    expect(existsSync(join(dir, 'report.html')), dir).toBe(true);
  });
});
