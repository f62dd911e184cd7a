/**
 * A read-only install runs without writing into its own directory (build/place.mjs): a copy of
 * the checkout, made read-only for real, runs `loadgate run` against the reference API on
 * loopback, two ways where the test runs as root (whom file modes do not stop): a read-only
 * bind mount in a mount namespace of the test's own (its node_modules, a link to the
 * checkout's, too), and `chmod -R a-w` with loadgate run as `nobody`; as another user, the
 * latter as that user. Every write into the install fails with EROFS or EACCES, and the test
 * also compares the copy's files before and after. An npm install (under node_modules) is
 * never written either, even where it could be.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateK6 } from '../../lib/k6/locate.ts';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { canUnshare, cliUnder, entries, runArgs, shortConfig, STACK } from '../faults/helpers.ts';
import { onlyRunDir, ROOT, tempOut, type CliResult } from './helpers.ts';

const asRoot = process.getuid?.() === 0;

let target: RunningTarget;
let config: string;
let k6: string;
const made: string[] = [];

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  config = await shortConfig(10, 2);
  chmodSync(dirname(config), 0o755);
  k6 = (await locateK6()).path;
});
afterAll(async () => {
  await target?.close();
  for (const dir of made) {
    spawnSync('chmod', ['-R', 'u+w', dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * A copy of the checkout's sources (git's tracked and untracked files, not ignored ones), with
 * node_modules a link to the checkout's, built there (`npm run build`: the shipped build).
 */
