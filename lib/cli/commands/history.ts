/**
 * `loadgate history`: the runs recorded in <out>/history.sqlite, newest first (a table, or JSON);
 * `loadgate history import <dir...>`: (re)build it from run directories.
 */
import type { Command } from 'commander';
import { parseNumberFlag } from '../flags.ts';
import type { HistoryFilter, HistoryRun } from '../../contract/history.ts';

export interface HistoryListFlags {
  out?: string;
  config?: string;
  scenario?: string;
  profile?: string;
  phase?: string;
  target?: string;
  branch?: string;
  shape?: string;
  limit: number;
  json?: boolean;
}

interface ImportFlags {
  out?: string;
  config?: string;
  rebuild?: boolean;
}

/** The results directory: --out, else LOADGATE_OUT, else the config's outDir (default `results`). */
export async function resultsDir(flags: { out?: string; config?: string }): Promise<string> {
  const { loadConfig } = await import('../../config/load.ts');
  return (await loadConfig({ configPath: flags.config, flags: { out: flags.out } })).outDir;
}

export function filterOf(f: Omit<HistoryListFlags, 'limit' | 'json' | 'out' | 'config'>): HistoryFilter {
  const out: HistoryFilter = {};
  for (const key of ['scenario', 'profile', 'phase', 'target', 'branch', 'shape'] as const) {
    const v = f[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Adds the filters `history` and `trends` share. */
export function addFilterFlags(cmd: Command): Command {
  return cmd
    .option('--out <dir>', 'results directory holding history.sqlite; also LOADGATE_OUT (default: results)')
    .option('--config <file>', 'config file (for its outDir); also LOADGATE_CONFIG')
    .option('--scenario <name>', 'only runs of this scenario')
    .option('--profile <name>', 'only runs of this load profile')
    .option('--phase <label>', 'only runs of this phase')
    .option('--target <url>', 'only runs against this base URL')
    .option('--branch <name>', 'only runs of this git branch')
    .option('--shape <key>', 'only runs of this shape (scenario, profile, stages and offered load; see the shape column)');
}

const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** The runs as a plain-text table, widths fitted to the content (at most 120 columns a line where it can). */
export function formatRunsTable(runs: readonly HistoryRun[]): string {
  const head = ['started (UTC)', 'run', 'phase', 'branch', 'commit', 'verdict', 'k6 run', 'requests', 'goodput', 'shape'];
  const rows = runs.map((r) => [
    r.startedAt.slice(0, 16).replace('T', ' '),
    cut(r.runId, 44),
    r.phase ?? '—',
    cut(r.branch ?? '—', 20),
    r.commit ? r.commit.slice(0, 9) : '—',
    r.verdict ?? '—',
    r.status,
    r.requests.toLocaleString('en-US'),
    r.goodputRps === null ? '—' : `${r.goodputRps.toFixed(1)}/s`,
    r.shape,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 7 || i === 8 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export async function listAction(flags: HistoryListFlags, write: (s: string) => void): Promise<number> {
  const { HistoryStore, historyPath } = await import('../../history/store.ts');
  const file = historyPath(await resultsDir(flags));
  const store = HistoryStore.open(file);
  let runs: HistoryRun[];
  try {
    runs = store.list({ ...filterOf(flags), limit: flags.limit });
  } finally {
    store.close();
  }
  if (flags.json) write(`${JSON.stringify({ history: file, runs }, null, 2)}\n`);
  else if (runs.length === 0) write(`no runs in ${file} match\n`);
  else write(formatRunsTable(runs));
  return runs.length;
}

export function register(program: Command): void {
  const history = addFilterFlags(
    program
      .command('history')
      .description(
        'list the runs recorded in <out>/history.sqlite, newest first (every `loadgate run` records one); `history import` rebuilds it',
      ),
  )
    .option('--limit <n>', 'at most this many runs', parseNumberFlag('limit', { int: true, min: 1 }), 50)
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: HistoryListFlags) => {
      await listAction(flags, (s) => process.stdout.write(s));
    });
  history
    .command('import')
    .description(
      'record run directories in the history: each <dir> is a run directory or a results directory holding them; a directory without analysis.json is skipped with a warning; an unreadable history is moved aside and rebuilt',
    )
    .argument('<dir...>', 'run directories, or results directories holding them')
    .option('--rebuild', 'start from an empty history (replaced whole once built) instead of adding to it')
    .addHelpText('after', '\n--out and --config are those of `loadgate history`: the history written is <out>/history.sqlite.')
    .action(async (dirs: string[], _flags: ImportFlags, command: Command) => {
      // --out and --config belong to `history`, wherever they stand on the line.
      const flags = command.optsWithGlobals<ImportFlags>();
      const [{ importRuns }, { historyPath }] = await Promise.all([import('../../history/record.ts'), import('../../history/store.ts')]);
      const file = historyPath(await resultsDir(flags));
      const result = await importRuns(dirs, {
        historyFile: file,
        rebuild: flags.rebuild === true,
        warn: (line) => process.stderr.write(`loadgate: warning: ${line}\n`),
      });
      process.stderr.write(
        `loadgate: ${result.recorded} run${result.recorded === 1 ? '' : 's'} recorded, ${result.skipped} skipped; ${file} holds ${result.total}\n`,
      );
      process.stdout.write(`${file}\n`);
    });
}
