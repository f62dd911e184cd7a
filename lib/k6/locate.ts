/** Finds the pinned k6: LOADGATE_K6, else the one the setup installed under .tools/. */
import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ROOT } from '../root.ts';
import { InfraError } from '../contract/errors.ts';

const run = promisify(execFile);

export const SETUP_COMMAND = 'bash scripts/setup.sh';

/** The pinned version, read from build/k6/go.mod (the one source of the pin). */
export async function pinnedK6Version(): Promise<string> {
  const gomod = await readFile(join(ROOT, 'build', 'k6', 'go.mod'), 'utf8');
  const m = /^require go\.k6\.io\/k6\/v2 (v[\w.-]+)/m.exec(gomod);
  if (!m?.[1]) throw new InfraError('build/k6/go.mod does not pin go.k6.io/k6/v2');
  return m[1];
}

export interface K6Binary {
  path: string;
  version: string;
}

/** Version as `k6 version` prints it ("k6 v2.2.0 (go1.26…)" → "v2.2.0"). */
export async function k6VersionOf(path: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run(path, ['version'], {
      timeout: 15_000,
      env: { ...process.env, K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false' },
    }));
  } catch (err) {
    // A binary that crashes, hangs or is not k6 at all: what it did, in one line, and the fix.
    const e = err as { code?: unknown; signal?: unknown; killed?: boolean; stderr?: string };
    const how = e.killed
      ? 'did not answer within 15 s'
      : typeof e.code === 'number'
        ? `exited with code ${e.code}`
        : typeof e.signal === 'string'
          ? `was killed by ${e.signal}`
          : `could not be started (${String(e.code ?? (err as Error).message)})`;
    const said = e.stderr?.trim().split('\n').pop();
    throw new InfraError(
      `the k6 at ${path} failed: \`${path} version\` ${how}${said ? `: ${said}` : ''}. Is it k6? Install the pinned one with: ${SETUP_COMMAND}`,
      { cause: err },
    );
  }
  const m = /k6 (v\d+\.\d+\.\d+\S*)/.exec(stdout);
  if (!m?.[1]) throw new InfraError(`${path} did not report a k6 version: ${stdout.trim()}`);
  return m[1];
}

export async function locateK6(env: NodeJS.ProcessEnv = process.env): Promise<K6Binary> {
  const pinned = await pinnedK6Version();
  const explicit = env['LOADGATE_K6'];
  const path = explicit ?? join(ROOT, '.tools', 'k6', pinned, 'k6');
  try {
    await access(path, constants.X_OK);
  } catch {
    const how = explicit ? `LOADGATE_K6=${explicit} is not an executable file` : `k6 ${pinned} is not installed at ${path}`;
    throw new InfraError(
      `${how}. Install it with: ${SETUP_COMMAND}  (or: cd build/k6 && GOBIN=${join(ROOT, '.tools', 'k6', pinned)} go install go.k6.io/k6/v2)`,
    );
  }
  return { path, version: await k6VersionOf(path) };
}
