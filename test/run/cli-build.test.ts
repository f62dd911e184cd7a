/**
 * bin/loadgate.js runs the CLI built into plain JavaScript (build/cli.mjs), and rebuilds it when
 * a source is newer than the build: an edited tree never runs stale code.
 */
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers.ts';

const POINTER = join(ROOT, 'dist', 'cli', 'current.json');
const current = () => JSON.parse(readFileSync(POINTER, 'utf8')) as { dir: string; startedAtMs: number; inputs: string[] };

describe('the built CLI', () => {
  it('runs from dist/cli, with every command registered', async () => {
    const r = await cli(['--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/built CLI is unavailable/);
    for (const command of ['run', 'analyze', 'verdict', 'report', 'demo', 'target', 'doctor', 'grafana']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    const pointer = current();
    expect(pointer.inputs).toContain('lib/cli/main.ts');
    expect(pointer.inputs).toContain('lib/report/render.ts');
  });

  it('rebuilds itself when a source is newer than the build', async () => {
    await cli(['--help']);
    const before = current();
    const source = join(ROOT, 'lib', 'cli', 'outcome.ts');
    const now = new Date();
    utimesSync(source, now, now);
    const r = await cli(['--help']);
    expect(r.code, r.stderr).toBe(0);
    const after = current();
    expect(after.dir).not.toBe(before.dir);
    expect(after.startedAtMs).toBeGreaterThanOrEqual(now.getTime());
    // …and the next start uses that build as it is.
    await cli(['--help']);
    expect(current().dir).toBe(after.dir);
  });
});
