/**
 * The run directory's files, read and written with one policy (STYLE.md rule 13):
 * - a missing optional file is `null`; a missing mandatory one is a `RunFileError` naming it;
 * - a file that is not JSON, is another kind of file, is of a format version this loadgate does
 *   not read, or does not match its schema is a `RunFileError` (a DataError: exit 5) that names
 *   the file and what is wrong (for the schema, the path inside the file: lib/contract/issues.ts);
 * - an older version is migrated to the current one on read (the spec's `parse`);
 * - writes are atomic: a temp file in the same directory, then a rename over the old file, so a
 *   reader (or a run killed mid-write) sees the old file or the new one, never a half-written one.
 *
 * A kind of file is a `RunFile` spec (`defineRunFile`); every run file's is in `RUN_FILES` below.
 * Pure of stages: imports only the contract.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ANALYSIS_VERSION, AnalysisSchema, type Analysis } from './analysis.ts';
import { DataError } from './errors.ts';
import { HistoryJudgementSchema, SourceSchema, type HistoryJudgement, type Source } from './history.ts';
import { formatIssues } from './issues.ts';
import { parsePlan, PLAN_VERSION, type Plan } from './plan.ts';
import { VERDICT_VERSION, VerdictSchema, type Verdict } from './verdict.ts';
import {
  GENERATOR_FILE,
  GENERATOR_FILE_VERSION,
  GeneratorFileSchema,
  RUN_RECORD_VERSION,
  RunRecordSchema,
  type GeneratorFile,
  type RunRecord,
} from './run.ts';

/** What is wrong with a run file. */
export type RunFileProblem = 'missing' | 'unreadable' | 'json' | 'kind' | 'version' | 'schema';

/** A run file that cannot be read as what it should be: exit 5, the message names the file. */
export class RunFileError extends DataError {
  constructor(
    readonly file: string,
    readonly problem: RunFileProblem,
    message: string,
  ) {
    super(message);
  }
}

/** One kind of run file: its name, its kind and versions, how it is checked and written. */
export interface RunFile<T, O extends boolean = boolean> {
  /** Its name in a run directory. */
  readonly name: string;
  /** What it is, for messages: `plan`, `run record`, `analysis`. */
  readonly what: string;
  /** Its `kind` field. */
  readonly kind: string;
  /** The version written. */
  readonly version: number;
  /** The versions read (older ones migrated to `version`). */
  readonly versions: readonly number[];
  /** A missing file reads as null (true) or is an error (false). */
  readonly optional: O;
  /** The parsed JSON → the current version: validates, migrates; throws zod's error. */
  readonly migrate: (value: unknown) => T;
  /** Text → the current version, or a RunFileError naming `file`. */
  parse(text: string, file: string): T;
  /** The value → the file's text. */
  serialize(value: T): string;
  /** What to do about a missing file or an unknown version, appended to those messages. */
  readonly hint: { missing?: string; version?: string };
}

export interface RunFileDefinition<T, O extends boolean> {
  name: string;
  what: string;
  kind: string;
  version: number;
  /** Default: only `version`. */
  versions?: readonly number[];
  optional: O;
  migrate: (value: unknown) => T;
  /** JSON indentation (0: one line). Default 2. */
  indent?: number;
  /** Checks a value before it is written (throws); default none. */
  check?: (value: T) => T;
  hint?: { missing?: string; version?: string };
}

const an = (what: string) => (/^[aeiou]/i.test(what) ? `an ${what}` : `a ${what}`);

