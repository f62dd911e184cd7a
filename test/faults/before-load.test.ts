/**
 * Faults that stop a run before any load: each exits with its documented code, one line that
 * says what and where (no stack trace), and leaves nothing behind. Real CLI, real k6, the real
 * reference API on port 0. Covered elsewhere and not repeated here: a bad config file and an
 * unknown scenario or profile (test/run/run.test.ts, "bad input": exit 2, the path named), the
 * target down at the start (test/run/run.test.ts: exit 4 within seconds, no run directory, no
 * stack trace), a namespace that does not exist or no rights for --segments-netns
 * (test/segments/netns.test.ts).
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, ROOT, tempOut, type CliResult } from '../run/helpers.ts';
import { canUnshare, cliUnder, entries, runArgs, shortConfig, STACK } from './helpers.ts';

let target: RunningTarget;
let config: string;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  config = await shortConfig(10, 3);
});
afterAll(async () => {
  await target?.close();
});

/** A documentation address (TEST-NET-1): never routed, and under `unshare -n` there is no route at all. */
const AWAY = 'http://192.0.2.1:9/';
const isolated = canUnshare();

describe('the target guard: load goes to loopback unless the host is allowed', () => {
  it.skipIf(!isolated)('a host outside loopback without an allow: exit 2 before any request, saying how to allow it', async () => {
    const out = await tempOut('loadgate-faults-');
    // In a network namespace of its own: were a request sent, it would fail with ENETUNREACH (exit 4), not this.
    const r = await cliUnder(['unshare', '-n'], runArgs(config, AWAY, out));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'loadgate: the target http://192.0.2.1:9/ is not on this machine: its host "192.0.2.1" is outside loopback (127.0.0.0/8, ::1, localhost)',
    );
    expect(r.stderr).toContain(
      "No request was sent. To allow it, pass --allow-target 192.0.2.1, or add it to the config file: target: { allow: ['192.0.2.1'] }",
    );
    expect(r.stderr).not.toMatch(/does not answer|ENETUNREACH/);
    expect(r.stderr).not.toMatch(STACK);
    // Checked before the results directory too: nothing made.
    expect(await entries(out)).toEqual([]);
  });

  it('judges the host as written, never resolved: a name needs the allow even when it is this machine', async () => {
    const out = await tempOut('loadgate-faults-');
    const started = performance.now();
    const r = await cli(runArgs(config, target.url.replace('127.0.0.1', '127.0.0.1.nip.io'), out));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/its host "127\.0\.0\.1\.nip\.io" is outside loopback .* pass --allow-target 127\.0\.0\.1\.nip\.io/);
    // Node's start and the CLI's, nothing more: no DNS, no pre-flight.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await entries(out)).toEqual([]);
  });

  it('a bad allow entry or a scheme other than http(s) is a config error naming the path (exit 2)', async () => {
    const dir = await tempOut('loadgate-faults-');
    const bad = join(dir, 'allow.yaml');
    await writeFile(bad, "target: { allow: ['https://api.staging.example/'] }\n");
    const r = await cli([...runArgs(bad, target.url, join(dir, 'out')), '--profile', 'smoke']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'target.allow.0 must be a host name or an IP address such as "api.staging.example" or "10.0.0.5" (no scheme, port or path), got "https://api.staging.example/"',
    );
    const ftp = await cli(runArgs(config, 'ftp://127.0.0.1:21/', join(dir, 'out')));
    expect(ftp.code, ftp.stderr).toBe(2);
    expect(ftp.stderr).toContain('target.baseUrl must be an http:// or https:// URL, got the scheme "ftp:"');
    const flag = await cli([...runArgs(config, target.url, join(dir, 'out')), '--allow-target', '10.0.0.5:8080']);
    expect(flag.code, flag.stderr).toBe(2);
    expect(flag.stderr).toContain('--allow-target must be a host name or an IP address');
    expect(await entries(dir)).toEqual(['allow.yaml']);
  });

  it.skipIf(!isolated)(
    'an allowed host outside loopback is run, by flag or by config (inside unshare -n: nothing leaves the machine)',
    async () => {
      // The reference API behind a relay on 192.0.2.1, in a network namespace of the test's own.
      const isolatedRun = (args: string[]) =>
        cliUnder(['unshare', '-n'], args, {
          entry: ['--import', 'tsx', join(ROOT, 'test/faults/isolated-target.ts'), '192.0.2.1'],
          timeoutMs: 90_000,
        });
      const byFlag = await tempOut('loadgate-faults-');
      const r = await isolatedRun([...runArgs(config, '{target}', byFlag), '--allow-target', '192.0.2.1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/monitoring\/constant against http:\/\/192\.0\.2\.1:\d+ →/);
      const dirs = (await entries(byFlag)).filter((e) => e !== 'history.sqlite');
      expect(dirs).toHaveLength(1);
      expect(await entries(join(byFlag, dirs[0] as string))).toEqual(
        expect.arrayContaining(['analysis.json', 'report.html', 'verdict.json']),
      );

      const withConfig = join(await tempOut('loadgate-faults-'), 'allowed.yaml');
      await writeFile(
        withConfig,
        "target: { allow: ['192.0.2.1'] }\nload: { rps: 10 }\nprofiles:\n  constant:\n    description: c\n    stages: [ { name: steady, durationS: 2, from: 1, to: 1 } ]\n    abortOnFail: false\n",
      );
      const byConfig = await tempOut('loadgate-faults-');
      const c = await isolatedRun(runArgs(withConfig, '{target}', byConfig));
      expect(c.code, c.stderr).toBe(0);
    },
  );
});

