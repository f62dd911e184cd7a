/**
 * `loadgate demo` end to end at the CI scale (the load profile ten times faster): the reference
 * API's baseline and phase3, each on its own port, real k6 twice. Asserts on what the demo
 * leaves behind and prints: the baseline FAILs against production and phase3 PASSes it, the
 * readiness score rises from one to the other (in the verdict files and in the terminal), a
 * run report per phase, the phase table, the progress (phase k of n, reaching 100 %), the
 * password notice once, the scale said, and the comparison whose path it prints last.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VerdictSchema, type Verdict } from '../../lib/contract/verdict.ts';
import { cli, tempOut } from './helpers.ts';

const outs: string[] = [];
afterAll(async () => {
  await Promise.all(outs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The terminal without colour. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

describe('loadgate demo', () => {
  it('baseline FAIL and phase3 PASS against production, readiness rising, in the verdict files and the terminal', async () => {
    const out = await tempOut('loadgate-demo-');
    outs.push(out);
    const r = await cli(['demo', '--phases', 'baseline,phase3', '--duration-scale', '0.1', '--out', out], { timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    const err = plain(r.stderr);

    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last.startsWith(join(out, 'comparison-')) && last.endsWith('.html'), `last stdout line: ${last}`).toBe(true);
    const comparison = await readFile(last, 'utf8');
    expect(comparison).toContain('loadgate comparison: baseline → phase3');
    expect(comparison).toContain('id="phases-table"');
    expect(comparison).toContain('id="readiness-phases"');

    // One run directory per phase, each with its report; the verdicts answer both questions and score readiness.
    const runDirs = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(out, d.name));
    expect(runDirs).toHaveLength(2);
    const verdicts = new Map<string, Verdict>();
    for (const dir of runDirs) {
      expect(existsSync(join(dir, 'report.html')), `${dir}/report.html`).toBe(true);
      const v = VerdictSchema.parse(JSON.parse(await readFile(join(dir, 'verdict.json'), 'utf8')));
      verdicts.set(v.run.phase ?? '', v);
      expect(err).toContain(join(dir, 'report.html'));
      const analysis = JSON.parse(await readFile(join(dir, 'analysis.json'), 'utf8')) as { readiness?: { requests: number } };
      expect(analysis.readiness?.requests, dir).toBeGreaterThan(10);
    }
    const base = verdicts.get('baseline')!;
    const p3 = verdicts.get('phase3')!;
    expect(base.production?.status, 'baseline against production').toBe('fail');
    expect(
      p3.production?.status,
      `phase3 against production: ${JSON.stringify(p3.production?.rows.filter((x) => x.status !== 'pass'))}`,
    ).toBe('pass');
    const score = (v: Verdict) => v.readiness?.score ?? Number.NaN;
    expect(score(base)).toBeLessThan(0.5);
    expect(score(p3)).toBeGreaterThan(0.9);
    expect(score(p3)).toBeGreaterThan(score(base));
    // The baseline is not production-ready for real reasons: no security headers, CORS or gzip
    // (its profile switches them off). Whether its probes are slow under load depends on the
    // machine, so that check is not asserted here.
    const failing = base.readiness!.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failing).toEqual(expect.arrayContaining(['security.content-type-options', 'cors.allowed', 'compression']));
    // A system that served far less than it was offered is saturated, not "valid".
    expect(base.validity.saturated).toBe(true);

    // The terminal says the same: each phase's verdicts and readiness, then the phase table.
    const pct = (v: Verdict) => `${Math.round(score(v) * 100)} %`;
    expect(err).toMatch(/production ✗ FAIL against production: \d+ of \d+ targets breached/);
    expect(err).toMatch(/production ✓ PASS against production: (\d+) of \1 targets met/);
    expect(err).toContain(`readiness  ${pct(base)}`);
    expect(err).toContain(`readiness  ${pct(p3)}`);
    expect(err).toMatch(/load +◐ saturated/);
    const table = err.slice(err.indexOf('loadgate · phase by phase'));
    expect(table).toMatch(new RegExp(`baseline .*✗ FAIL \\d+ of \\d+ breached +${pct(base)}`));
    expect(table).toMatch(new RegExp(`phase3 .*✓ PASS (\\d+) of \\1 met +${pct(p3)}`));

    // What it runs, said once; progress with the phase, k of n, reaching 100 %; the password notice once.
    expect(err).toMatch(/each phase runs load profile "load" at duration scale 0\.1 \(as asked\): ramp-up 6 s, hold 18 s, ramp-down 3 s/);
    expect(err).toContain('phase 1 of 2: baseline');
    expect(err).toContain('phase 2 of 2: phase3');
    expect(err).toMatch(/\[phase 1\/2 baseline\] \[\d+% · \d+:\d\d elapsed, \d+:\d\d left \(demo ~\d+:\d\d\)\] stage=/);
    for (const label of ['phase 1/2 baseline', 'phase 2/2 phase3']) expect(err, label).toContain(`[${label}] [100% ·`);
    expect(err.match(/documented demo password is used/g)?.length).toBe(1);
  }, 300_000);

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
