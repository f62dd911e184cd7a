/**
 * `loadgate --version`: the tool's version (package.json) and k6's: the version build/k6/go.mod
 * pins, and what the binary a run would use (LOADGATE_K6, else the pinned one under .tools/)
 * says of itself, when there is one. Synchronous: commander handles the option while parsing.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../root.ts';

/** The version pinned in build/k6/go.mod (the one source of the pin); null when unreadable. */
export function pinnedK6VersionSync(root = ROOT): string | null {
  try {
    return /^require go\.k6\.io\/k6\/v2 (v[\w.-]+)/m.exec(readFileSync(join(root, 'build', 'k6', 'go.mod'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** What `k6 version` prints (first line), or null when the binary is missing or says nothing. */
function binaryVersion(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    const out = execFileSync(path, ['version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
      // No usage report to Grafana, and no extension resolution (which may reach the network).
      env: { ...process.env, K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false' },
    });
    return out.split('\n')[0]?.trim() || null;
  } catch {
    return null;
  }
}

export function versionText(env: NodeJS.ProcessEnv = process.env, root = ROOT): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  const pinned = pinnedK6VersionSync(root);
  const lines = [`loadgate ${pkg.version ?? 'unknown'}`, `k6 ${pinned ?? 'unknown'} pinned (build/k6/go.mod)`];
  const explicit = env['LOADGATE_K6'];
  const path = explicit || (pinned ? join(root, '.tools', 'k6', pinned, 'k6') : null);
  if (path) {
    const found = binaryVersion(path);
    lines.push(
      found
        ? `k6 binary ${path}${explicit ? ' (LOADGATE_K6)' : ''}: ${found}`
        : explicit
          ? `k6 binary ${path} (LOADGATE_K6): not an executable k6`
          : `k6 binary ${path}: not installed (bash scripts/setup.sh)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