describe('a bad --out is refused before anything starts (no hang, no stack trace)', () => {
  const nothingStarted = (r: { stderr: string }) => {
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/run \d{8}T/); // no run began
  };

  it("under /proc, where Node's recursive mkdir spins forever: exit 2 with the path and the OS error", async () => {
    const r = await cli(runArgs(config, target.url, '/proc/nope'), { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('loadgate: the results directory /proc/nope (--out) cannot be used: mkdir /proc/nope failed: ENOENT');
    nothingStarted(r);
  });

  it('a file, and a path under a file: exit 2, the file left as it was', async () => {
    const dir = await tempOut('loadgate-faults-');
    const file = join(dir, 'results');
    await writeFile(file, 'not a directory\n');
    const r = await cli(runArgs(config, target.url, file));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`the results directory ${file} (--out) cannot be used: ${file} exists and is not a directory`);
    nothingStarted(r);
    const under = await cli(runArgs(config, target.url, join(file, 'sub')));
    expect(under.code, under.stderr).toBe(2);
    expect(under.stderr).toContain(
      `the results directory ${join(file, 'sub')} (--out) cannot be used: ${file} exists and is not a directory`,
    );
    nothingStarted(under);
    expect(await entries(dir)).toEqual(['results']);
  });

  it('from LOADGATE_OUT: the message names where the path came from', async () => {
    const r = await cli(['run', '--config', config, '--scenario', 'monitoring', '--profile', 'constant', '--target', target.url], {
      env: { LOADGATE_OUT: '/proc/nope/deeper' },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('the results directory /proc/nope/deeper (LOADGATE_OUT) cannot be used: mkdir /proc/nope failed');
  });

  it.skipIf(!isolated && process.getuid?.() === 0)('a read-only directory: exit 2, EROFS or EACCES, nothing created', async () => {
    const dir = await tempOut('loadgate-faults-');
    const out = join(dir, 'results');
    let r: CliResult;
    if (process.getuid?.() === 0) {
      // root writes through file modes: a read-only file system, mounted in a mount namespace of the test's own.
      r = await cliUnder(
        ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o ro,size=1m loadgate-ro "$0" && exec "$@"', dir],
        runArgs(config, target.url, out),
      );
    } else {
      await chmod(dir, 0o555);
      r = await cli(runArgs(config, target.url, out));
      await chmod(dir, 0o755);
    }
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `the results directory ${out} \\(--out\\) cannot be used: mkdir ${out} failed: (EROFS \\(read-only file system\\)|EACCES \\(permission denied\\))`,
      ),
    );
    nothingStarted(r);
    expect(await entries(dir)).toEqual([]);
  });

  it.skipIf(!isolated)('a full disk at the start (a small tmpfs, filled): exit 4, ENOSPC, the directory it made removed', async () => {
    const dir = await tempOut('loadgate-faults-');
    const out = join(dir, 'results');
    // A 64 KiB tmpfs in a mount namespace of the test's own, filled up; after loadgate, what it holds.
    const script =
      'mount -t tmpfs -o size=64k loadgate-full "$0" && { head -c 1048576 /dev/zero > "$0/fill" 2>/dev/null; true; } && ' +
      '{ "$@"; code=$?; ls -A "$0" >&2; exit $code; }';
    const wrapper = ['unshare', '-m', 'sh', '-c', script, dir];
    const r = await cliUnder(wrapper, runArgs(config, target.url, out));
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(
      `the results directory ${out} (--out) cannot be used: writing a file in it failed: ENOSPC (no space left on device)`,
    );
    nothingStarted(r);
    // What the tmpfs held afterwards (listed inside the namespace): the filler only.
    expect(r.stderr.trim().split('\n').at(-1)).toBe('fill');
  });
});

