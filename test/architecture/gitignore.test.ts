/**
 * target/, build/, lib/ and bin/ are folder names that common global gitignore templates exclude
 * (Rust, Maven, Python, Eclipse); this repository has build/, lib/, bin/ and scenarios/lib/ (the
 * reference API lives in reference-api/, not target/). A contributor whose core.excludesFile
 * lists them must still see every new file in this repository: the negations in .gitignore take
 * precedence over the global file. This test clones the repository, gives git such a global file, creates a new file in
 * every folder of the clone and asks `git status --porcelain` which it sees.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Folder rules from GitHub's gitignore templates (Rust, Maven, Python, Node, Eclipse), as a global file holds them. */
const GLOBAL_EXCLUDES = ['/target', 'target/', 'build/', 'dist/', 'lib/', 'lib64/', 'bin/', 'tmp/', 'env/', 'venv/', '*.sentinel-ignored'];

function git(cwd: string, args: string[], excludesFile: string): string {
  return execFileSync('git', ['-c', `core.excludesFile=${excludesFile}`, ...args], { cwd, encoding: 'utf8' });
}

/** The new files `git status` lists as untracked. */
function untracked(clone: string, excludesFile: string): Set<string> {
  const out = git(clone, ['status', '--porcelain', '-uall'], excludesFile);
  return new Set(
    out
      .split('\n')
      .filter((l) => l.startsWith('?? '))
      .map((l) => l.slice(3)),
  );
}

describe('a global gitignore that excludes target/, build/, lib/ and bin/', () => {
  it('hides no new file in any folder of a fresh clone', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'loadgate-gitignore-'));
    try {
      const clone = join(tmp, 'clone');
      execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, clone]);
      // The rules of this working tree, committed or not.
      copyFileSync(join(ROOT, '.gitignore'), join(clone, '.gitignore'));
      const excludesFile = join(tmp, 'global-gitignore');
      writeFileSync(excludesFile, `${GLOBAL_EXCLUDES.join('\n')}\n`);

      const folders = new Set(
        git(clone, ['ls-files'], excludesFile)
          .split('\n')
          .filter(Boolean)
          .map((f) => dirname(f)),
      );
      for (const name of ['build', 'lib', 'bin', 'scenarios/lib']) expect(folders).toContain(name);
      const created = [...folders].map((d) => (d === '.' ? 'new-file.ts' : `${d}/new-file.ts`));
      for (const f of created) writeFileSync(join(clone, f), '// new\n');
      // The global file is in force: a name only it excludes stays hidden.
      writeFileSync(join(clone, 'lib', 'x.sentinel-ignored'), '');

      const seen = untracked(clone, excludesFile);
      expect(created.filter((f) => !seen.has(f))).toEqual([]);
      expect(seen.has('lib/x.sentinel-ignored')).toBe(false);

      // Without the negations the same global file hides them: the rules above are what makes them seen.
      const rules = readFileSync(join(clone, '.gitignore'), 'utf8');
      writeFileSync(
        join(clone, '.gitignore'),
        rules
          .split('\n')
          .filter((l) => !l.startsWith('!'))
          .join('\n'),
      );
      const hidden = untracked(clone, excludesFile);
      expect(hidden.has('lib/new-file.ts')).toBe(false);
      expect(hidden.has('build/new-file.ts')).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
