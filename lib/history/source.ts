/**
 * The source a run tested, when it is known: commit and branch. Read once, when the run is
 * recorded, and kept in the run directory as `source.json`, so that `loadgate history import`
 * (which may run long after, on another checkout) finds the run's own commit and not today's.
 *
 * Where from, first found wins: LOADGATE_GIT_COMMIT / LOADGATE_GIT_BRANCH (the API's own
 * repository, when it is not the working directory's); CI variables (GitHub Actions, GitLab CI);
 * the working directory's git repository; else unknown.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Source } from '../contract/history.ts';
import { RUN_FILES, RunDir } from '../contract/run-dir.ts';

export const SOURCE_FILE = RUN_FILES.source.name;

const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : null);

/**
 * HEAD of the repository holding `cwd`, read from its files: the run pays no `git` process for it
 * (one costs 20–40 ms on a busy machine). A linked worktree's `.git` file and packed refs are
 * followed; anything else unusual (a reftable repository, an unreadable ref) falls back to
 * asking git itself.
 */
async function readHead(cwd: string): Promise<{ commit: string | null; branch: string | null } | null> {
  let dir = resolve(cwd);
  let gitDir: string | null = null;
  for (;;) {
    const candidate = join(dir, '.git');
    const info = await stat(candidate).catch(() => null);
    if (info?.isDirectory()) gitDir = candidate;
    else if (info?.isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(await readFile(candidate, 'utf8'));
      if (m?.[1]) gitDir = resolve(dir, m[1].trim());
    }
    if (gitDir || dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  if (!gitDir) return { commit: null, branch: null };
  const head = (await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{40,64}$/.test(head)) return { commit: head, branch: null };
  const ref = /^ref:\s*(refs\/\S+)$/.exec(head)?.[1];
  if (!ref) return null;
  const branch = ref.replace(/^refs\/heads\//, '');
  // A linked worktree keeps HEAD in its own directory and the refs in the common one.
  const common = (await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => null))?.trim();
  const refsDir = common ? resolve(gitDir, common) : gitDir;
  const loose = (await readFile(join(refsDir, ref), 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{40,64}$/.test(loose)) return { commit: loose, branch };
  const packed = await readFile(join(refsDir, 'packed-refs'), 'utf8').catch(() => '');
  const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
  const commit = line?.split(' ')[0];
  if (commit && /^[0-9a-f]{40,64}$/.test(commit)) return { commit, branch };
  // A branch without commits yet is known; anything else, git decides.
  return (await stat(join(refsDir, 'reftable')).catch(() => null)) ? null : { commit: null, branch };
}

function git(cwd: string): Promise<{ commit: string | null; branch: string | null }> {
  return new Promise((resolvePromise) => {
    execFile('git', ['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD'], { cwd, timeout: 2000 }, (err, stdout) => {
      if (err) return resolvePromise({ commit: null, branch: null });
      const [commit, branch] = stdout.trim().split('\n');
      resolvePromise({ commit: nonEmpty(commit), branch: branch && branch !== 'HEAD' ? branch : null });
    });
  });
}

/** The source as the environment and the working directory tell it. */
export async function detectSource(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<Source> {
  const commit = nonEmpty(env['LOADGATE_GIT_COMMIT']);
  const branch = nonEmpty(env['LOADGATE_GIT_BRANCH']);
  if (commit || branch) return { kind: 'loadgate.source', version: 1, commit, branch, from: 'env' };
  const ciCommit = nonEmpty(env['GITHUB_SHA']) ?? nonEmpty(env['CI_COMMIT_SHA']);
  // A pull request's GITHUB_REF_NAME is `123/merge`; its head branch is GITHUB_HEAD_REF.
  const ciBranch = nonEmpty(env['GITHUB_HEAD_REF']) ?? nonEmpty(env['GITHUB_REF_NAME']) ?? nonEmpty(env['CI_COMMIT_REF_NAME']);
  if (ciCommit || ciBranch) return { kind: 'loadgate.source', version: 1, commit: ciCommit, branch: ciBranch, from: 'env' };
  const g = (await readHead(cwd).catch(() => null)) ?? (await git(cwd));
  return { kind: 'loadgate.source', version: 1, ...g, from: g.commit || g.branch ? 'git' : 'none' };
}

/**
 * `<runDir>/source.json`, or null when the run has none; read with the run files' policy
 * (lib/contract/run-dir.ts): an invalid or unreadable one is a RunFileError naming it.
 */
export async function readSource(runDir: string): Promise<Source | null> {
  return new RunDir(runDir).read(RUN_FILES.source);
}

/**
 * The run's source: its source.json when it has one; else detected now and written there
 * (atomically, and only when absent: a run's record is never overwritten).
 */
export async function sourceFor(runDir: string, env?: NodeJS.ProcessEnv): Promise<Source> {
  const existing = await readSource(runDir);
  if (existing) return existing;
  const source = await detectSource(env);
  await new RunDir(runDir).write(RUN_FILES.source, source);
  return source;
}
