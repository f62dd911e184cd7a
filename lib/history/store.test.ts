import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'libsql';
import { APPLICATION_ID, HistoryCorruptError, HistoryStore, MIGRATIONS, NoHistoryError, STORE_VERSION, type Migration } from './store.ts';
import type { HistoryEntry } from '../contract/history.ts';

const dirs: string[] = [];
async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'loadgate-history-store-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function entry(i: number, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    runId: `run-${String(i).padStart(3, '0')}`,
    startedAt: new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString(),
    scenario: 'journey',
    profile: 'load',
    phase: i % 2 ? 'phase3' : 'phase2',
    target: 'http://127.0.0.1:8080',
    shape: 'journey.load.abc',
    shapeLabel: 'journey · load · 1 stage, 120 s, 20 RPS',
    commit: `c${i}`,
    branch: 'main',
    k6Version: 'v2.2.0',
    status: 'completed',
    verdict: 'pass',
    verdictSet: 'phase3',
    production: 'fail',
    valid: true,
    requests: 1000 + i,
    offeredRps: 20,
    goodputRps: 19.5,
    throughputTarget: 100,
    runDir: `run-${i}`,
    endpoints: [
      {
        name: 'auth.login',
        group: 'auth',
        requests: 200,
        p50: 30,
        p95: 60 + i,
        p99: 90,
        p95Censored: false,
        errorRate: 0.001,
        timeoutRate: 0,
        goodputRps: 4,
        targets: { p95: 200, errorRate: 0.01, timeoutRate: null },
      },
      {
        name: 'user.me',
        group: 'user',
        requests: 300,
        p50: 10,
        p95: 20,
        p99: null,
        p95Censored: true,
        errorRate: null,
        timeoutRate: null,
        goodputRps: null,
        targets: { p95: null, errorRate: null, timeoutRate: null },
      },
    ],
    ...over,
  };
}

describe('the history store', () => {
  it('records entries and reads them back whole, newest first', async () => {
    const file = join(await scratch(), 'history.sqlite');
    const store = HistoryStore.open(file, { create: true });
    store.record([entry(1), entry(3), entry(2)]);
    expect(store.version).toBe(STORE_VERSION);
    expect(store.entries().map((e) => e.runId)).toEqual(['run-003', 'run-002', 'run-001']);
    expect(store.get('run-002')).toEqual(entry(2));
    expect(store.get('nope')).toBeNull();
    expect(store.list({ limit: 1 })[0]).toMatchObject({ runId: 'run-003', endpointCount: 2 });
    store.close();
  });

  it('is idempotent: recording a run again replaces its record', async () => {
    const file = join(await scratch(), 'history.sqlite');
    const store = HistoryStore.open(file, { create: true });
    store.record([entry(1)]);
    store.record([entry(1, { verdict: 'fail', endpoints: entry(1).endpoints.slice(0, 1) })]);
    expect(store.count()).toBe(1);
    expect(store.get('run-001')).toMatchObject({ verdict: 'fail' });
    expect(store.get('run-001')?.endpoints).toHaveLength(1);
    store.close();
  });

  it('filters by scenario, profile, phase, target, branch, shape and time', async () => {
    const file = join(await scratch(), 'history.sqlite');
    const store = HistoryStore.open(file, { create: true });
    store.record([entry(1), entry(2), entry(3, { branch: 'feature', target: 'http://x' }), entry(4, { shape: 'other', scenario: 'auth' })]);
    const ids = (f: Parameters<HistoryStore['list']>[0]) => store.list(f).map((r) => r.runId);
    expect(ids({ phase: 'phase3' })).toEqual(['run-003', 'run-001']);
    expect(ids({ branch: 'feature' })).toEqual(['run-003']);
    expect(ids({ target: 'http://x' })).toEqual(['run-003']);
    expect(ids({ scenario: 'auth' })).toEqual(['run-004']);
    expect(ids({ shape: 'journey.load.abc', profile: 'load' })).toEqual(['run-003', 'run-002', 'run-001']);
    expect(ids({ before: entry(3).startedAt })).toEqual(['run-002', 'run-001']);
    expect(store.entries({ shape: 'journey.load.abc', limit: 2 }).map((e) => e.runId)).toEqual(['run-003', 'run-002']);
    store.close();
  });

  it('a missing history is an error that says how to make one, unless asked to create it', async () => {
    const file = join(await scratch(), 'history.sqlite');
    expect(() => HistoryStore.open(file)).toThrow(NoHistoryError);
    expect(() => HistoryStore.open(file)).toThrow(/loadgate history import/);
  });

  it('a file that is not a database, or a damaged one, is a HistoryCorruptError naming the file and the remedy', async () => {
    const dir = await scratch();
    const garbage = join(dir, 'garbage.sqlite');
    await writeFile(garbage, `not a database ${'x'.repeat(5000)}`);
    expect(() => HistoryStore.open(garbage)).toThrow(HistoryCorruptError);
    expect(() => HistoryStore.open(garbage)).toThrow(new RegExp(`${garbage}.*loadgate history import`));

    const good = join(dir, 'good.sqlite');
    const store = HistoryStore.open(good, { create: true });
    store.record([entry(1)]);
    store.close();
    const torn = join(dir, 'torn.sqlite');
    await writeFile(torn, (await readFile(good)).subarray(0, 1500));
    expect(() => {
      const s = HistoryStore.open(torn);
      try {
        s.entries();
      } finally {
        s.close();
      }
    }).toThrow(HistoryCorruptError);
  });

  it('refuses an SQLite database that is not a loadgate history, and leaves it alone', async () => {
    const file = join(await scratch(), 'other.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE notes (t TEXT)');
    db.close();
    expect(() => HistoryStore.open(file)).toThrow(/not a loadgate history/);
    const again = new Database(file);
    expect(again.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'notes' }]);
    again.close();
  });

  it('migrates an older store to the current version, keeping its runs', async () => {
    const file = join(await scratch(), 'history.sqlite');
    const v1 = HistoryStore.open(file, { create: true });
    v1.record([entry(1), entry(2)]);
    v1.close();
    // A version 2 that adds a column and fills it from the data already there.
    const v2: Migration = {
      to: 2,
      up(db) {
        db.exec("ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''");
        db.exec("UPDATE runs SET note = 'migrated ' || run_id");
      },
    };
    const store = HistoryStore.open(file, { migrations: [...MIGRATIONS, v2] });
    expect(store.version).toBe(2);
    expect(store.entries().map((e) => e.runId)).toEqual(['run-002', 'run-001']);
    store.close();
    const db = new Database(file);
    expect(db.prepare('SELECT note FROM runs ORDER BY run_id').all()).toEqual([{ note: 'migrated run-001' }, { note: 'migrated run-002' }]);
    expect(db.prepare('PRAGMA application_id').all()).toEqual([{ application_id: APPLICATION_ID }]);
    db.close();
    // Read by this loadgate (version 1) again: newer than it knows, refused with both versions named.
    expect(() => HistoryStore.open(file)).toThrow(/store version 2, newer than this loadgate reads \(1\)/);
  });
});
