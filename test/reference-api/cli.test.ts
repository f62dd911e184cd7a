/** `loadgate target` as a user runs it: prints its URL, serves, and exits 0 on SIGTERM/SIGINT. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTargetFlags } from '../../lib/cli/commands/target.ts';
import { UsageError } from '../../lib/contract/errors.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'loadgate.js');

describe('parseTargetFlags', () => {
  it('accepts the defaults and port 0', () => {
    expect(parseTargetFlags({ profile: 'baseline', port: 0, host: '127.0.0.1' })).toEqual({
      profile: 'baseline',
      port: 0,
      host: '127.0.0.1',
    });
  });
  it('rejects an unknown profile, listing the valid ones', () => {
    expect(() => parseTargetFlags({ profile: 'phase7', port: 0, host: '127.0.0.1' })).toThrow(UsageError);
    expect(() => parseTargetFlags({ profile: 'phase7', port: 0, host: '127.0.0.1' })).toThrow(/baseline, phase1, phase2, phase3/);
  });
  it('refuses anything that is not loopback', () => {
    expect(() => parseTargetFlags({ profile: 'phase3', port: 0, host: '0.0.0.0' })).toThrow(/loopback/);
    expect(() => parseTargetFlags({ profile: 'phase3', port: 0, host: '192.168.1.2' })).toThrow(UsageError);
  });
});

describe('loadgate target', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('listens on a free port and exits 0 on %s', async (signal) => {
    const child = spawn(process.execPath, [BIN, 'target', '--profile', 'phase3', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /loadgate target: listening on (http:\/\/127\.0\.0\.1:\d+) \(profile phase3\)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code} before listening: ${err}`)));
      });
      expect((await fetch(`${url}/live`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill(signal);
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 2 for an unknown profile', async () => {
    const child = spawn(process.execPath, [BIN, 'target', '--profile', 'nope', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/valid profiles: baseline, phase1, phase2, phase3/);
  });
});
