/**
 * The history index: an embedded SQLite database in one file, `<outDir>/history.sqlite`.
 *
 * Why SQLite (through libsql, whose native build ships inside its npm package): one portable
 * file any SQLite tool can read; transactions, so a run is recorded whole or not at all; and
 * SQLite's own file locking, so two runs finishing at once both land (each write is one
 * `BEGIN IMMEDIATE` transaction; a writer that finds the file locked waits up to `BUSY_MS`).
 * The rollback journal (not WAL) keeps it one file between writes, safe to copy or cache.
 *
 * Versioned: `PRAGMA user_version` is the store version and `PRAGMA application_id` marks the
 * file as loadgate's. Opening runs the migrations from the file's version to the current one, in
 * the same write transaction, so concurrent openers migrate once. A file of a newer version is
 * refused, named, and left untouched. A corrupt file (or any file that is not this database) is a
 * DataError (exit 5) that says how to rebuild it: the run directories are the source of truth.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'libsql';
import { DataError, InfraError } from '../contract/errors.ts';
import { HistoryEntrySchema, type HistoryEntry, type HistoryFilter, type HistoryRun } from '../contract/history.ts';

export const HISTORY_FILE = 'history.sqlite';
/** 'LGHI': marks the SQLite file as a loadgate history. */
export const APPLICATION_ID = 0x4c474849;
/** How long a writer waits for another process's transaction before giving up. */
export const BUSY_MS = 15_000;

type Db = InstanceType<typeof Database>;

export interface Migration {
  /** The store version this migration produces (the previous one is `to - 1`). */
  to: number;
  up(db: Db): void;
}

/** The migration chain; the last `to` is the current store version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    to: 1,
    up(db) {
      db.exec(`
        CREATE TABLE runs (
          run_id TEXT PRIMARY KEY,
          started_at TEXT NOT NULL,
          scenario TEXT, profile TEXT, phase TEXT, target TEXT,
          shape TEXT NOT NULL,
          shape_label TEXT NOT NULL,
          git_commit TEXT, git_branch TEXT,
          k6_version TEXT,
          status TEXT NOT NULL,
          verdict TEXT, verdict_set TEXT, production TEXT,
          valid INTEGER,
          requests INTEGER NOT NULL,
          offered_rps REAL, goodput_rps REAL, throughput_target REAL,
          run_dir TEXT NOT NULL,
          recorded_at TEXT NOT NULL
        );
        CREATE INDEX runs_shape_time ON runs (shape, started_at);
        CREATE INDEX runs_time ON runs (started_at);
        CREATE TABLE endpoints (
          run_id TEXT NOT NULL,
          position INTEGER NOT NULL,
          endpoint TEXT NOT NULL,
          grp TEXT,
          requests INTEGER NOT NULL,
          p50 REAL, p95 REAL, p99 REAL,
          p95_censored INTEGER NOT NULL,
          error_rate REAL, timeout_rate REAL, goodput_rps REAL,
          target_p95 REAL, target_error_rate REAL, target_timeout_rate REAL,
          PRIMARY KEY (run_id, endpoint)
        );
      `);
    },
  },
];

export const STORE_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.to ?? 0;

export function historyPath(outDir: string): string {
  return join(outDir, HISTORY_FILE);
}

/** The history file is unreadable: not a database, damaged, or not loadgate's. */
export class HistoryCorruptError extends DataError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(
      `the history ${file} is unreadable (${detail}): rebuild it from the run directories with \`loadgate history import <results-dir>\` (nothing is lost: every run is kept in its own directory)`,
    );
  }
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_FORMAT']);

/** SQLite errors in the loadgate vocabulary: damage → HistoryCorruptError, a lock held too long → InfraError. */
function translate(file: string, err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CORRUPT.has(code)) return new HistoryCorruptError(file, (err as Error).message);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new InfraError(`the history ${file} stayed locked by another process for ${BUSY_MS / 1000} s`, { cause: err });
  }
  return err;
}

/** The runs table's columns in the order reads select them (raw rows: arrays, not objects, for speed). */
const RUN_COLUMNS = [
  'run_id',
  'started_at',
  'scenario',
  'profile',
  'phase',
  'target',
  'shape',
  'shape_label',
  'git_commit',
  'git_branch',
  'k6_version',
  'status',
  'verdict',
  'verdict_set',
  'production',
  'valid',
  'requests',
  'offered_rps',
  'goodput_rps',
  'throughput_target',
  'run_dir',
] as const;

