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
 *   node build/cli.mjs        (re)builds it; `npm run build` and scripts/setup.sh do this too
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI_DIR = join(ROOT, 'dist', 'cli');
const POINTER = join(CLI_DIR, 'current.json');
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

/** Builds the CLI into a new directory, makes it current, and returns its entry file. */
export async function buildCli() {
  const { build } = await import('esbuild');
  const startedAtMs = Date.now();
  const dir = `${startedAtMs}-${process.pid}`;
  const outdir = join(CLI_DIR, dir);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'lib/cli/main.ts' },
    outdir,
    bundle: true,
    // npm packages stay where npm put them and load as Node loads them (CommonJS ones included).
    packages: 'external',
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
  });
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

/** The entry to import: the current build, rebuilt first when any input changed. */
export async function cliEntry() {
  return freshCli() ?? (await buildCli());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = await buildCli();
  process.stdout.write(`${pathToFileURL(entry).href}\n`);
}
