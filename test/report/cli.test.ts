import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { ExitCode, LoadgateError } from '../../lib/contract/errors.ts';
import { parseLabels, parseSeed, register } from '../../lib/cli/commands/report.ts';
import { writeComparison, writeRunReport } from '../../lib/report/index.ts';
import { makeAnalysis, referenceEndpoints, STRESS_STAGES } from '../fixtures/report/make-analysis.ts';
import { judgedPhase } from '../fixtures/report/runs.ts';

/**
 * The report command alone on a commander program (lib/cli/main.ts loads every command; this
 * keeps the test about this one), with main.ts's mapping: typed errors carry their exit code.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command('loadgate').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof LoadgateError) return err.exitCode;
    throw err;
  }
}

let root: string;
const dirs: Record<string, string> = {};

function runDir(name: string, analysis: unknown, verdict?: unknown): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'analysis.json'), JSON.stringify(analysis));
  if (verdict) writeFileSync(join(dir, 'verdict.json'), JSON.stringify(verdict));
  return dir;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'loadgate-report-'));
  const base = judgedPhase('baseline', 1);
  const p3 = judgedPhase('phase3', 4);
  dirs.base = runDir('base', base.analysis, base.verdict);
  dirs.p3 = runDir('p3', p3.analysis, p3.verdict);
  dirs.bare = runDir('bare', base.analysis);
  dirs.other = runDir('other', makeAnalysis({ seed: 9, scenario: 'auth', endpoints: referenceEndpoints('phase1'), stages: STRESS_STAGES }));
  dirs.corrupt = join(root, 'corrupt');
  mkdirSync(dirs.corrupt);
  writeFileSync(join(dirs.corrupt, 'analysis.json'), '{"kind":"loadgate.analysis"');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('file helpers', () => {
  it('writeRunReport writes <run-dir>/report.html, with or without a verdict', async () => {
    const file = await writeRunReport(dirs.bare!, new Date('2025-06-01T03:00:00Z'));
    expect(file).toBe(join(dirs.bare!, 'report.html'));
    expect(readFileSync(file, 'utf8')).toContain('NOT JUDGED');
  });

  it('writeComparison labels runs by phase and refuses incomparable runs unless forced', async () => {
    const out = join(root, 'out', 'cmp.html');
    await writeComparison([dirs.base!, dirs.p3!], out);
    expect(readFileSync(out, 'utf8')).toContain('baseline → phase3');
    await expect(writeComparison([dirs.base!, dirs.other!], out)).rejects.toThrow(/not comparable: different scenarios/);
    await writeComparison([dirs.base!, dirs.other!], out, { force: true });
    expect(readFileSync(out, 'utf8')).toContain('id="not-comparable"');
  });
});

describe('loadgate report', () => {
  it('one directory → the run report', async () => {
    const out = join(root, 'single.html');
    expect(await main(['node', 'loadgate', 'report', dirs.base!, '--out', out])).toBe(ExitCode.ok);
    expect(readFileSync(out, 'utf8')).toContain('data-verdict="FAIL"');
  });

  it('several → a comparison with --labels', async () => {
    const out = join(root, 'labelled.html');
    expect(await main(['node', 'loadgate', 'report', dirs.base!, dirs.p3!, '--out', out, '--labels', 'last night,tonight'])).toBe(
      ExitCode.ok,
    );
    expect(readFileSync(out, 'utf8')).toContain('last night → tonight');
  });

  it('maps bad input to exit codes: usage for incomparable runs and bad flags, data for a corrupt analysis', async () => {
    const out = join(root, 'x.html');
    expect(await main(['node', 'loadgate', 'report', dirs.base!, dirs.other!, '--out', out])).toBe(ExitCode.usage);
    expect(await main(['node', 'loadgate', 'report', dirs.base!, dirs.other!, '--out', out, '--force'])).toBe(ExitCode.ok);
    expect(await main(['node', 'loadgate', 'report', dirs.base!, dirs.p3!, '--out', out, '--labels', 'only-one'])).toBe(ExitCode.usage);
    expect(await main(['node', 'loadgate', 'report', join(root, 'missing')])).toBe(ExitCode.usage);
    expect(await main(['node', 'loadgate', 'report', dirs.corrupt!])).toBe(ExitCode.data);
  });

  it('parses its flags', () => {
    expect(parseLabels('a, b,c')).toEqual(['a', 'b', 'c']);
    expect(() => parseLabels('a,,b')).toThrow(/non-empty/);
    expect(parseSeed('42')).toBe(42);
    expect(() => parseSeed('x')).toThrow(/integer/);
  });
});
