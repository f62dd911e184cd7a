/**
 * Recording runs in the history: one run after `loadgate run` (lib/pipeline/post.ts) or `loadgate
 * verdict`, and every run directory under a results directory for `loadgate history import`.
 * The run directory is read (analysis.json, verdict.json, source.json), never changed, except
 * that a run recorded for the first time gets its `source.json` (commit and branch).
 */
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Analysis } from '../contract/analysis.ts';
import type { Verdict } from '../contract/verdict.ts';
import { RUN_FILES } from '../contract/run-dir.ts';
import { readRunInputs } from '../contract/run-inputs.ts';
import { readSource, sourceFor } from './source.ts';
import { summarizeRun } from './summarize.ts';
import { HistoryCorruptError, HistoryStore, historyPath } from './store.ts';
import type { HistoryEntry } from '../contract/history.ts';

/** The run directory as the history keeps it: relative to the history's directory when inside it. */
export function storedRunDir(historyFile: string, runDir: string): string {
  const base = resolve(dirname(historyFile));
  const abs = resolve(runDir);
  const rel = relative(base, abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : abs;
}

/** The run directory of an entry, as a path usable from here. */
export function entryRunDir(historyFile: string, entry: Pick<HistoryEntry, 'runDir'>): string {
  return isAbsolute(entry.runDir) ? entry.runDir : resolve(dirname(historyFile), entry.runDir);
}

export interface RecordOptions {
  /** The history file; default `<parent of runDir>/history.sqlite` (the run's results directory). */
  historyFile?: string;
  /** Already read by the caller (post-processing), to save reading them again. */
  analysis?: Analysis;
  verdict?: Verdict | null;
  /** Detect (and write) the run's source.json when it has none: at run time, not at import. */
  detectSource?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

/** Builds a run directory's entry. */
export async function entryFor(runDir: string, o: RecordOptions = {}): Promise<HistoryEntry> {
  const file = o.historyFile ?? historyPath(dirname(resolve(runDir)));
  let analysis = o.analysis;
  let verdict = o.verdict;
  if (!analysis || verdict === undefined) {
    const inputs = await readRunInputs(runDir);
    analysis ??= inputs.analysis;
    verdict ??= inputs.verdict;
  }
  const source = o.detectSource ? await sourceFor(runDir, o.env) : await readSource(runDir);
  return summarizeRun({ analysis, verdict: verdict ?? null, source, runDir: storedRunDir(file, runDir) });
}

/** Records one run (idempotent: recording it again replaces its record); returns the entry. */
export async function recordRun(runDir: string, o: RecordOptions = {}): Promise<HistoryEntry> {
  const file = o.historyFile ?? historyPath(dirname(resolve(runDir)));
  const entry = await entryFor(runDir, { ...o, historyFile: file });
  const store = HistoryStore.open(file, { create: true });
  try {
    store.record([entry], o.now);
  } finally {
    store.close();
  }
  return entry;
}

/** A directory that a run wrote into (even one that never got an analysis). */
function looksLikeRunDir(names: Set<string>): boolean {
  return [RUN_FILES.analysis.name, RUN_FILES.run.name, RUN_FILES.plan.name, 'raw.ndjson.gz'].some((n) => names.has(n));
}

/** Run directories under `dirs`: each one given, or each of its sub-directories that a run wrote into. */
async function runDirsUnder(dirs: readonly string[], warn: (l: string) => void): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) {
      warn(`${dir}: not a directory, skipped`);
      continue;
    }
    const own = new Set(await readdir(dir));
    if (looksLikeRunDir(own)) {
      out.push(resolve(dir));
      continue;
    }
    for (const d of (await readdir(dir, { withFileTypes: true }))
      .filter((x) => x.isDirectory())
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const sub = join(dir, d.name);
      if (looksLikeRunDir(new Set(await readdir(sub)))) out.push(resolve(sub));
    }
  }
  return out;
}

export interface ImportOptions {
  historyFile: string;
  /** Start from an empty history (the old file is replaced once the new one is complete). */
  rebuild?: boolean;
  warn: (line: string) => void;
  now?: Date;
}

export interface ImportResult {
  recorded: number;
  skipped: number;
  /** Where an unreadable history was moved to before it was rebuilt. */
  movedAside: string | null;
  total: number;
}

/** Moves a damaged history (and its journal, which SQLite would otherwise replay into the new file) out of the way. */
async function moveAside(file: string, now: Date): Promise<string> {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const aside = `${file}.unreadable-${stamp}`;
  await rename(file, aside);
  if (existsSync(`${file}-journal`)) await rename(`${file}-journal`, `${aside}-journal`);
  return aside;
}

/**
 * `loadgate history import`: records every run directory under `dirs`. A directory without a
 * readable analysis.json is skipped with a warning naming it. An unreadable history is moved
 * aside (named in a warning) and rebuilt; `rebuild` builds a new one in any case.
 */
export async function importRuns(dirs: readonly string[], o: ImportOptions): Promise<ImportResult> {
  const now = o.now ?? new Date();
  const runDirs = await runDirsUnder(dirs, o.warn);
  const entries: HistoryEntry[] = [];
  let skipped = 0;
  for (const dir of runDirs) {
    if (!existsSync(join(dir, RUN_FILES.analysis.name))) {
      o.warn(`${dir}: no ${RUN_FILES.analysis.name}, skipped (run \`loadgate analyze ${dir}\` first)`);
      skipped++;
      continue;
    }
    try {
      entries.push(await entryFor(dir, { historyFile: o.historyFile }));
    } catch (err) {
      o.warn(`${dir}: skipped: ${err instanceof Error ? err.message : String(err)}`);
      skipped++;
    }
  }
  let movedAside: string | null = null;
  let store: HistoryStore;
  if (o.rebuild) {
    // Built beside the old file and renamed over it when complete: readers never see half a history.
    const tmp = `${o.historyFile}.rebuild-${process.pid}`;
    await rm(tmp, { force: true });
    const fresh = HistoryStore.open(tmp, { create: true });
    try {
      fresh.record(entries, now);
    } finally {
      fresh.close();
    }
    if (existsSync(`${o.historyFile}-journal`)) await rm(`${o.historyFile}-journal`, { force: true });
    await rename(tmp, o.historyFile);
    return { recorded: entries.length, skipped, movedAside, total: entries.length };
  }
  try {
    store = HistoryStore.open(o.historyFile, { create: true });
  } catch (err) {
    if (!(err instanceof HistoryCorruptError)) throw err;
    movedAside = await moveAside(o.historyFile, now);
    o.warn(`the history ${o.historyFile} was unreadable; moved to ${movedAside} and rebuilt from the run directories`);
    store = HistoryStore.open(o.historyFile, { create: true });
  }
  try {
    store.record(entries, now);
    return { recorded: entries.length, skipped, movedAside, total: store.count() };
  } catch (err) {
    if (!(err instanceof HistoryCorruptError)) throw err;
    // Damage found past the header (a torn page): the same remedy.
    store.close();
    movedAside = await moveAside(o.historyFile, now);
    o.warn(`the history ${o.historyFile} was unreadable; moved to ${movedAside} and rebuilt from the run directories`);
    store = HistoryStore.open(o.historyFile, { create: true });
    store.record(entries, now);
    return { recorded: entries.length, skipped, movedAside, total: store.count() };
  } finally {
    store.close();
  }
}