export function defineRunFile<T, O extends boolean>(def: RunFileDefinition<T, O>): RunFile<T, O> {
  const versions = def.versions ?? [def.version];
  const indent = def.indent ?? 2;
  const hint = def.hint ?? {};
  const spec: RunFile<T, O> = {
    name: def.name,
    what: def.what,
    kind: def.kind,
    version: def.version,
    versions,
    optional: def.optional,
    migrate: def.migrate,
    hint,
    parse(text: string, file: string): T {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new RunFileError(file, 'json', `${file} is not valid JSON: ${(err as Error).message}`);
      }
      const head = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { kind?: unknown; version?: unknown }) : null;
      if (head === null || head.kind !== def.kind) {
        throw new RunFileError(file, 'kind', `${file} is not a loadgate ${def.what} (kind ${JSON.stringify(head?.kind) ?? 'absent'})`);
      }
      if (!versions.includes(head.version as number)) {
        const reads = versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(', ')}`;
        throw new RunFileError(
          file,
          'version',
          `${file} is ${an(def.what)} of format version ${JSON.stringify(head.version) ?? 'absent'}; this loadgate reads ${reads}.${hint.version ? ` ${hint.version}` : ''}`,
        );
      }
      try {
        return def.migrate(raw);
      } catch (err) {
        throw new RunFileError(file, 'schema', `${file} is not a valid ${def.what}: ${formatIssues(err)}`);
      }
    },
    serialize(value: T): string {
      const checked = def.check ? def.check(value) : value;
      return `${indent > 0 ? JSON.stringify(checked, null, indent) : JSON.stringify(checked)}\n`;
    },
  };
  return spec;
}

/**
 * For files read once or twice per process: zod's JIT compiles a parser per object schema on its
 * first parse, which costs more than it saves here (~35 % less CPU on the analysis file's first
 * parse without it). The result is the same either way.
 */
const ONE_SHOT = { jitless: true } as const;

const PLAN_FILE = defineRunFile<Plan, true>({
  name: 'plan.json',
  what: 'plan',
  kind: 'loadgate.plan',
  version: PLAN_VERSION,
  versions: [1, PLAN_VERSION],
  // No plan (an analysis of k6 results made elsewhere): stages and endpoints come from the samples.
  optional: true,
  migrate: parsePlan,
});

const RUN_RECORD_FILE = defineRunFile<RunRecord, true>({
  name: 'run.json',
  what: 'run record',
  kind: 'loadgate.run',
  version: RUN_RECORD_VERSION,
  // k6 results made by another tool have none: the analysis lists the raw files itself.
  optional: true,
  migrate: (v) => RunRecordSchema.parse(v, ONE_SHOT),
});

const GENERATOR_FILE_SPEC = defineRunFile<GeneratorFile, true>({
  name: GENERATOR_FILE,
  what: 'generator file',
  kind: 'loadgate.generator',
  version: GENERATOR_FILE_VERSION,
  // A run from before it, k6 run elsewhere, a system without /proc.
  optional: true,
  migrate: (v) => GeneratorFileSchema.parse(v, ONE_SHOT),
  // Rewritten every few seconds while k6 runs: one line.
  indent: 0,
});

const ANALYSIS_FILE_SPEC = defineRunFile<Analysis, false>({
  name: 'analysis.json',
  what: 'analysis',
  kind: 'loadgate.analysis',
  version: ANALYSIS_VERSION,
  optional: false,
  migrate: (v) => AnalysisSchema.parse(v, ONE_SHOT),
  // The contract downstream: never written unless it matches its schema.
  check: (a) => AnalysisSchema.parse(a, ONE_SHOT),
  // One space: the file is read by people too, and two spaces make a large one ~15 % bigger.
  indent: 1,
  hint: {
    missing: 'Run `loadgate analyze` on its run directory first.',
    version: 'Re-run `loadgate analyze` on its run directory.',
  },
});

const VERDICT_FILE = defineRunFile<Verdict, true>({
  name: 'verdict.json',
  what: 'verdict',
  kind: 'loadgate.verdict',
  version: VERDICT_VERSION,
  // A run not judged yet has none (the reports then show no verdict).
  optional: true,
  migrate: (v) => VerdictSchema.parse(v, ONE_SHOT),
  hint: { version: 'Re-run `loadgate verdict` on its run directory.' },
});

const AGAINST_HISTORY_FILE = defineRunFile<HistoryJudgement, true>({
  name: 'against-history.json',
  what: 'history judgement',
  kind: 'loadgate.against-history',
  version: 1,
  // Only with `--against-history`.
  optional: true,
  migrate: (v) => HistoryJudgementSchema.parse(v, ONE_SHOT),
});

const SOURCE_FILE = defineRunFile<Source, true>({
  name: 'source.json',
  what: 'source record',
  kind: 'loadgate.source',
  version: 1,
  // Written when the run is first recorded in the history.
  optional: true,
  migrate: (v) => SourceSchema.parse(v, ONE_SHOT),
});

/** The run files, every one with its schema in the contract. */
export const RUN_FILES = {
  plan: PLAN_FILE,
  run: RUN_RECORD_FILE,
  generator: GENERATOR_FILE_SPEC,
  analysis: ANALYSIS_FILE_SPEC,
  verdict: VERDICT_FILE,
  againstHistory: AGAINST_HISTORY_FILE,
  source: SOURCE_FILE,
} as const;

/** A read's result: null only for an optional file that is missing. */
export type ReadResult<T, O extends boolean> = O extends true ? T | null : T;

function readError<T, O extends boolean>(spec: RunFile<T, O>, file: string, err: unknown): ReadResult<T, O> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    if (spec.optional) return null as ReadResult<T, O>;
    throw new RunFileError(
      file,
      'missing',
      `${file} does not exist (the ${spec.what} is needed).${spec.hint.missing ? ` ${spec.hint.missing}` : ''}`,
    );
  }
  throw new RunFileError(file, 'unreadable', `cannot read the ${spec.what} ${file}: ${code ?? String(err)}`);
}

/** Reads one run file at any path (e.g. an analysis written with `--out`) with the run files' policy. */
export async function readRunFile<T, O extends boolean>(spec: RunFile<T, O>, file: string): Promise<ReadResult<T, O>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return readError(spec, file, err);
  }
  return spec.parse(text, file);
}

/** `readRunFile`, synchronously. */
export function readRunFileSync<T, O extends boolean>(spec: RunFile<T, O>, file: string): ReadResult<T, O> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return readError(spec, file, err);
  }
  return spec.parse(text, file);
}

/**
 * Writes `text` to `file` atomically: a temp file in the same directory (so the rename stays on
 * one file system), then a rename over `file`. A failed write removes the temp file and leaves
 * the old file as it was; its error (Node's, code and syscall kept) names `file`, not the temp file,
 * also when Node's does not name one (a write that found the disk full).
 */
export async function writeAtomic(file: string, text: string | Uint8Array): Promise<string> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (err instanceof Error) {
      err.message = err.message.replace(`'${tmp}' -> '${file}'`, `'${file}'`).replaceAll(tmp, file);
      const e = err as Error & { path?: unknown; dest?: unknown };
      if (e.path === tmp) e.path = file;
      if (e.dest === file) delete e.dest;
      // A failed write(2) (a full disk: ENOSPC) carries no path; name the file as Node names it for open(2).
      if (e.path === undefined && !err.message.includes(file)) {
        err.message = `${err.message} '${file}'`;
        e.path = file;
      }
    }
    throw err;
  }
  return file;
}

/** Writes one run file at any path, atomically; returns the path. */
export async function writeRunFile<T>(spec: RunFile<T>, file: string, value: T): Promise<string> {
  return writeAtomic(file, spec.serialize(value));
}

/** A run directory: every run file in it read and written with the one policy above. */
export class RunDir {
  constructor(readonly dir: string) {}

  /** The path of a file in the directory, by spec or name. */
  path(file: string | { name: string }): string {
    return join(this.dir, typeof file === 'string' ? file : file.name);
  }

  read<T, O extends boolean>(spec: RunFile<T, O>): Promise<ReadResult<T, O>> {
    return readRunFile(spec, this.path(spec));
  }

  readSync<T, O extends boolean>(spec: RunFile<T, O>): ReadResult<T, O> {
    return readRunFileSync(spec, this.path(spec));
  }

  /** Writes a run file atomically; returns its path. */
  write<T>(spec: RunFile<T>, value: T): Promise<string> {
    return writeRunFile(spec, this.path(spec), value);
  }

  /** Writes a file without a schema (junit.xml, summary.md, report.html, k6's summary) atomically; returns its path. */
  writeText(name: string, text: string | Uint8Array): Promise<string> {
    return writeAtomic(this.path(name), text);
  }
}
