import { describe, expect, it } from 'vitest';
import { statusFrom } from './run.ts';

const k6 = (exitCode: number | null, extra: { tail?: string[]; signal?: string | null; forwarded?: string | null } = {}) => ({
  exitCode,
  signal: extra.signal ?? null,
  forwarded: extra.forwarded ?? null,
  tail: extra.tail ?? [],
});

describe('a run status comes from what k6 says, never from wall time', () => {
  it('a breach of full length is completed (k6 exit 99 without an abort line)', () => {
    expect(statusFrom(k6(99))).toBe('completed');
  });
  it('a threshold with abortOnFail that stopped the test is aborted (k6 says so)', () => {
    const line =
      'level=error msg="thresholds on metrics \'http_req_duration{name:a}\' were crossed; at least one has abortOnFail enabled, stopping test prematurely"';
    expect(statusFrom(k6(99, { tail: [line] }))).toBe('aborted');
  });
  it('exit 0 is completed; 105 and 108 are aborted; a forwarded signal is interrupted; anything else failed', () => {
    expect(statusFrom(k6(0))).toBe('completed');
    expect(statusFrom(k6(105))).toBe('aborted');
    expect(statusFrom(k6(108))).toBe('aborted');
    expect(statusFrom(k6(null, { forwarded: 'SIGINT', signal: 'SIGINT' }))).toBe('interrupted');
    expect(statusFrom(k6(null, { signal: 'SIGTERM' }))).toBe('interrupted');
    expect(statusFrom(k6(107))).toBe('failed');
    expect(statusFrom(k6(null, { signal: 'SIGKILL' }))).toBe('failed');
  });
});