const ENDPOINT_COLUMNS = [
  'run_id',
  'position',
  'endpoint',
  'grp',
  'requests',
  'p50',
  'p95',
  'p99',
  'p95_censored',
  'error_rate',
  'timeout_rate',
  'goodput_rps',
  'target_p95',
  'target_error_rate',
  'target_timeout_rate',
] as const;

type Raw = unknown[];
type Cell = string | number | null;
const at = (row: Raw, i: number) => row[i] as Cell;

function runOf(r: Raw): Omit<HistoryEntry, 'endpoints'> {
  const valid = at(r, 15);
  return {
    runId: at(r, 0) as string,
    startedAt: at(r, 1) as string,
    scenario: at(r, 2) as string | null,
    profile: at(r, 3) as string | null,
    phase: at(r, 4) as string | null,
    target: at(r, 5) as string | null,
    shape: at(r, 6) as string,
    shapeLabel: at(r, 7) as string,
    commit: at(r, 8) as string | null,
    branch: at(r, 9) as string | null,
    k6Version: at(r, 10) as string | null,
    status: at(r, 11) as HistoryEntry['status'],
    verdict: at(r, 12) as HistoryEntry['verdict'],
    verdictSet: at(r, 13) as string | null,
    production: at(r, 14) as HistoryEntry['production'],
    valid: valid === null ? null : valid !== 0,
    requests: at(r, 16) as number,
    offeredRps: at(r, 17) as number | null,
    goodputRps: at(r, 18) as number | null,
    throughputTarget: at(r, 19) as number | null,
    runDir: at(r, 20) as string,
  };
}

function endpointOf(e: Raw): HistoryEntry['endpoints'][number] {
  return {
    name: at(e, 2) as string,
    group: at(e, 3) as string | null,
    requests: at(e, 4) as number,
    p50: at(e, 5) as number | null,
    p95: at(e, 6) as number | null,
    p99: at(e, 7) as number | null,
    p95Censored: at(e, 8) !== 0,
    errorRate: at(e, 9) as number | null,
    timeoutRate: at(e, 10) as number | null,
    goodputRps: at(e, 11) as number | null,
    targets: { p95: at(e, 12) as number | null, errorRate: at(e, 13) as number | null, timeoutRate: at(e, 14) as number | null },
  };
}

const RUNS_SELECT = `SELECT ${RUN_COLUMNS.join(', ')} FROM runs`;
const ENDPOINTS_SELECT = `SELECT ${ENDPOINT_COLUMNS.map((c) => `e.${c}`).join(', ')} FROM endpoints e`;

export interface OpenOptions {
  /** Create the file when it does not exist (recording); else a missing file is an error (reading). */
  create?: boolean;
  /** The migration chain (tests give their own to exercise a migration). */
  migrations?: readonly Migration[];
}

/** The history has no file yet. */
export class NoHistoryError extends DataError {
  constructor(readonly file: string) {
    super(
      `no history at ${file}: \`loadgate run\` records every run there; \`loadgate history import <results-dir>\` builds it from existing run directories`,
    );
  }
}

export class HistoryStore {
  private constructor(
    readonly file: string,
    private readonly db: Db,
  ) {}

