import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../../contract/errors.ts';
import { outcomeOf } from '../outcome.ts';
import { exitCode } from '../../contract/exit.ts';
import { healthyRun } from '../../../test/support/verdict-fixtures.ts';
import { writeRunReport } from '../../report/files.ts';
import { register } from './verdict.ts';

async function cli(args: string[]): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  const program = new Command('loadgate').exitOverride();
  register(program);
  let code: number | undefined;
  program.hook('postAction', (_p, action) => {
    const outcome = outcomeOf(action);
    code = outcome === undefined ? undefined : exitCode(outcome);
  });
  let stdout = '';
  let stderr = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'loadgate', 'verdict', ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return { code, stdout, stderr };
}

describe('loadgate verdict', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loadgate-verdict-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes, prints the summary, exit 0', async () => {
    await writeFile(join(dir, 'analysis.json'), JSON.stringify(healthyRun(120)));
    const r = await cli([dir, '--set', 'phase3']);
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toContain('## loadgate ✅ PASS');
  });

  it('a breach exits 99', async () => {
    await writeFile(join(dir, 'analysis.json'), JSON.stringify(healthyRun(120, { me: { p95: 700 } })));
    expect((await cli([dir, '--set', 'production'])).code).toBe(ExitCode.breach);
  });

  it('inconclusive exits 0, or 3 with --fail-on-inconclusive', async () => {
    await writeFile(join(dir, 'analysis.json'), JSON.stringify(healthyRun(60)));
    expect((await cli([dir, '--set', 'phase3'])).code).toBe(ExitCode.ok);
    expect((await cli([dir, '--set', 'phase3', '--fail-on-inconclusive'])).code).toBe(ExitCode.inconclusive);
  });

  it('an unknown set is a usage error', async () => {
    await writeFile(join(dir, 'analysis.json'), JSON.stringify(healthyRun(60)));
    await expect(cli([dir, '--set', 'fast'])).rejects.toMatchObject({ exitCode: ExitCode.usage });
  });

  it('judges the production gate too (--production-set), and prints the terminal verdict on stderr when stdout is not a TTY', async () => {
    await writeFile(join(dir, 'analysis.json'), JSON.stringify(healthyRun(120, { me: { p95: 300 } })));
    const r = await cli([dir, '--set', 'phase1']);
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toContain('## loadgate ✅ PASS against `phase1` · ✅ PASS against `production`');
    expect(r.stderr).toContain('  verdict    ✓ PASS against phase1');
    expect(r.stderr).toContain('  production ✓ PASS against production');
    const strict = await cli([dir, '--set', 'phase1', '--production-set', 'phase3']);
    // The exit code follows the gating set only.
    expect(strict.code).toBe(ExitCode.ok);
    expect(strict.stderr).toContain('  production ✗ FAIL against phase3: 1 of 10 targets breached');
  });

  it('refreshes report.html when it rewrites verdict.json (and writes none where there was none)', async () => {
    await writeFile(join(dir, 'analysis.json'), JSON.stringify(healthyRun(120, { me: { p95: 700 } })));
    await cli([dir, '--set', 'phase1']);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    await writeRunReport(dir);
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('data-verdict="PASS"');
    await cli([dir, '--set', 'production']);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('data-verdict="FAIL"');
    expect(html).toContain('data-production-verdict="FAIL"');
  });

  it('user-defined sets come from --config', async () => {
    await writeFile(join(dir, 'analysis.json'), JSON.stringify(healthyRun(120)));
    const config = join(dir, 'loadgate.yaml');
    await writeFile(config, 'thresholdSets:\n  tight:\n    defaults: { p95Ms: 50 }\n');
    const r = await cli([dir, '--set', 'tight', '--config', config]);
    expect(r.code).toBe(ExitCode.breach);
    expect(r.stdout).toContain('## loadgate ❌ FAIL against `tight`');
  });
});
