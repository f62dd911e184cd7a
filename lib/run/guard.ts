/**
 * The checks a run makes before anything starts, network or file: where the load may go (the
 * target guard) and where its results can go (the results directory). Either one stops the
 * run here, with the value, what is wrong and how to fix it, before k6, the pre-flight request
 * or the network namespaces.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, InfraError } from '../contract/errors.ts';
import { ipv6Groups, isLoopbackHost, normalHost } from '../shared/loopback.ts';

/**
 * The host of a base URL as written (not as a URL parser rewrites it: `127.1` or `0x7f.0.0.1`
 * stay what they are, and are not taken for loopback). Brackets off, lower case.
 */
export function literalHost(baseUrl: string): string {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(baseUrl)?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const host = hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.replace(/:\d*$/, '');
  return normalHost(host);
}

/** One host, however it is spelled: names without case or a trailing dot, IPv6 by value. */
function sameHost(a: string, b: string): boolean {
  const x = normalHost(a).replace(/\.$/, '');
  const y = normalHost(b).replace(/\.$/, '');
  if (x === y) return true;
  const gx = ipv6Groups(x);
  const gy = ipv6Groups(y);
  return gx !== null && gy !== null && gx.every((v, i) => v === gy[i]);
}

/**
 * The target guard: load goes to loopback (127.0.0.0/8, ::1, `localhost`) unless the host is
 * allowed, by the config (`target.allow`) or by `--allow-target`. Judged on the host as written
 * in the URL, never resolved: a name that happens to resolve to 127.0.0.1 still needs the allow.
 * The scheme (http/https only) is the config schema's check.
 */
export function checkTarget(baseUrl: string, allow: readonly string[]): void {
  const host = literalHost(baseUrl);
  if (isLoopbackHost(host) || allow.some((a) => sameHost(a, host))) return;
  const shown = host.includes(':') ? `[${host}]` : host;
  throw new ConfigError(
    `the target ${baseUrl} is not on this machine: its host "${host}" is outside loopback (127.0.0.0/8, ::1, localhost), ` +
      `and loadgate sends load elsewhere only where it is allowed to. No request was sent. ` +
      `To allow it, pass --allow-target ${shown}, or add it to the config file: target: { allow: ['${host}'] }`,
  );
}

/** Errors of a disk rather than of a path: more space or a working disk fixes them, not another --out. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE']);

/** How the directory is named in messages, and the fix for a path that cannot be used. */
export interface OutDirWords {
  what: string;
  fix: string;
}

export const RESULTS_DIR: OutDirWords = { what: 'the results directory', fix: 'pass --out a directory loadgate can create and write to' };
/** A directory --out names that is not a results directory (`k8s render`'s manifests). */
export const OUTPUT_DIR: OutDirWords = { what: 'the output directory', fix: RESULTS_DIR.fix };
const OUT_FILE_DIR: OutDirWords = {
  what: 'the output directory',
  fix: 'pass --out a file in a directory loadgate can create and write to',
};

function ioError(words: OutDirWords, source: string, dir: string, step: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  // Node's message is "CODE: description, call 'path'": the description, without the repeats.
  const description = /^E[A-Z0-9]+: ([^,]+)/.exec(e.message ?? '')?.[1] ?? e.message;
  const message = `${words.what} ${dir} (${source}) cannot be used: ${step} failed: ${e.code ?? 'error'} (${description})`;
  return e.code !== undefined && DISK_ERRORS.has(e.code)
    ? new InfraError(message, { cause: err })
    : new ConfigError(`${message}; ${words.fix}`);
}

/**
 * Makes sure the results directory exists and takes files: creates it (and its missing
 * parents, one at a time: Node's recursive mkdir spins forever on a path under /proc), writes
 * a probe file and removes it. Stops with the path and the OS's word: exit 2 for a path that
 * cannot be used (not a directory, read-only, not permitted), 4 for a disk that is full or failing.
 * `source` says where the path came from (`--out`, LOADGATE_OUT, the config's outDir).
 */
export async function checkOutDir(outDir: string, source: string, words: OutDirWords = RESULTS_DIR): Promise<string> {
  const dir = resolve(outDir);
  const missing: string[] = [];
  for (let cur = dir; ;) {
    let isDir: boolean;
    try {
      isDir = (await stat(cur)).isDirectory();
    } catch (err) {
      const parent = dirname(cur);
      // Missing, or under a file (ENOTDIR): look further up, for the directory to start from or the file in the way.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== cur) {
        missing.unshift(cur);
        cur = parent;
        continue;
      }
      throw ioError(words, source, dir, `stat ${cur}`, err);
    }
    if (!isDir) {
      throw new ConfigError(`${words.what} ${dir} (${source}) cannot be used: ${cur} exists and is not a directory; ${words.fix}`);
    }
    break;
  }
  const created: string[] = [];
  try {
    for (const d of missing) {
      try {
        await mkdir(d);
        created.push(d);
      } catch (err) {
        // Another run made it meanwhile (two runs into one new --out): fine if it is a directory.
        const made = (err as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(d).catch(() => null))?.isDirectory() === true;
        if (!made) throw ioError(words, source, dir, `mkdir ${d}`, err);
      }
    }
    const probe = join(dir, `.loadgate-probe-${process.pid}-${randomBytes(3).toString('hex')}`);
    try {
      await writeFile(probe, 'loadgate\n', { flag: 'wx' });
    } catch (err) {
      throw ioError(words, source, dir, 'writing a file in it', err);
    } finally {
      await unlink(probe).catch(() => undefined);
    }
  } catch (err) {
    // Leave nothing behind of a directory that cannot be used.
    for (const d of created.reverse()) await rmdir(d).catch(() => undefined);
    throw err;
  }
  return dir;
}

/** Where the results directory came from, for messages: flags > env > config file > defaults. */
export function outDirSource(flagOut: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flagOut !== undefined) return '--out';
  if (env['LOADGATE_OUT']) return 'LOADGATE_OUT';
  return "the config's outDir";
}

/**
 * For a command whose --out is a file (`report`, `analyze`): its directory as checkOutDir checks
 * one, and the file itself not a directory. Exit 2 with the path, before any work.
 */
export async function checkOutFile(file: string, source: string): Promise<void> {
  await checkOutDir(dirname(resolve(file)), source, OUT_FILE_DIR);
  if ((await stat(file).catch(() => null))?.isDirectory()) {
    throw new ConfigError(`${resolve(file)} (${source}) is a directory; ${OUT_FILE_DIR.fix}`);
  }
}
