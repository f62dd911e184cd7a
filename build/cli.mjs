/**
 * The CLI as plain JavaScript: lib/cli/main.ts and everything it imports, bundled by esbuild into
 * dist/cli/<build>/ and run by bin/loadgate.js. Node then loads a few files instead of compiling
 * a hundred TypeScript modules through tsx at every start, which costs ~0.4 s and ~30 MB.
 *
 * Plain JavaScript itself, so that bin/loadgate.js can check and rebuild it without tsx.
 * A build is used only while no input is newer than the build's start; else the next start
 * rebuilds it (about 0.2 s). Each build goes to a directory of its own and `current.json` is
 * replaced atomically, so processes running an older build keep loading its chunks.
 *
 * A read-only install (a read-only checkout, a global npm install) is never written: an up-to-date
 * build there is used as it is; a missing or stale one is built once into the per-user cache
 * (build/place.mjs), whose CLI is told where the install is (its templates, its k6).
 *
 *   node build/cli.mjs        (re)builds it; `npm run build` and scripts/setup.sh do this too
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cacheDir, discard, installWritable, makeDirs, packagesFromInstall, publish, ROOT, stagingDir } from './place.mjs';

export { ROOT };
const CLI_DIR = join(ROOT, 'dist', 'cli');
const POINTER = join(CLI_DIR, 'current.json');
/**
 * The npm packages the CLI's build takes in rather than loading them from node_modules: the ones
 * `analyze` (and every command) loads at its start. zod alone is some 60 ES modules that Node
 * resolves, reads and links one by one; in one chunk they start about 30 ms sooner
 * (docs/analysis-format.md). pako and base64-js are hdr-histogram-js's own dependencies.
 */
const BUNDLED_PACKAGES = new Set(['zod', 'commander', 'hdr-histogram-js', 'pako', 'base64-js']);
/** Builds older than this that are not current are removed (a long run may still use a recent one). */
const KEEP_OLD_MS = 24 * 3600 * 1000;

/** The current build's entry file when it is up to date with its inputs, else null. */
export function freshCli() {
  try {
    const pointer = JSON.parse(readFileSync(POINTER, 'utf8'));
    const entry = join(CLI_DIR, pointer.dir, 'main.js');
    if (!existsSync(entry)) return null;
    for (const input of pointer.inputs) {
      if (statSync(join(ROOT, input)).mtimeMs > pointer.startedAtMs) return null;
    }
    return entry;
  } catch {
    return null;
  }
}

/**
 * esbuild's options for the CLI, built into `outdir`. `cache`: a build outside the install, which
 * imports npm packages from the install and is told the install's path.
 */
function cliOptions(outdir, cache) {
  return {
    absWorkingDir: ROOT,
    entryPoints: { main: 'lib/cli/main.ts' },
    outdir,
    bundle: true,
    // npm packages stay where npm put them and load as Node loads them (CommonJS ones included);
    // from the cache, by their path in the install (packagesFromInstall). Those every command
    // loads at its start are taken in (BUNDLED_PACKAGES).
    plugins: [packagesFromInstall(BUNDLED_PACKAGES, cache)],
    // The CommonJS packages taken in require Node's built-ins (commander) and zlib through an
    // eval (hdr-histogram-js): an ES module has no `require` of its own.
    banner: { js: "import { createRequire as __loadgateRequire } from 'node:module'; const require = __loadgateRequire(import.meta.url);" },
    // lib/root.ts finds the install from its own file, which the cache is not in.
    ...(cache ? { define: { LOADGATE_ROOT: JSON.stringify(ROOT) } } : {}),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Each command's implementation is a dynamic import: a chunk of its own, loaded when it runs.
    splitting: true,
    // Stack traces (with --enable-source-maps) point at the TypeScript sources.
    sourcemap: 'linked',
    // The inputs, for the freshness check.
    metafile: true,
    logLevel: 'warning',
  };
}

/** Builds the CLI into a new directory, makes it current, and returns its entry file. */
export async function buildCli() {
  const { build } = await import('esbuild');
  const startedAtMs = Date.now();
  const dir = `${startedAtMs}-${process.pid}`;
  const outdir = join(CLI_DIR, dir);
  const result = await build(cliOptions(outdir, false));
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules'));
  mkdirSync(CLI_DIR, { recursive: true });
  const tmp = `${POINTER}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ dir, startedAtMs, inputs }, null, 2) + '\n');
  renameSync(tmp, POINTER);
  for (const old of readdirSync(CLI_DIR, { withFileTypes: true })) {
    if (!old.isDirectory() || old.name === dir) continue;
    const builtMs = Number(old.name.split('-')[0]);
    if (!(builtMs > startedAtMs - KEEP_OLD_MS)) rmSync(join(CLI_DIR, old.name), { recursive: true, force: true });
  }
  return join(outdir, 'main.js');
}

/**
 * The CLI in the per-user cache, built there first when these sources have none: a directory
 * named by their hash, made under a temporary name and renamed into place whole.
 */
export async function cachedCli(env = process.env) {
  const dir = join(cacheDir(env), 'cli');
  const entry = join(dir, 'main.js');
  if (existsSync(entry)) return entry;
  const { build } = await import('esbuild');
  makeDirs(cacheDir(env));
  const tmp = stagingDir(dir);
  try {
    await build(cliOptions(tmp, true));
    publish(tmp, dir);
  } finally {
    discard(tmp);
  }
  return entry;
}

/**
 * The entry to import: the install's build when it is up to date; else a new build, in the
 * install when it can be written and npm does not manage it, else in the per-user cache.
 */
export async function cliEntry(env = process.env) {
  return freshCli() ?? (installWritable(CLI_DIR) ? await buildCli() : await cachedCli(env));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = await buildCli();
  process.stdout.write(`${pathToFileURL(entry).href}\n`);
}
