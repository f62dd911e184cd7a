import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, DataError, ExitCode, InfraError } from '../contract/errors.ts';
import { exitCode } from '../contract/exit.ts';
import { debugOf, exitCodeFor, main } from './main.ts';

/** What exitCodeFor wrote to stderr. */
function stderrOf(fn: () => number): { code: number; text: string } {
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = fn();
    return { code, text: write.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    write.mockRestore();
  }
}

const systemError = () =>
  Object.assign(new Error("ENOSPC: no space left on device, write '/out/run.json'"), { code: 'ENOSPC', syscall: 'write', errno: -28 });

describe('exitCodeFor: every error a documented exit code and one line', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [new ConfigError('target.allow.0 must be a host name'), ExitCode.usage, 'loadgate: target.allow.0 must be a host name\n'],
    [new InfraError('k6 missing'), ExitCode.infra, 'loadgate: k6 missing\n'],
    [new DataError('/r/plan.json is not a valid plan'), ExitCode.data, 'loadgate: /r/plan.json is not a valid plan\n'],
    [
      systemError(),
      ExitCode.infra,
      "loadgate: system error: ENOSPC: no space left on device, write '/out/run.json' (rerun with --debug for the stack trace)\n",
    ],
    [
      new TypeError("Cannot read properties of undefined (reading 'x')\n  more"),
      ExitCode.internal,
      "loadgate: internal error: TypeError: Cannot read properties of undefined (reading 'x') (a bug in loadgate: rerun with --debug for the stack trace, and report it)\n",
    ],
    [
      'a string',
      ExitCode.internal,
      'loadgate: internal error: a string (a bug in loadgate: rerun with --debug for the stack trace, and report it)\n',
    ],
  ])('%s → %i', (err, code, text) => {
    expect(exitCode({ error: err })).toBe(code);
    expect(stderrOf(() => exitCodeFor(err))).toEqual({ code, text });
  });

  it('the stack trace, and its causes, only with --debug', () => {
    const err = new InfraError('could not start k6', { cause: new Error('spawn EACCES') });
    expect(stderrOf(() => exitCodeFor(err)).text).not.toMatch(/\n\s+at /);
    const debug = stderrOf(() => exitCodeFor(err, { debug: true })).text;
    expect(debug).toMatch(/^loadgate: could not start k6\nInfraError: could not start k6\n\s+at /);
    expect(debug).toMatch(/caused by:\nError: spawn EACCES\n\s+at /);
  });

  it('--debug anywhere on the command line, or LOADGATE_DEBUG', () => {
    expect(debugOf(['node', 'loadgate', 'run', '--debug'], {})).toBe(true);
    expect(debugOf(['node', 'loadgate', 'run'], { LOADGATE_DEBUG: '1' })).toBe(true);
    expect(debugOf(['node', 'loadgate', 'run'], { LOADGATE_DEBUG: '0' })).toBe(false);
  });

  it('--debug is accepted by every command', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['node', 'loadgate', 'analyze', '/nonexistent/run', '--debug'])).toBe(ExitCode.data);
    expect(write.mock.calls.map((c) => String(c[0])).join('')).toMatch(/run directory \/nonexistent\/run does not exist\n[\s\S]*\n\s+at /);
  });
});

describe('installFaultHandlers: what no await catches', () => {
  const script = (body: string) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { installFaultHandlers } from ${JSON.stringify(join(import.meta.dirname, 'main.ts'))};\ninstallFaultHandlers(process.argv);\n${body}`,
      ],
      {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '../..'),
      },
    );

  it('a rejected promise nobody awaits: exit 70, one line', () => {
    const r = script("Promise.reject(new Error('lost'));\nsetTimeout(() => undefined, 5000);");
    expect(r.status).toBe(ExitCode.internal);
    expect(r.stderr).toBe('loadgate: internal error: lost (a bug in loadgate: rerun with --debug for the stack trace, and report it)\n');
  });

  it('a system error thrown in a callback: exit 4, one line', () => {
    const r = script(
      "setTimeout(() => { throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' }); }, 10);",
    );
    expect(r.status).toBe(ExitCode.infra);
    expect(r.stderr).toBe('loadgate: system error: EIO: i/o error, read (rerun with --debug for the stack trace)\n');
  });
});
