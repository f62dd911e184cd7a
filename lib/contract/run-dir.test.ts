import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DataError, ExitCode } from './errors.ts';
import { defineRunFile, RUN_FILES, RunDir, RunFileError, readRunFileSync, writeAtomic, type RunFile } from './run-dir.ts';

/** A small kind of file with two versions: v1 had `n` as a string. */
const ThingSchema = z
  .object({
    kind: z.literal('loadgate.thing'),
    version: z.literal(2),
    n: z.number().int(),
    items: z.array(z.object({ x: z.number() }).strict()),
  })
  .strict();
type Thing = z.infer<typeof ThingSchema>;
const ThingV1Schema = z.object({ kind: z.literal('loadgate.thing'), version: z.literal(1), n: z.string() }).strict();
const migrate = (v: unknown): Thing => {
  if ((v as { version?: unknown }).version === 1) {
    const old = ThingV1Schema.parse(v);
    return { kind: 'loadgate.thing', version: 2, n: Number(old.n), items: [] };
  }
  return ThingSchema.parse(v);
};
const def = { name: 'thing.json', what: 'thing', kind: 'loadgate.thing', version: 2, versions: [1, 2], migrate } as const;
const OPTIONAL = defineRunFile<Thing, true>({ ...def, optional: true });
const MANDATORY = defineRunFile<Thing, false>({ ...def, optional: false, hint: { missing: 'Make one first.' } });
const thing: Thing = { kind: 'loadgate.thing', version: 2, n: 3, items: [{ x: 1 }] };

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'loadgate-rundir-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
async function dir(files: Record<string, string> = {}): Promise<RunDir> {
  const d = join(root, `run${n++}`);
  await mkdir(d);
  for (const [name, text] of Object.entries(files)) await writeFile(join(d, name), text);
  return new RunDir(d);
}

/** The error a read throws (async and sync give the same). */
async function failure(run: RunDir, spec: typeof OPTIONAL | typeof MANDATORY): Promise<RunFileError> {
  const sync = (() => {
    try {
      run.readSync(spec);
    } catch (err) {
      return err;
    }
    return null;
  })();
  const err = await run.read(spec).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunFileError);
  expect((sync as Error).message).toBe((err as Error).message);
  return err as RunFileError;
}

describe('RunDir reads', () => {
  it('a missing optional file is null, sync or not', async () => {
    const run = await dir();
    expect(await run.read(OPTIONAL)).toBeNull();
    expect(run.readSync(OPTIONAL)).toBeNull();
    const optional: RunFile<unknown, boolean>[] = Object.values(RUN_FILES).filter((f) => f.optional);
    expect(optional.map((f) => f.name).sort()).toEqual([
      'against-history.json',
      'generator.json',
      'plan.json',
      'run.json',
      'source.json',
      'verdict.json',
    ]);
    for (const spec of optional) expect(await run.read(spec)).toBeNull();
  });

  it('a missing mandatory file is a typed error (exit 5) naming the file and what to do', async () => {
    const run = await dir();
    const err = await failure(run, MANDATORY);
    expect(err).toBeInstanceOf(DataError);
    expect(err.exitCode).toBe(ExitCode.data);
    expect(err.problem).toBe('missing');
    expect(err.file).toBe(run.path('thing.json'));
    expect(err.message).toBe(`${run.path('thing.json')} does not exist (the thing is needed). Make one first.`);
    const analysis = await run.read(RUN_FILES.analysis).catch((e: unknown) => e as RunFileError);
    expect(analysis).toBeInstanceOf(RunFileError);
    expect((analysis as RunFileError).message).toMatch(/analysis\.json does not exist \(the analysis is needed\)\. Run `loadgate analyze`/);
  });

  it('reads the current version and migrates an older one', async () => {
    expect(await (await dir({ 'thing.json': JSON.stringify(thing) })).read(MANDATORY)).toEqual(thing);
    const old = await dir({ 'thing.json': JSON.stringify({ kind: 'loadgate.thing', version: 1, n: '7' }) });
    expect(await old.read(OPTIONAL)).toEqual({ kind: 'loadgate.thing', version: 2, n: 7, items: [] });
  });

  it.each<[string, string, RunFileError['problem'], RegExp]>([
    ['torn JSON', '{"kind":"loadgate.thing","vers', 'json', /thing\.json is not valid JSON: /],
    ['empty', '', 'json', /thing\.json is not valid JSON: /],
    [
      'another kind',
      JSON.stringify({ kind: 'loadgate.plan', version: 2 }),
      'kind',
      /thing\.json is not a loadgate thing \(kind "loadgate\.plan"\)$/,
    ],
    ['no object', '[1]', 'kind', /thing\.json is not a loadgate thing \(kind absent\)$/],
    [
      'another version',
      JSON.stringify({ ...thing, version: 9 }),
      'version',
      /thing\.json is a thing of format version 9; this loadgate reads versions 1, 2\.$/,
    ],
    [
      'a bad field',
      JSON.stringify({ ...thing, items: [{ x: 1 }, { x: 'one' }] }),
      'schema',
      /thing\.json is not a valid thing: items\.1\.x: /,
    ],
    [
      'an unknown key',
      JSON.stringify({ ...thing, extra: true }),
      'schema',
      /thing\.json is not a valid thing: \(root\): Unrecognized key: "extra"/,
    ],
    [
      'a bad older version',
      JSON.stringify({ kind: 'loadgate.thing', version: 1, n: 7 }),
      'schema',
      /thing\.json is not a valid thing: n: /,
    ],
  ])('%s: a typed error naming the file and what is wrong, optional or not', async (_what, text, problem, message) => {
    const run = await dir({ 'thing.json': text });
    for (const spec of [OPTIONAL, MANDATORY]) {
      const err = await failure(run, spec);
      expect(err.problem).toBe(problem);
      expect(err.exitCode).toBe(ExitCode.data);
      expect(err.message.startsWith(run.path('thing.json'))).toBe(true);
      expect(err.message).toMatch(message);
    }
  });

  it('a file that cannot be read (a directory in its place) is an error even when optional', async () => {
    const run = await dir();
    await mkdir(run.path('thing.json'));
    const err = await failure(run, OPTIONAL);
    expect(err.problem).toBe('unreadable');
    expect(err.message).toBe(`cannot read the thing ${run.path('thing.json')}: EISDIR`);
  });

  it('the contract files name the path inside them', async () => {
    const run = await dir({
      'generator.json': JSON.stringify({
        kind: 'loadgate.generator',
        version: 1,
        cores: 0,
        clockTicks: 100,
        intervalMs: 1000,
        processes: [],
        samples: [],
      }),
    });
    await expect(run.read(RUN_FILES.generator)).rejects.toThrow(`${run.path('generator.json')} is not a valid generator file: cores: `);
    const plan = await dir({ 'plan.json': JSON.stringify({ kind: 'loadgate.plan', version: 999 }) });
    await expect(plan.read(RUN_FILES.plan)).rejects.toThrow(
      `${plan.path('plan.json')} is a plan of format version 999; this loadgate reads versions 1, 2.`,
    );
  });
});