async function installCopy(under = 'loadgate'): Promise<string> {
  const top = await tempOut('loadgate-ro-');
  made.push(top);
  // Readable by the user loadgate may run as (mkdtemp makes it 0700).
  chmodSync(top, 0o755);
  const dir = join(top, under);
  const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  expect(files.status, files.stderr).toBe(0);
  for (const file of files.stdout.split('\0').filter(Boolean)) {
    let isFile = false;
    try {
      isFile = statSync(join(ROOT, file)).isFile();
    } catch {
      continue; // deleted in the work tree
    }
    if (!isFile) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file), { preserveTimestamps: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const step of [
    [join(ROOT, 'node_modules/.bin/tsx'), 'build/bundle.ts'],
    [process.execPath, 'build/cli.mjs'],
  ]) {
    const r = spawnSync(step[0] as string, step.slice(1), { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }
  return dir;
}

/** Every file and directory under `dir` (links not followed) with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    if (name === 'node_modules' || name.startsWith(`node_modules/`)) continue;
    const s = lstatSync(join(dir, name));
    out.set(name, `${s.isDirectory() ? 'dir' : s.size} ${s.mtimeMs}`);
  }
  return out;
}

/**
 * How the copy is made read-only: `bind`, a read-only bind mount of it (and of the node_modules
 * it links to) in a mount namespace of the test's own, which holds for root too; `modes`,
 * `chmod -R a-w`, with loadgate run as a user file modes bind (as root: `nobody`, by setpriv).
 */
type Mode = 'bind' | 'modes';
const MODES: Mode[] = asRoot && canUnshare() ? ['bind', 'modes'] : ['modes'];
/** `nobody`: the user loadgate runs as in `modes` when the test runs as root. */
const NOBODY = 65534;

function makeReadOnly(dir: string, mode: Mode): void {
  if (mode === 'modes') expect(spawnSync('chmod', ['-R', 'a-w', dir]).status).toBe(0);
}

/** A directory loadgate writes (the results, the cache): its runner's own. */
async function writableDir(prefix: string, mode: Mode): Promise<string> {
  const dir = await tempOut(prefix);
  made.push(dir);
  if (asRoot && mode === 'modes') chownSync(dir, NOBODY, NOBODY);
  return dir;
}

/** `loadgate run` from the read-only install `dir`, with the per-user cache at `cache`. */
function runReadOnly(dir: string, cache: string, out: string, mode: Mode) {
  const env = { XDG_CACHE_HOME: cache, LOADGATE_K6: k6 };
  const args = runArgs(config, target.url, out);
  const entry = [join(dir, 'bin/loadgate.js')];
  const o = { env, entry, timeoutMs: 120_000 };
  if (mode === 'modes') {
    if (!asRoot) return cliUnder([], args, o);
    // nobody's own home, as a login would give it (k6 looks for its config under $HOME/.config).
    const user = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', 'env', `HOME=${cache}`];
    return cliUnder(user, args, o);
  }
  const modules = join(ROOT, 'node_modules');
  const script = 'mount --bind -o ro "$0" "$0" && mount --bind -o ro "$1" "$1" && shift && exec "$@"';
  return cliUnder(['unshare', '-m', 'sh', '-c', script, dir, modules], args, o);
}

/**
 * A run that went through: exit 0, or 99 when a target was breached (the probes' 100 ms on a
 * busy machine), which is the verdict's business, not the install's.
 */
function expectRan(r: CliResult): void {
  expect([0, 99], r.stderr).toContain(r.code);
}

/** What a complete run left in its directory. */
async function expectCompleteRun(out: string): Promise<void> {
  const runDir = await onlyRunDir(out);
  expect(await entries(runDir)).toEqual(expect.arrayContaining(['analysis.json', 'report.html', 'run.json', 'verdict.json']));
  expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'))).toMatchObject({ status: 'completed' });
}

describe.each(MODES)('a read-only install (%s)', (mode) => {
  it('with its build up to date: runs it as it is, and writes nothing, in the install or in the cache', async () => {
    const dir = await installCopy();
    const cache = await writableDir('loadgate-ro-cache-', mode);
    const before = snapshot(dir);
    makeReadOnly(dir, mode);
    const out = await writableDir('loadgate-ro-out-', mode);
    const r = await runReadOnly(dir, cache, out, mode);
    expectRan(r);
    expect(r.stderr).not.toMatch(/built CLI is unavailable|EROFS|EACCES/);
    expect(r.stderr).not.toMatch(STACK);
    await expectCompleteRun(out);
    expect(snapshot(dir)).toEqual(before);
    expect(await entries(cache)).toEqual([]);
  });

  it('with a stale build: builds once into the per-user cache, by the hash of its sources, and never into the install', async () => {
    const dir = await installCopy();
    // Sources newer than the shipped build: the CLI's and the k6 bundle's.
    const later = new Date(Date.now() + 5_000);
    for (const source of ['lib/cli/outcome.ts', 'scenarios/flow.ts']) utimesSync(join(dir, source), later, later);
    const cache = await writableDir('loadgate-ro-cache-', mode);
    const before = snapshot(dir);
    makeReadOnly(dir, mode);

    const out = await writableDir('loadgate-ro-out-', mode);
    const r = await runReadOnly(dir, cache, out, mode);
    expectRan(r);
    expect(r.stderr).not.toMatch(/built CLI is unavailable|EROFS|EACCES/);
    await expectCompleteRun(out);
    expect(snapshot(dir)).toEqual(before);
    // One directory of these sources in the cache, with the CLI and the k6 bundles.
    const keys = await entries(join(cache, 'loadgate'));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{16}$/);
    const built = join(cache, 'loadgate', keys[0] as string);
    expect(await entries(built)).toEqual(['cli', 'k6']);
    expect(await entries(join(built, 'k6', 'run'))).toContain('flow.js');
    const cliBuilt = statSync(join(built, 'cli', 'main.js')).mtimeMs;
    const bundleBuilt = statSync(join(built, 'k6', 'run', 'flow.js')).mtimeMs;

    // The next run uses that build as it is.
    const again = await writableDir('loadgate-ro-out-', mode);
    const r2 = await runReadOnly(dir, cache, again, mode);
    expectRan(r2);
    await expectCompleteRun(again);
    expect(await entries(join(cache, 'loadgate'))).toEqual(keys);
    expect(statSync(join(built, 'cli', 'main.js')).mtimeMs).toBe(cliBuilt);
    expect(statSync(join(built, 'k6', 'run', 'flow.js')).mtimeMs).toBe(bundleBuilt);
    expect(snapshot(dir)).toEqual(before);
  });

  it('with a stale build and a cache it cannot write either: exit 4 naming both, one line, nothing written', async () => {
    const dir = await installCopy();
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'scenarios/flow.ts'), later, later);
    const before = snapshot(dir);
    makeReadOnly(dir, mode);
    const out = await writableDir('loadgate-ro-out-', mode);
    // Under /proc no directory can be made, whoever asks.
    const r = await runReadOnly(dir, '/proc/loadgate-nope', out, mode);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(
      `loadgate: k6's bundle in ${join(dir, 'dist')} is missing or older than its sources, and loadgate's install directory is not to be written (read-only, or npm's)`,
    );
    expect(r.stderr).toContain('/proc/loadgate-nope/loadgate/');
    expect(r.stderr).toContain('Set LOADGATE_CACHE_DIR to a directory this user can write');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(STACK);
    // Stopped before the run began: no run directory half made.
    expect(await entries(out)).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('an npm install', () => {
  it('installed by npm (under node_modules), writable: a stale build goes to the cache, and the install is left as npm made it', async () => {
    // Where `npm install -g` puts a package; root may write there, and must not.
    const dir = await installCopy(join('lib', 'node_modules', 'loadgate'));
    const later = new Date(Date.now() + 5_000);
    for (const source of ['lib/cli/outcome.ts', 'scenarios/flow.ts']) utimesSync(join(dir, source), later, later);
    const cache = await tempOut('loadgate-ro-cache-');
    made.push(cache);
    const before = snapshot(dir);
    const out = await tempOut('loadgate-ro-out-');
    made.push(out);
    const r = await cliUnder([], runArgs(config, target.url, out), {
      env: { XDG_CACHE_HOME: cache, LOADGATE_K6: k6 },
      entry: [join(dir, 'bin/loadgate.js')],
      timeoutMs: 120_000,
    });
    expectRan(r);
    await expectCompleteRun(out);
    expect(snapshot(dir)).toEqual(before);
    const keys = await entries(join(cache, 'loadgate'));
    expect(keys).toHaveLength(1);
    expect(await entries(join(cache, 'loadgate', keys[0] as string))).toEqual(['cli', 'k6']);
  });
});
