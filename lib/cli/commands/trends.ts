/**
 * `loadgate trends`: the self-contained HTML trend report of the last N runs of one shape, from
 * <out>/history.sqlite: per endpoint P95, error rate, timeout rate and goodput, with the targets,
 * each level's noise band and the change points.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../contract/errors.ts';
import { parseNumberFlag } from '../flags.ts';
import { addFilterFlags, filterOf, resultsDir, type HistoryListFlags } from './history.ts';

export interface TrendsFlags extends Omit<HistoryListFlags, 'limit' | 'json'> {
  last: number;
  output?: string;
  json?: boolean;
  seed?: number;
}

export interface TrendsResult {
  file: string | null;
  /** One line for the terminal. */
  summary: string;
  json: string | null;
}

export async function trendsAction(flags: TrendsFlags, now: Date = new Date()): Promise<TrendsResult> {
  const [{ HistoryStore, historyPath }, { buildTrends }, { renderTrends }, { judgementSentence }, { mkdir }, { writeAtomic }] =
    await Promise.all([
      import('../../history/store.ts'),
      import('../../history/trends.ts'),
      import('../../history/render.ts'),
      import('../../shared/history-format.ts'),
      import('node:fs/promises'),
      import('../../contract/run-dir.ts'),
    ]);
  const outDir = await resultsDir(flags);
  const file = historyPath(outDir);
  const filter = filterOf(flags);
  const store = HistoryStore.open(file);
  let entries: Awaited<ReturnType<typeof store.entries>>;
  try {
    // The shape: the one asked for, else the newest matching run's.
    const newest = store.list({ ...filter, limit: 1 })[0];
    if (!newest) {
      const shapes = new Map<string, number>();
      for (const r of store.list({ limit: 1000 }))
        shapes.set(`${r.shape} (${r.shapeLabel})`, (shapes.get(`${r.shape} (${r.shapeLabel})`) ?? 0) + 1);
      const known = [...shapes].map(([s, n]) => `${s}: ${n} run${n === 1 ? '' : 's'}`).slice(0, 10);
      throw new UsageError(
        `no run in ${file} matches the filters${known.length ? `; shapes recorded: ${known.join('; ')}` : ' (the history is empty)'}`,
      );
    }
    entries = store.entries({ ...filter, shape: newest.shape, limit: flags.last });
  } finally {
    store.close();
  }
  const model = buildTrends(entries, flags.seed !== undefined ? { seed: flags.seed } : {});
  const regressions = model.changes.filter((c) => c.direction === 'regressed');
  const summary = [
    `${model.runs.length} runs of ${model.shapeLabel}`,
    `${model.changes.length} change point${model.changes.length === 1 ? '' : 's'} (${regressions.length} regression${regressions.length === 1 ? '' : 's'}, ${regressions.filter((c) => c.stillPresent).length} still present)`,
    model.latest ? `newest run: ${judgementSentence(model.latest)}` : 'a single run',
  ].join('; ');
  if (flags.json) return { file: null, summary, json: `${JSON.stringify(model, null, 2)}\n` };
  const words = Object.entries(filter)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const html = renderTrends({ model, now, ...(words ? { filters: words } : {}) });
  const target = resolve(flags.output ?? join(outDir, 'trends.html'));
  await mkdir(resolve(target, '..'), { recursive: true });
  await writeAtomic(target, html);
  return { file: target, summary, json: null };
}

export function register(program: Command): void {
  addFilterFlags(
    program
      .command('trends')
      .description(
        "write the HTML trend report of the last N runs of one shape (default: the newest matching run's) from <out>/history.sqlite: P95, error rate, timeout rate and goodput per endpoint, targets, noise bands, change points",
      ),
  )
    .option('--last <n>', 'the newest N runs of the shape', parseNumberFlag('last', { int: true, min: 1 }), 100)
    .option('--output <file>', 'the report file (default: <out>/trends.html)')
    .option('--json', 'print the trend model (series, change points, the newest run judged) as JSON instead of writing HTML')
    .option('--seed <n>', 'seed of the permutation tests and the bootstrap (default 1)', parseNumberFlag('seed', { int: true, min: 0 }))
    .action(async (flags: TrendsFlags) => {
      const result = await trendsAction(flags);
      process.stderr.write(`loadgate: ${result.summary}\n`);
      process.stdout.write(result.json ?? `${result.file}\n`);
    });
}
