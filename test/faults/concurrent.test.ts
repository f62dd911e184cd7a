/**
 * Two runs at once into the same --out parent, which neither finds made: both complete, each in
 * a run directory of its own, each analysed from its own samples only, both in the history.
 * Concurrent writers of the history itself: test/history/concurrency.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, tempOut } from '../run/helpers.ts';
import { entries, everySampleAnalysed, readAnalysis, runArgs, shortConfig, STACK } from './helpers.ts';

let target: RunningTarget;
let config: string;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  config = await shortConfig(10, 4);
});
afterAll(async () => {
  await target?.close();
});

describe('two runs at once into one --out', () => {
  it('both complete, in distinct run directories, each analysing its own samples', async () => {
    const out = join(await tempOut('loadgate-faults-'), 'results', 'nightly');
    const [a, b] = await Promise.all([cli(runArgs(config, target.url, out)), cli(runArgs(config, target.url, out))]);
    for (const r of [a, b]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(STACK);
    }
    const dirs = [a.stdout.trim(), b.stdout.trim()];
    expect(new Set(dirs).size).toBe(2);
    const names = await entries(out);
    expect(names.filter((n) => n !== 'history.sqlite' && !n.startsWith('history.sqlite')).sort()).toEqual(
      dirs.map((d) => d.slice(out.length + 1)).sort(),
    );
    const ids = new Set<string>();
    for (const dir of dirs) {
      const analysis = await readAnalysis(dir);
      expect(analysis.run.status).toBe('completed');
      ids.add(analysis.run.runId);
      const { raw, analysed } = await everySampleAnalysed(dir);
      expect(raw).toBeGreaterThan(20);
      expect(analysed).toBe(raw);
      // Each report is its own run's.
      expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain(analysis.run.runId);
    }
    expect(ids.size).toBe(2);
    expect(names).toContain('history.sqlite');
    const history = await cli(['history', '--out', out, '--json']);
    for (const id of ids) expect(history.stdout + history.stderr).toContain(id);
  });
});
