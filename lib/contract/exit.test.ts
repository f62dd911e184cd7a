import { describe, expect, it } from 'vitest';
import { DataError, ExitCode, InfraError, UsageError } from './errors.ts';
import { exitCode, type Outcome } from './exit.ts';

const eisdir = () =>
  Object.assign(new Error("EISDIR: illegal operation on a directory, open '/r/report.html'"), { code: 'EISDIR', syscall: 'open' });
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
const pass = { status: 'pass' } as const;
const fail = { status: 'fail' } as const;
const inconclusive = { status: 'inconclusive' } as const;
const regressed = { judgement: { status: 'regressed' }, gateError: null };

describe('exitCode: one function from an outcome or an error to the exit code', () => {
  it.each<[string, Outcome, number]>([
    ['nothing to report', {}, ExitCode.ok],
    ['a pass', { verdict: pass }, ExitCode.ok],
    ['a breach', { verdict: fail }, ExitCode.breach],
    ['inconclusive', { verdict: inconclusive }, ExitCode.ok],
    ['inconclusive, --fail-on-inconclusive', { verdict: inconclusive, failOnInconclusive: true }, ExitCode.inconclusive],
    ['regressed', { verdict: pass, againstHistory: regressed }, ExitCode.regressed],
    ['a breach wins over a regression', { verdict: fail, againstHistory: regressed }, ExitCode.breach],
    [
      'a history the gate could not read',
      { verdict: inconclusive, againstHistory: { judgement: null, gateError: 'locked' } },
      ExitCode.data,
    ],
    ['the history not asked for', { verdict: pass, againstHistory: { judgement: null, gateError: null } }, ExitCode.ok],
    [
      'interrupted wins over everything',
      { interrupted: true, verdict: fail, failures: [{ step: 'k6', error: new InfraError('x') }] },
      ExitCode.interrupted,
    ],
    [
      'k6 failed, then the analysis',
      {
        failures: [
          { step: 'k6', error: new InfraError('k6') },
          { step: 'analysis', error: new DataError('x') },
        ],
      },
      ExitCode.infra,
    ],
    ['the analysis failed untyped: results unreadable', { failures: [{ step: 'analysis', error: new Error('x') }] }, ExitCode.data],
    ['the verdict failed untyped: results unreadable', { failures: [{ step: 'verdict', error: new TypeError('x') }] }, ExitCode.data],
    [
      'the analysis could not be written, the disk full: the machine, not the results',
      { failures: [{ step: 'analysis', error: enospc() }] },
      ExitCode.infra,
    ],
    ['the verdict could not be written, the disk full', { failures: [{ step: 'verdict', error: enospc() }] }, ExitCode.infra],
    [
      'the report could not be written, on a breach too',
      { verdict: fail, failures: [{ step: 'report', error: eisdir() }] },
      ExitCode.infra,
    ],
    [
      'the report could not be rendered (a bug)',
      { verdict: pass, failures: [{ step: 'report', error: new TypeError('x') }] },
      ExitCode.internal,
    ],
    ['the report read a corrupt verdict.json', { failures: [{ step: 'report', error: new DataError('x') }] }, ExitCode.data],
  ])('%s', (_what, outcome, code) => {
    expect(exitCode(outcome)).toBe(code);
  });

  it.each<[unknown, number]>([
    [new UsageError('x'), ExitCode.usage],
    [new DataError('x'), ExitCode.data],
    [eisdir(), ExitCode.infra],
    [new RangeError('x'), ExitCode.internal],
    ['a string', ExitCode.internal],
  ])('the error %s', (error, code) => {
    expect(exitCode({ error })).toBe(code);
  });
});
