/**
 * `loadgate demo` end to end, kept short: two phases of the reference API (each on its own
 * port), the smoke profile ten times faster, real k6 twice. Asserts on what the demo leaves
 * behind: a run report per phase and the comparison whose path it prints last.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempOut } from './helpers.ts';

const outs: string[] = [];
afterAll(async () => {
  await Promise.all(outs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('loadgate demo', () => {
  it('runs each phase, writes its report, and prints the comparison path last', async () => {
    const out = await tempOut('loadgate-demo-');
    outs.push(out);
    const r = await cli(['demo', '--phases', 'phase3,phase2', '--profile', 'smoke', '--duration-scale', '0.1', '--out', out], {
      timeoutMs: 170_000,
    });
    expect(r.code, r.stderr).toBe(0);

    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last.startsWith(join(out, 'comparison-')) && last.endsWith('.html'), `last stdout line: ${last}`).toBe(true);
    expect(existsSync(last), last).toBe(true);
    const comparison = await readFile(last, 'utf8');
    expect(comparison).toContain('loadgate comparison: phase3 → phase2');
    // Same profile, same scale: nothing to refuse.
    expect(comparison).not.toContain('id="not-comparable"');

    // One run directory per phase, each with its analysis and report (the title above has their order).
    const runDirs = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(out, d.name));
    expect(runDirs).toHaveLength(2);
    const phases: string[] = [];
    for (const dir of runDirs) {
      expect(existsSync(join(dir, 'report.html')), `${dir}/report.html`).toBe(true);
      const analysis = JSON.parse(await readFile(join(dir, 'analysis.json'), 'utf8')) as {
        run: { phase: string | null; profile: string | null; status: string };
        totals: { requests: number };
      };
      expect(analysis.run).toMatchObject({ profile: 'smoke', status: 'completed' });
      expect(analysis.totals.requests, dir).toBeGreaterThan(0);
      phases.push(analysis.run.phase ?? '');
      expect(r.stderr).toContain(join(dir, 'report.html'));
    }
    expect(phases.sort()).toEqual(['phase2', 'phase3']);
  }, 180_000);

  it('refuses an unknown phase before running anything, listing the valid ones (exit 2)', async () => {
    const out = await tempOut('loadgate-demo-');
    outs.push(out);
    const r = await cli(['demo', '--phases', 'phase3,nope', '--profile', 'smoke', '--duration-scale', '0.1', '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/unknown phase "nope" in --phases; valid phases: baseline, phase1, phase2, phase3/);
    expect(r.stdout).toBe('');
    expect(await readdir(out)).toEqual([]);
  });
});
