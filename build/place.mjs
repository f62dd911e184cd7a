/**
 * Where the builds (the CLI in plain JavaScript, the k6 bundles) live, so that a read-only
 * install runs without writing into its own directory:
 *
 * 1. the build in the install directory (dist/), when it is up to date: used as it is, nothing
 *    written (a shipped build, or a checkout that was built);
 * 2. else, when the install directory can be written and npm does not manage it (a developer's
 *    checkout): rebuilt there;
 * 3. else (a read-only checkout, an npm install, global or not): built once into the per-user cache,
 *    `$LOADGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/loadgate`, else `~/.cache/loadgate`, in a
 *    directory named by a hash of the sources and the install's path. Another source, or
 *    another install, is another directory; the same sources reuse it.
 *
 * Plain JavaScript, so that bin/loadgate.js can use it without tsx.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/* global LOADGATE_ROOT */
/** The install's directory. In the CLI built into the cache, this file is bundled there: esbuild then defines LOADGATE_ROOT. */
export const ROOT = typeof LOADGATE_ROOT === 'string' ? LOADGATE_ROOT : resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The folders the CLI and the bundles are built from (their TypeScript, tests left out). */
const SOURCE_DIRS = ['lib', 'scenarios', 'thresholds', 'reference-api', 'build'];
/** Files beside them that change a build: the version, the dependencies, esbuild's own version. */
const SOURCE_FILES = ['package.json', 'package-lock.json', 'node_modules/esbuild/package.json'];

/**
 * An install npm manages: a global install, or a project's dependency (the install is inside a
 * node_modules folder). Its directory is npm's, shared and checked by it: never written, even
 * by a user who could (root, for a global install).
 */
export const NPM_INSTALL = ROOT.split(sep).includes('node_modules');

/** May a build be written into `dir` of the install: not an npm-managed install, and writable (below)? */
export function installWritable(dir) {
  return !NPM_INSTALL && writable(dir);
}

/** Can this process create files in `dir` (or, when it does not exist yet, in its closest existing parent)? */
export function writable(dir) {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d)) {
      try {
        // access(2) answers EROFS on a read-only mount and EACCES where the modes forbid it.
        accessSync(d, constants.W_OK);
        return statSync(d).isDirectory();
      } catch {
        return false;
      }
    }
    if (dirname(d) === d) return false;
  }
}

/** The per-user cache: `$LOADGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/loadgate`, else `~/.cache/loadgate`. */
export function cacheBase(env = process.env) {
  if (env.LOADGATE_CACHE_DIR) return resolve(env.LOADGATE_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and is ignored.
  return join(xdg?.startsWith('/') ? xdg : join(homedir(), '.cache'), 'loadgate');
}

let memoKey = null;

/**
 * A hash of what a build is made from: the install's path (the CLI built into the cache is
 * told where its templates and k6 are), each source's path and content, package.json, the
 * lock file and esbuild's version. Read only when the install's own build cannot be used.
 */
export function sourceKey() {
  if (memoKey !== null) return memoKey;
  const hash = createHash('sha256').update(`${ROOT}\0`);
  const files = [];
  for (const dir of SOURCE_DIRS) {
    let names;
    try {
      names = readdirSync(join(ROOT, dir), { recursive: true });
    } catch {
      continue;
    }
    for (const name of names.map(String)) {
      if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.test.ts') && !name.split(sep).includes('node_modules')) {
        files.push(join(dir, name));
      }
    }
  }
  files.sort();
  for (const file of [...files, ...SOURCE_FILES]) {
    let content;
    try {
      content = readFileSync(join(ROOT, file));
    } catch {
      continue;
    }
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  memoKey = hash.digest('hex').slice(0, 16);
  return memoKey;
}

/** This install's directory in the per-user cache: one per source hash. */
export function cacheDir(env = process.env) {
  return join(cacheBase(env), sourceKey());
}

/**
 * Makes `dir` and its missing parents, one at a time: Node's recursive mkdir spins forever on a
 * path under /proc (lib/run/guard.ts does the same for --out).
 */
export function makeDirs(dir) {
  const missing = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      if (err?.code !== 'EEXIST') throw err;
    }
  }
}

/** Removes a build directory that was not published; a failure to does not hide why the build failed. */
export function discard(dir) {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Nothing was made there, or it cannot be removed: either way nothing more to do.
  }
}

/**
 * Moves a build made in `tmp` to `dir` in one rename. When another process got there first,
 * its build (of the same sources) is kept and this one removed.
 */
export function publish(tmp, dir) {
  try {
    renameSync(tmp, dir);
  } catch (err) {
    if (!existsSync(dir)) throw err;
    discard(tmp);
  }
}

/** A temporary directory beside `dir`, unique to this process, for a build that `publish` then moves into place. */
export function stagingDir(dir) {
  return `${dir}.tmp-${process.pid}-${Date.now()}`;
}

/**
 * An esbuild plugin for the CLI's build: the packages in `bundled` are taken into the build; the
 * other npm packages stay external, loaded as Node loads them. For a build that lives outside
 * the install (`fromInstall`: the cache), they are imported by their absolute path there, since
 * Node would look for them beside the cache, where there are none.
 */
export function packagesFromInstall(bundled = new Set(), fromInstall = true) {
  return {
    name: 'loadgate-packages-from-install',
    setup(build) {
      // A bare specifier (not ./, ../ or /) that is no Node built-in: an npm package.
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('node:') || args.pluginData === 'loadgate-inner') return undefined;
        // A package the build takes in: esbuild resolves and bundles it as it does the sources.
        if (bundled.has(packageName(args.path))) return undefined;
        if (!fromInstall) return { path: args.path, external: true };
        const found = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'loadgate-inner',
        });
        if (found.errors.length > 0 || found.external || !found.path.startsWith('/')) return undefined;
        // A require() of a package taken in (see `bundled`) takes the path itself; an import, a
        // file: URL, so that a path with `#` or `%` in it stays a path.
        if (args.kind === 'require-call') return { path: found.path, external: true };
        return { path: pathToFileURL(found.path).href, external: true };
      });
    },
  };
}

/** The npm package a bare specifier names: `zod` of `zod/v4`, `@scope/name` of `@scope/name/x`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
