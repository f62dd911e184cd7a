/**
 * Bad input: a corrupt index is a clear error (exit 5, naming the file and the remedy) and
 * `history import` rebuilds it; run directories without a readable analysis are skipped with a
 * warning naming them; a history that cannot be written never costs the run.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDirs } from '../analysis/helpers.ts';
import { cli } from '../run/helpers.ts';
import { ExitCode, InfraError } from '../../lib/contract/errors.ts';
import { historyStep } from '../../lib/pipeline/history.ts';
import { exitCode } from '../../lib/contract/exit.ts';
import { HistoryStore } from '../../lib/history/store.ts';
import { writeNights, type NightRun } from './generate.ts';

const scratch = scratchDirs('loadgate-history-bad-');
let out: string;
let runs: NightRun[];

beforeAll(async () => {
  out = await scratch();
  runs = await writeNights(out, 1, 4, { durationS: 30 });
}, 60_000);

describe('a corrupt or missing history', () => {
  it('no history yet: `history` and `trends` say where it would be and how to build it (exit 5)', async () => {
    const empty = await scratch();
    for (const args of [['history'], ['trends']]) {
      const r = await cli([...args, '--out', empty]);
      expect(r.code, r.stderr).toBe(ExitCode.data);
      expect(r.stderr).toContain(`no history at ${join(empty, 'history.sqlite')}`);
      expect(r.stderr).toContain('loadgate history import');
    }
  });

  it('a corrupt index is a clear error, and `history import` moves it aside and rebuilds it from the run directories', async () => {
    const dir = await scratch();
    const file = join(dir, 'history.sqlite');
    await writeFile(file, `garbage ${'\u0000\u00ff'.repeat(4000)}`);
    for (const args of [['history'], ['trends'], ['history', '--json']]) {
      const r = await cli([...args, '--out', dir]);
      expect(r.code, r.stderr).toBe(ExitCode.data);
      expect(r.stderr).toContain(`the history ${file} is unreadable`);
      expect(r.stderr).toContain('loadgate history import');
    }
    const r = await cli(['history', 'import', out, '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/was unreadable; moved to .*history\.sqlite\.unreadable-\d{8}T\d{6}Z and rebuilt/);
    expect((await readdir(dir)).some((f) => f.startsWith('history.sqlite.unreadable-'))).toBe(true);
    const list = await cli(['history', '--out', dir, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: unknown[] }).runs).toHaveLength(runs.length);
  });

  it('--rebuild replaces the history with exactly what the run directories hold', async () => {
    const dir = await scratch();
    await cli(['history', 'import', runs[0]!.runDir, runs[1]!.runDir, '--out', dir]);
    const r = await cli(['history', 'import', '--rebuild', runs[2]!.runDir, '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const store = HistoryStore.open(join(dir, 'history.sqlite'));
    expect(store.list().map((x) => x.runId)).toEqual([runs[2]!.analysis.run.runId]);
    store.close();
  });
});

describe('run directories that cannot be recorded', () => {
  it('skips a run directory without analysis.json, or with a broken one, with a warning naming it; records the rest', async () => {
    const dir = await scratch();
    const results = join(dir, 'results');
    await writeNights(results, 1, 2, { durationS: 30 });
    const noAnalysis = join(results, '20260301T000000Z-journey-load-aaaaaa');
    await mkdir(noAnalysis);
    await writeFile(join(noAnalysis, 'run.json'), '{}');
    const broken = join(results, '20260302T000000Z-journey-load-bbbbbb');
    await mkdir(broken);
    await writeFile(join(broken, 'analysis.json'), '{"kind": "loadgate.analysis", "version": 1');
    await mkdir(join(results, 'not-a-run'));
    const r = await cli(['history', 'import', results, '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${noAnalysis}: no analysis.json, skipped`);
    expect(r.stderr).toContain(`warning: ${broken}: skipped:`);
    expect(r.stderr).not.toContain('not-a-run');
    expect(r.stderr).toContain('2 runs recorded, 2 skipped');
  });

  it('a history that cannot be written is a warning: the run is not lost and the verdict keeps its exit code', async () => {
    const dir = await scratch();
    const run = (await writeNights(dir, 1, 1, { durationS: 30 }))[0]!;
    // A directory where the history file should be: SQLite cannot open it.
    await mkdir(join(dir, 'history.sqlite'));
    const lines: string[] = [];
    const step = await historyStep(run.runDir, { againstHistory: false, detectSource: false, log: (l) => lines.push(l) });
    expect(step.entry).toBeNull();
    expect(lines.join('\n')).toMatch(
      /warning: history: the run was not recorded in .*history\.sqlite .*kept whole in .*loadgate history import/,
    );
    expect(existsSync(join(run.runDir, 'analysis.json'))).toBe(true);
    expect(exitCode({ verdict: { status: 'pass' }, againstHistory: step })).toBe(ExitCode.ok);
    // Asked to judge against it, the gate cannot: that is said, and the exit code says data.
    const gated = await historyStep(run.runDir, { againstHistory: true, detectSource: false, log: (l) => lines.push(l) });
    expect(gated.gateError).not.toBeNull();
    expect(exitCode({ verdict: { status: 'pass' }, againstHistory: gated })).toBe(ExitCode.data);
    expect(exitCode({ verdict: { status: 'fail' }, againstHistory: gated })).toBe(ExitCode.breach);
  });

  it('exit codes: a breach wins over a regression, a regression over inconclusive and pass', () => {
    const regressed = { judgement: { status: 'regressed' } as never, gateError: null };
    const ok = { judgement: { status: 'ok' } as never, gateError: null };
    const k6Failed = [{ step: 'k6' as const, error: new InfraError('k6 failed') }];
    expect(exitCode({ verdict: { status: 'fail' }, againstHistory: regressed })).toBe(ExitCode.breach);
    expect(exitCode({ verdict: { status: 'inconclusive' }, failOnInconclusive: true, againstHistory: regressed })).toBe(ExitCode.regressed);
    expect(exitCode({ verdict: { status: 'pass' }, againstHistory: regressed })).toBe(ExitCode.regressed);
    expect(exitCode({ verdict: { status: 'pass' }, againstHistory: ok })).toBe(ExitCode.ok);
    expect(exitCode({ failures: k6Failed, verdict: { status: 'pass' }, againstHistory: regressed })).toBe(ExitCode.infra);
  });
});
