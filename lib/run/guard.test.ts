import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, ExitCode } from '../contract/errors.ts';
import { loadConfig } from '../config/load.ts';
import { checkOutDir, checkTarget, literalHost, outDirSource } from './guard.ts';
import { executeRun } from '../pipeline/execute.ts';

describe('literalHost: the host as written in the URL', () => {
  it.each([
    ['http://127.0.0.1:8080/api', '127.0.0.1'],
    ['https://API.Staging.Example', 'api.staging.example'],
    ['http://[::1]:8080/', '::1'],
    ['http://[2001:DB8::1]/', '2001:db8::1'],
    ['http://127.1:8080', '127.1'],
    ['http://host:/x', 'host'],
  ])('%s → %s', (url, host) => expect(literalHost(url)).toBe(host));
});

describe('checkTarget', () => {
  it.each(['http://127.0.0.1:8080', 'http://127.3.2.1/', 'https://localhost:8443/api', 'http://[::1]:8080/'])(
    '%s passes: loopback',
    (url) => expect(() => checkTarget(url, [])).not.toThrow(),
  );

  it.each([
    ['http://api.staging.example/', ['api.staging.example']],
    ['https://API.staging.example:8443/v1', ['api.staging.example.']],
    ['http://10.0.0.5:8080', ['other.example', '10.0.0.5']],
    ['http://[2001:db8::1]:8080/', ['2001:db8:0::1']],
    ['http://[2001:db8::1]:8080/', ['[2001:DB8::1]']],
  ])('%s passes when allowed (%j)', (url, allow) => expect(() => checkTarget(url, allow)).not.toThrow());

  it.each([
    ['http://192.0.2.1:9/', [], '192.0.2.1', '192.0.2.1'],
    ['http://api.staging.example/', ['api.staging.example.org'], 'api.staging.example', 'api.staging.example'],
    ['http://127.1:8080/', [], '127.1', '127.1'],
    ['http://[2001:db8::1]:80/', ['2001:db8::2'], '2001:db8::1', '[2001:db8::1]'],
  ])('%s is refused (allow %j), naming the host and how to allow it', (url, allow, host, flag) => {
    const err = (() => {
      try {
        checkTarget(url, allow);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.usage);
    expect((err as Error).message).toBe(
      `the target ${url} is not on this machine: its host "${host}" is outside loopback (127.0.0.0/8, ::1, localhost), ` +
        `and loadgate sends load elsewhere only where it is allowed to. No request was sent. ` +
        `To allow it, pass --allow-target ${flag}, or add it to the config file: target: { allow: ['${host}'] }`,
    );
  });
});

describe('executeRun stops at the guard before any network', () => {
  afterEach(() => vi.restoreAllMocks());

  it('no socket (a request or a name lookup would open one), no results directory: a ConfigError', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'loadgate-guard-')), 'results');
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const config = await loadConfig({ env: {}, flags: { target: 'http://192.0.2.1:9/', out } });
    const started = performance.now();
    await expect(
      executeRun({ config, scenario: 'monitoring', profile: 'smoke', phase: null, flags: {}, env: {}, log: () => undefined }),
    ).rejects.toThrow(/the target http:\/\/192\.0\.2\.1:9\/ is not on this machine/);
    expect(performance.now() - started).toBeLessThan(200);
    expect(connect).not.toHaveBeenCalled();
    expect(await readdir(join(out, '..'))).toEqual([]);
  });
});

describe('checkOutDir', () => {
  it('creates the directory and its parents, and leaves no probe behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'loadgate-out-'));
    const dir = join(root, 'a', 'b');
    expect(await checkOutDir(dir, '--out')).toBe(dir);
    expect(await readdir(dir)).toEqual([]);
    // Twice, and twice at once: an existing directory is fine.
    await Promise.all([checkOutDir(dir, '--out'), checkOutDir(join(root, 'a', 'c'), '--out'), checkOutDir(join(root, 'a', 'c'), '--out')]);
    expect((await readdir(join(root, 'a'))).sort()).toEqual(['b', 'c']);
  });

  it('a file in the way: a ConfigError naming it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'loadgate-out-'));
    await writeFile(join(root, 'f'), '');
    await expect(checkOutDir(join(root, 'f'), 'LOADGATE_OUT')).rejects.toThrow(
      `the results directory ${join(root, 'f')} (LOADGATE_OUT) cannot be used: ${join(root, 'f')} exists and is not a directory`,
    );
    await expect(checkOutDir(join(root, 'f', 'x', 'y'), '--out')).rejects.toThrow(
      `cannot be used: ${join(root, 'f')} exists and is not a directory`,
    );
  });

  it("under /proc, where Node's recursive mkdir never returns: an error at once", async () => {
    await expect(checkOutDir('/proc/nope/deeper', '--out')).rejects.toThrow(
      'the results directory /proc/nope/deeper (--out) cannot be used: mkdir /proc/nope failed: ENOENT (no such file or directory)',
    );
  });

  it('names where the path came from: flags > env > config', () => {
    expect(outDirSource('x', { LOADGATE_OUT: 'y' })).toBe('--out');
    expect(outDirSource(undefined, { LOADGATE_OUT: 'y' })).toBe('LOADGATE_OUT');
    expect(outDirSource(undefined, {})).toBe("the config's outDir");
  });
});
