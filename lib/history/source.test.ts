import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectSource, readSource, sourceFor } from './source.ts';

const dirs: string[] = [];
async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'loadgate-history-source-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

describe('the source of a run', () => {
  it('reads commit and branch from the repository files as git itself reports them: loose, packed, detached, a linked worktree', async () => {
    const repo = await scratch();
    git(repo, 'init', '-q', '-b', 'trunk');
    await writeFile(join(repo, 'f'), '1');
    git(repo, 'add', 'f');
    git(repo, 'commit', '-q', '-m', 'one');
    const head = git(repo, 'rev-parse', 'HEAD');
    expect(await detectSource({}, repo)).toEqual({ kind: 'loadgate.source', version: 1, commit: head, branch: 'trunk', from: 'git' });
    git(repo, 'pack-refs', '--all');
    expect(await detectSource({}, join(repo))).toMatchObject({ commit: head, branch: 'trunk' });
    const wt = join(await scratch(), 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', wt);
    expect(await detectSource({}, wt)).toMatchObject({ commit: head, branch: 'side' });
    git(repo, 'checkout', '-q', '--detach');
    expect(await detectSource({}, repo)).toMatchObject({ commit: head, branch: null });
  });

  it('prefers LOADGATE_GIT_*, then CI variables (a pull request’s head branch), and is unknown outside a repository', async () => {
    const none = await scratch();
    expect(await detectSource({}, none)).toMatchObject({ commit: null, branch: null, from: 'none' });
    expect(await detectSource({ LOADGATE_GIT_COMMIT: 'abc', GITHUB_SHA: 'def' }, none)).toMatchObject({
      commit: 'abc',
      branch: null,
      from: 'env',
    });
    expect(await detectSource({ GITHUB_SHA: 'def', GITHUB_REF_NAME: '12/merge', GITHUB_HEAD_REF: 'feature' }, none)).toMatchObject({
      commit: 'def',
      branch: 'feature',
    });
  });

  it('is written into the run directory once and read back from there', async () => {
    const run = await scratch();
    expect(await readSource(run)).toBeNull();
    const first = await sourceFor(run, { LOADGATE_GIT_COMMIT: 'c1', LOADGATE_GIT_BRANCH: 'main' });
    const again = await sourceFor(run, { LOADGATE_GIT_COMMIT: 'c2' });
    expect(again).toEqual(first);
    expect(await readSource(run)).toMatchObject({ commit: 'c1', branch: 'main' });
    await writeFile(join(run, 'source.json'), '{"kind": "x"}');
    await expect(readSource(run)).rejects.toThrow(/source\.json is not a loadgate source record \(kind "x"\)/);
    await writeFile(join(run, 'source.json'), '{"kind": "loadgate.source", "version": 1, "commit": 7}');
    await expect(readSource(run)).rejects.toThrow(/source\.json is not a valid source record: commit: /);
  });
});