describe('RunDir writes', () => {
  it('writes what it reads back, and leaves no temp file', async () => {
    const run = await dir();
    expect(await run.write(MANDATORY, thing)).toBe(run.path('thing.json'));
    expect(await run.read(MANDATORY)).toEqual(thing);
    expect(await run.writeText('summary.md', '# ok\n')).toBe(run.path('summary.md'));
    expect((await readdir(run.dir)).sort()).toEqual(['summary.md', 'thing.json']);
  });

  it('a check that refuses the value writes nothing', async () => {
    const run = await dir();
    const checked = defineRunFile<Thing, false>({ ...def, optional: false, check: (t) => ThingSchema.parse(t) });
    await expect(run.write(checked, { ...thing, n: 1.5 })).rejects.toThrow();
    expect(await readdir(run.dir)).toEqual([]);
  });

  it('a failed write leaves the old file as it was and no temp file', async () => {
    const run = await dir({ 'thing.json': JSON.stringify(thing) });
    // A directory where the file goes: the rename fails after the temp file was written.
    await mkdir(run.path('report.html'));
    const err = await run.writeText('report.html', '<html>').catch((e: unknown) => e as NodeJS.ErrnoException);
    expect(err).toMatchObject({ code: 'EISDIR', syscall: 'rename', path: run.path('report.html') });
    // The error names the file the caller asked for, never the temp file.
    expect((err as Error).message).toBe(`EISDIR: illegal operation on a directory, rename '${run.path('report.html')}'`);
    expect((await readdir(run.dir)).sort()).toEqual(['report.html', 'thing.json']);
    // A directory that does not exist: nothing is made.
    const nope = join(run.dir, 'nope', 'x.json');
    await expect(writeAtomic(nope, '{}')).rejects.toThrow(`ENOENT: no such file or directory, open '${nope}'`);
    expect(await readFile(run.path('thing.json'), 'utf8')).toBe(JSON.stringify(thing));
  });

  it('a reader never sees a half-written file while it is rewritten', async () => {
    const run = await dir();
    const big = (i: number): Thing => ({ ...thing, n: i, items: Array.from({ length: 5_000 }, (_, x) => ({ x })) });
    await run.write(MANDATORY, big(0));
    let writing = true;
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        // Throws on a torn file; the writer below never stops between two writes.
        expect(readRunFileSync(MANDATORY, run.path(MANDATORY)).items).toHaveLength(5_000);
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 1; i <= 20; i++) await run.write(MANDATORY, big(i));
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await run.read(MANDATORY)).n).toBe(20);
    expect(await readdir(run.dir)).toEqual(['thing.json']);
  });
});
