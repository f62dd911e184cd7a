/**
 * A corrupt plan.json, run.json, generator.json, analysis.json or verdict.json given to each reader (`analyze`,
 * `verdict`, `report`): every run file is read through one RunDir (lib/contract/run-dir.ts) with
 * one policy, so a reader of the file stops with exit 5 naming it and what is wrong, and leaves
 * every file as it was; a command that does not read it (analyze writes analysis.json, report
 * reads no plan) is not disturbed.
 * The run directory is a real one (real k6, the reference API). Corrupt and torn raw results:
 * test/analysis/bad-input.test.ts; a corrupt history: test/history/bad-input.test.ts.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTarget } from '../../reference-api/server.ts';
import { cli, onlyRunDir, tempOut } from '../run/helpers.ts';
import { readAnalysis, runArgs, shortConfig, STACK } from './helpers.ts';

let good: string;

beforeAll(async () => {
  const target = await startTarget({ profile: 'phase3', port: 0 });
  try {
    const out = await tempOut('loadgate-faults-');
    const r = await cli(runArgs(await shortConfig(10, 2), target.url, out));
    if (r.code !== 0) throw new Error(`the run to damage failed (${r.code}): ${r.stderr}`);
    good = await onlyRunDir(out);
  } finally {
    await target.close();
  }
});

/** A copy of the good run with one file damaged; returns its directory. */
async function damaged(file: string, text: string): Promise<string> {
  const dir = join(await tempOut('loadgate-faults-damaged-'), 'run');
  await cp(good, dir, { recursive: true });
  await writeFile(join(dir, file), text);
  return dir;
}

const FILES = ['analysis.json', 'verdict.json', 'report.html', 'junit.xml', 'summary.md'] as const;
const snapshot = async (dir: string) => Promise.all(FILES.map((f) => readFile(join(dir, f), 'utf8')));

/** How a file is damaged, and the start of what a reader says about it (after the file's path). */
const DAMAGE = {
  torn: { damage: (text: string) => text.slice(0, Math.floor(text.length / 2)), says: () => 'is not valid JSON: ' },
  'of another version': {
    damage: (text: string) => JSON.stringify({ ...(JSON.parse(text) as object), version: 999 }),
    says: (what: string) => `is an? ${what} of format version 999; this loadgate reads version`,
  },
  'with a bad field': {
    damage: (text: string) => JSON.stringify({ ...(JSON.parse(text) as object), startedAt: 7, runId: 7 }),
    // The first issue: a field of the wrong type, or (a generator file has neither) the unknown keys.
    says: (what: string) => `is not a valid ${what}: (runId|startedAt|\\(root\\)): `,
  },
};
/** `^loadgate: <file> <says>`, the one line a reader prints for a bad run file. */
const said = (file: string, says: string) => new RegExp(`^loadgate: ${file} ${says}`, 'm');

describe.each(Object.entries(DAMAGE))('a plan.json %s', (_how, { damage, says }) => {
  let dir: string;
  beforeAll(async () => {
    dir = await damaged('plan.json', damage(await readFile(join(good, 'plan.json'), 'utf8')));
  });

  it.each([['analyze'], ['verdict']])('%s: exit 5 naming the file, nothing rewritten', async (command) => {
    const before = await snapshot(dir);
    const r = await cli([command, dir]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(said(join(dir, 'plan.json'), says('plan')));
    expect(r.stderr).not.toMatch(STACK);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('report reads no plan: the report is made', async () => {
    const r = await cli(['report', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, 'report.html'));
  });
});

describe.each(Object.entries(DAMAGE))('a run.json %s', (_how, { damage, says }) => {
  let dir: string;
  beforeAll(async () => {
    dir = await damaged('run.json', damage(await readFile(join(good, 'run.json'), 'utf8')));
  });

  it('analyze: exit 5 naming the file, nothing rewritten', async () => {
    const before = await snapshot(dir);
    const r = await cli(['analyze', dir]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(said(join(dir, 'run.json'), says('run record')));
    expect(r.stderr).not.toMatch(STACK);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('verdict and report read no run record: both work', async () => {
    expect((await cli(['verdict', dir])).code).toBe(0);
    expect((await cli(['report', dir])).code).toBe(0);
  });
});

describe.each(Object.entries(DAMAGE))('a generator.json %s', (_how, { damage, says }) => {
  let dir: string;
  beforeAll(async () => {
    dir = await damaged('generator.json', damage(await readFile(join(good, 'generator.json'), 'utf8')));
  });

  it('verdict: exit 5 naming the file, nothing rewritten', async () => {
    const before = await snapshot(dir);
    const r = await cli(['verdict', dir]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(said(join(dir, 'generator.json'), says('generator file')));
    expect(r.stderr).not.toMatch(STACK);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('analyze and report read no generator samples: both work', async () => {
    expect((await cli(['analyze', dir])).code).toBe(0);
    expect((await cli(['report', dir])).code).toBe(0);
  });
});

describe.each(Object.entries(DAMAGE))('an analysis.json %s', (_how, { damage }) => {
  let dir: string;
  beforeAll(async () => {
    dir = await damaged('analysis.json', damage(await readFile(join(good, 'analysis.json'), 'utf8')));
  });

  it.each([['verdict'], ['report']])('%s: exit 5 naming the file, nothing rewritten', async (command) => {
    const before = await snapshot(dir);
    const r = await cli([command, dir]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(join(dir, 'analysis.json'));
    expect(r.stderr).not.toMatch(STACK);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('report comparing it with a good run: exit 5 naming it', async () => {
    const r = await cli(['report', good, dir, '--out', join(dir, '..', 'comparison.html')]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(join(dir, 'analysis.json'));
  });

  it('analyze writes it anew from the raw results: exit 0, the analysis whole again', async () => {
    const copy = await damaged('analysis.json', damage(await readFile(join(good, 'analysis.json'), 'utf8')));
    const r = await cli(['analyze', copy, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const again = await readAnalysis(copy);
    const original = await readAnalysis(good);
    expect(again.endpoints.map((e) => [e.name, e.total.requests])).toEqual(original.endpoints.map((e) => [e.name, e.total.requests]));
  });
});

describe.each(Object.entries(DAMAGE))('a verdict.json %s', (_how, { damage, says }) => {
  let dir: string;
  beforeAll(async () => {
    dir = await damaged('verdict.json', damage(await readFile(join(good, 'verdict.json'), 'utf8')));
  });

  it('report: exit 5 naming it and what is wrong, nothing rewritten', async () => {
    const before = await snapshot(dir);
    const r = await cli(['report', dir]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(said(join(dir, 'verdict.json'), says('verdict')));
    expect(r.stderr).not.toMatch(STACK);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('verdict reads no verdict: it writes it anew, whole again', async () => {
    const copy = await damaged('verdict.json', damage(await readFile(join(good, 'verdict.json'), 'utf8')));
    const r = await cli(['verdict', copy]);
    expect(r.code, r.stderr).toBe(0);
    const again = JSON.parse(await readFile(join(copy, 'verdict.json'), 'utf8')) as { status: string };
    const original = JSON.parse(await readFile(join(good, 'verdict.json'), 'utf8')) as { status: string };
    expect(again.status).toBe(original.status);
  });
});
