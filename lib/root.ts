/**
 * The project's root directory, found from wherever this code runs: the TypeScript sources
 * (tsx, vitest), the CLI built into dist/cli/ or the one built into the per-user cache. Paths to
 * templates, assets, dashboards and the pinned k6 start here, never at a module's own location,
 * which differs between them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'loadgate') return dir;
    if (dirname(dir) === dir) throw new Error(`loadgate's package.json is not in ${from} or any folder above it`);
  }
}

/**
 * Set by esbuild for a CLI built into the per-user cache (build/cli.mjs): that build is not
 * inside the install, so it is told where the install is. Undefined everywhere else.
 */
declare const LOADGATE_ROOT: string | undefined;

export const ROOT = typeof LOADGATE_ROOT === 'string' ? LOADGATE_ROOT : findRoot(dirname(fileURLToPath(import.meta.url)));