  /** Opens (and when asked, creates) the history and brings it to the current version. */
  static open(file: string, opts: OpenOptions = {}): HistoryStore {
    if (!opts.create && !existsSync(file)) throw new NoHistoryError(file);
    let db: Db;
    try {
      db = new Database(file);
    } catch (err) {
      throw translate(file, err);
    }
    const store = new HistoryStore(file, db);
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_MS}`);
      store.migrate(opts.migrations ?? MIGRATIONS);
    } catch (err) {
      db.close();
      throw translate(file, err);
    }
    return store;
  }

  private pragma(name: string): number {
    const row = this.db.prepare(`PRAGMA ${name}`).all()[0] as Record<string, unknown> | undefined;
    return Number(row?.[name] ?? 0);
  }

  private migrate(migrations: readonly Migration[]): void {
    const latest = migrations[migrations.length - 1]?.to ?? 0;
    // A quick look before taking the write lock: the common case (current version) never writes.
    if (this.pragma('user_version') === latest && this.pragma('application_id') === APPLICATION_ID) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const version = this.pragma('user_version');
      const appId = this.pragma('application_id');
      const tables = Number((this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").all()[0] as { n: number }).n);
      if (appId !== APPLICATION_ID && (appId !== 0 || tables > 0)) {
        throw new HistoryCorruptError(this.file, 'an SQLite database, but not a loadgate history');
      }
      if (version > latest) {
        throw new DataError(
          `the history ${this.file} has store version ${version}, newer than this loadgate reads (${latest}): use a newer loadgate, or rebuild it with \`loadgate history import --rebuild\``,
        );
      }
      for (const m of migrations) if (m.to > version) m.up(this.db);
      this.db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      this.db.exec(`PRAGMA user_version = ${latest}`);
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  get version(): number {
    return this.pragma('user_version');
  }

  /** Runs `fn` in one write transaction (taken at once: BEGIN IMMEDIATE). */
  private write<T>(fn: () => T): T {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = fn();
        this.db.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      throw translate(this.file, err);
    }
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translate(this.file, err);
    }
  }

  /** Records runs (insert, or replace the run's previous record: recording is idempotent), all in one transaction. */
  record(entries: readonly HistoryEntry[], now: Date = new Date()): void {
    if (entries.length === 0) return;
    const upsert = this.db.prepare(`
      INSERT INTO runs (run_id, started_at, scenario, profile, phase, target, shape, shape_label, git_commit, git_branch,
        k6_version, status, verdict, verdict_set, production, valid, requests, offered_rps, goodput_rps, throughput_target,
        run_dir, recorded_at)
      VALUES (:run_id, :started_at, :scenario, :profile, :phase, :target, :shape, :shape_label, :git_commit, :git_branch,
        :k6_version, :status, :verdict, :verdict_set, :production, :valid, :requests, :offered_rps, :goodput_rps, :throughput_target,
        :run_dir, :recorded_at)
      ON CONFLICT (run_id) DO UPDATE SET started_at = excluded.started_at, scenario = excluded.scenario,
        profile = excluded.profile, phase = excluded.phase, target = excluded.target, shape = excluded.shape,
        shape_label = excluded.shape_label, git_commit = excluded.git_commit, git_branch = excluded.git_branch,
        k6_version = excluded.k6_version, status = excluded.status, verdict = excluded.verdict,
        verdict_set = excluded.verdict_set, production = excluded.production, valid = excluded.valid,
        requests = excluded.requests, offered_rps = excluded.offered_rps, goodput_rps = excluded.goodput_rps,
        throughput_target = excluded.throughput_target, run_dir = excluded.run_dir, recorded_at = excluded.recorded_at`);
    const clear = this.db.prepare('DELETE FROM endpoints WHERE run_id = :run_id');
    const insert = this.db.prepare(`
      INSERT INTO endpoints (run_id, position, endpoint, grp, requests, p50, p95, p99, p95_censored, error_rate, timeout_rate,
        goodput_rps, target_p95, target_error_rate, target_timeout_rate)
      VALUES (:run_id, :position, :endpoint, :grp, :requests, :p50, :p95, :p99, :p95_censored, :error_rate, :timeout_rate,
        :goodput_rps, :target_p95, :target_error_rate, :target_timeout_rate)`);
    const recordedAt = now.toISOString();
    this.write(() => {
      for (const raw of entries) {
        const e = HistoryEntrySchema.parse(raw);
        upsert.run({
          run_id: e.runId,
          started_at: e.startedAt,
          scenario: e.scenario,
          profile: e.profile,
          phase: e.phase,
          target: e.target,
          shape: e.shape,
          shape_label: e.shapeLabel,
          git_commit: e.commit,
          git_branch: e.branch,
          k6_version: e.k6Version,
          status: e.status,
          verdict: e.verdict,
          verdict_set: e.verdictSet,
          production: e.production,
          valid: e.valid === null ? null : e.valid ? 1 : 0,
          requests: e.requests,
          offered_rps: e.offeredRps,
          goodput_rps: e.goodputRps,
          throughput_target: e.throughputTarget,
          run_dir: e.runDir,
          recorded_at: recordedAt,
        });
        clear.run({ run_id: e.runId });
        e.endpoints.forEach((ep, position) => {
          insert.run({
            run_id: e.runId,
            position,
            endpoint: ep.name,
            grp: ep.group,
            requests: ep.requests,
            p50: ep.p50,
            p95: ep.p95,
            p99: ep.p99,
            p95_censored: ep.p95Censored ? 1 : 0,
            error_rate: ep.errorRate,
            timeout_rate: ep.timeoutRate,
            goodput_rps: ep.goodputRps,
            target_p95: ep.targets.p95,
            target_error_rate: ep.targets.errorRate,
            target_timeout_rate: ep.targets.timeoutRate,
          });
        });
      }
    });
  }

  private where(f: HistoryFilter): { sql: string; params: Record<string, string> } {
    const clauses: string[] = [];
    const params: Record<string, string> = {};
    const eq = (col: string, key: keyof HistoryFilter) => {
      const v = f[key];
      if (v === undefined) return;
      clauses.push(`${col} = :${key}`);
      params[key] = String(v);
    };
    eq('scenario', 'scenario');
    eq('profile', 'profile');
    eq('phase', 'phase');
    eq('target', 'target');
    eq('git_branch', 'branch');
    eq('shape', 'shape');
    if (f.before !== undefined) {
      clauses.push('started_at < :before');
      params['before'] = f.before;
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  /** Runs matching the filter, newest first (by start time, then run id), without their endpoints. */
  list(filter: HistoryFilter = {}): HistoryRun[] {
    const { sql, params } = this.where(filter);
    const limit = filter.limit !== undefined ? `LIMIT ${Math.floor(filter.limit)}` : '';
    return this.read(() => {
      const rows = this.db
        .prepare(
          `SELECT ${RUN_COLUMNS.join(', ')}, (SELECT count(*) FROM endpoints e WHERE e.run_id = runs.run_id)
           FROM runs ${sql} ORDER BY started_at DESC, run_id DESC ${limit}`,
        )
        .raw()
        .all(params) as Raw[];
      return rows.map((r) => ({ ...runOf(r), endpointCount: Number(r[RUN_COLUMNS.length] ?? 0) }));
    });
  }

  /** Whole entries (with their endpoints) matching the filter, newest first. */
  entries(filter: HistoryFilter = {}): HistoryEntry[] {
    const { sql, params } = this.where(filter);
    const limit = filter.limit !== undefined ? `LIMIT ${Math.floor(filter.limit)}` : '';
    return this.read(() => {
      const runs = this.db.prepare(`${RUNS_SELECT} ${sql} ORDER BY started_at DESC, run_id DESC ${limit}`).raw().all(params) as Raw[];
      if (runs.length === 0) return [];
      const eps = this.db
        .prepare(
          `${ENDPOINTS_SELECT} JOIN (SELECT run_id FROM runs ${sql} ORDER BY started_at DESC, run_id DESC ${limit}) r USING (run_id)`,
        )
        .raw()
        .all(params) as Raw[];
      return this.assemble(runs, eps);
    });
  }

  /** One run's entry, or null when the history does not hold it. */
  get(runId: string): HistoryEntry | null {
    return this.read(() => {
      const runs = this.db.prepare(`${RUNS_SELECT} WHERE run_id = :id`).raw().all({ id: runId }) as Raw[];
      if (runs.length === 0) return null;
      const eps = this.db.prepare(`${ENDPOINTS_SELECT} WHERE e.run_id = :id`).raw().all({ id: runId }) as Raw[];
      return this.assemble(runs, eps)[0] ?? null;
    });
  }

  /** Rows → validated entries (endpoints in their recorded order); a row that does not validate is damage, named by its run. */
  private assemble(runs: Raw[], eps: Raw[]): HistoryEntry[] {
    const byRun = new Map<string, Raw[]>(runs.map((r) => [r[0] as string, []]));
    for (const e of eps) byRun.get(e[0] as string)?.push(e);
    return runs.map((r) => {
      const rows = (byRun.get(r[0] as string) ?? []).sort((x, y) => (x[1] as number) - (y[1] as number));
      const parsed = HistoryEntrySchema.safeParse({ ...runOf(r), endpoints: rows.map(endpointOf) });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HistoryCorruptError(this.file, `run ${String(r[0])}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
      }
      return parsed.data;
    });
  }

  count(): number {
    return this.read(() => Number((this.db.prepare('SELECT count(*) AS n FROM runs').all()[0] as { n: number }).n));
  }

  /** A full check of the file (PRAGMA integrity_check): `ok`, or what is wrong. */
  integrity(): string {
    return this.read(() =>
      (this.db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; '),
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