describe('k6 that is missing or is not k6', () => {
  it.each([
    // The install command itself is asserted in test/run/run.test.ts; here, the files left.
    ['missing', '/nonexistent/k6', /LOADGATE_K6=\/nonexistent\/k6 is not an executable file\. Install it with: bash scripts\/setup\.sh/],
    [
      'crashing at once',
      '/bin/false',
      /the k6 at \/bin\/false failed: `\/bin\/false version` exited with code 1\. Is it k6\? Install the pinned one with: bash scripts\/setup\.sh/,
    ],
  ])('%s: exit 4, one line naming it and the fix, no run directory', async (_what, k6, message) => {
    const out = await tempOut('loadgate-faults-');
    const r = await cli(runArgs(config, target.url, out), { env: { LOADGATE_K6: k6 } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await entries(out)).toEqual([]);
  });

  it('a k6 that starts and crashes on `run`: exit 4 with its last words, the run recorded as failed', async () => {
    const dir = await tempOut('loadgate-faults-');
    const fake = join(dir, 'k6');
    await writeFile(
      fake,
      '#!/bin/sh\nif [ "$1" = version ]; then echo "k6 v2.2.0 (fake)"; exit 0; fi\necho "panic: the fake k6 crashes" >&2\nexit 2\n',
    );
    await chmod(fake, 0o755);
    const out = join(dir, 'out');
    const r = await cli(runArgs(config, target.url, out), { env: { LOADGATE_K6: fake } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^loadgate: k6 failed \(exit code 2\): panic: the fake k6 crashes$/m);
    expect(r.stderr).not.toMatch(STACK);
    const runs = (await entries(out)).filter((e) => e !== 'history.sqlite');
    expect(runs).toHaveLength(1);
    const record = JSON.parse(await readFile(join(out, runs[0] as string, 'run.json'), 'utf8')) as {
      status: string;
      k6ExitCode: number;
    };
    expect(record).toMatchObject({ status: 'failed', k6ExitCode: 2 });
  });
});

describe('loadgate target --host', () => {
  it('127.999.999.999 is no address: exit 2, one line, no stack trace', async () => {
    const r = await cli(['target', '--host', '127.999.999.999', '--port', '0'], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(
      'loadgate: --host must be a loopback address (127.0.0.1, ::1, localhost): the reference API never listens beyond this machine; got "127.999.999.999"',
    );
  });

  it('a port in use: exit 4 naming the address and the OS error', async () => {
    const port = new URL(target.url).port;
    const r = await cli(['target', '--port', port], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trim()).toBe(`loadgate: cannot listen on 127.0.0.1 port ${port}: EADDRINUSE (listen)`);
  });
});
