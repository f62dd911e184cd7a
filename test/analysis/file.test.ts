/** The analysis file: written atomically, read back validated, old or foreign files refused by name; the CLI. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { analyzeRun, readAnalysis, writeAnalysis } from '../../lib/analysis/analyze.ts';
import type { Analysis } from '../../lib/contract/analysis.ts';
import { main } from '../../lib/cli/main.ts';
import { benchOptions } from './generate.ts';
import { generated, tempDir, writeRunDir } from './helpers.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function runDir(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  const { lines, plan } = generated(benchOptions(0.02, 5));
  await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': lines } });
  return d;
}

describe('analysis.json', () => {
  it('round-trips through writeAnalysis and readAnalysis', async () => {
    const d = await runDir();
    const a = await analyzeRun(d);
    const file = await writeAnalysis(d, a);
    expect(file).toBe(join(d, 'analysis.json'));
    expect(readAnalysis(file)).toEqual(a);
  });

  it('refuses another version, another kind, bad JSON and a broken shape, naming the file', async () => {
    const d = await runDir();
    const file = await writeAnalysis(d, await analyzeRun(d));
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const bad = join(d, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...good, version: 2 }));
    expect(() => readAnalysis(bad)).toThrow(new RegExp(`${bad} is an analysis of format version 2; this loadgate reads version 1`));
    writeFileSync(bad, JSON.stringify({ kind: 'loadgate.plan' }));
    expect(() => readAnalysis(bad)).toThrow(/is not a loadgate analysis/);
    writeFileSync(bad, '{');
    expect(() => readAnalysis(bad)).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(bad, JSON.stringify({ ...good, totals: { ...(good['totals'] as object), requests: -1 } }));
    expect(() => readAnalysis(bad)).toThrow(/bad\.json is not a valid analysis: totals\.requests/);
    expect(() => readAnalysis(join(d, 'none.json'))).toThrow(/none\.json does not exist \(the analysis is needed\)/);
  });
});

describe('version 1 files written before its optional fields', () => {
  it('still read, the fields absent; a file with a field no version has is refused naming it', async () => {
    const d = await runDir();
    const file = await writeAnalysis(d, await analyzeRun(d));
    const current = JSON.parse(readFileSync(file, 'utf8')) as Analysis;
    expect(current.input.skipped.outOfWindow).toBe(0);
    expect(current.endpoints.every((e) => (e.cells?.length ?? 0) > 0)).toBe(true);
    const older = structuredClone(current);
    delete older.input.skipped.outOfWindow;
    for (const e of older.endpoints) delete e.cells;
    const old = join(d, 'older.json');
    writeFileSync(old, JSON.stringify(older));
    const read = readAnalysis(old);
    expect(read.input.skipped).not.toHaveProperty('outOfWindow');
    expect(read.endpoints[0]).not.toHaveProperty('cells');
    expect(read.totals).toEqual(current.totals);
    const unknown = join(d, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ ...current, input: { ...current.input, skipped: { ...current.input.skipped, lateBy: 1 } } }));
    expect(() => readAnalysis(unknown)).toThrow(/unknown\.json is not a valid analysis: input\.skipped: Unrecognized key/);
  });
});

describe('loadgate analyze', () => {
  it('writes analysis.json and prints the timeout summary; --out, --percentiles and --interval apply', async () => {
    const d = await runDir();
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'loadgate', 'analyze', d])).toBe(0);
      expect(existsSync(join(d, 'analysis.json'))).toBe(true);
      expect(out.mock.calls.map((c) => String(c[0])).join('')).toMatch(/timeout issues: \d+ of 12 endpoints/);
      const other = join(d, 'other.json');
      expect(await main(['node', 'loadgate', 'analyze', d, '--out', other, '--percentiles', 'hdr', '--interval', '5'])).toBe(0);
      expect(readAnalysis(other).settings).toEqual({ percentiles: 'hdr', relativeError: 0.001, seriesIntervalS: 5 });
    } finally {
      out.mockRestore();
    }
  });

  it('exits 2 on a bad flag and 5 when there is nothing to analyse', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'loadgate', 'analyze', '/nonexistent', '--percentiles', 'median'])).toBe(2);
      expect(await main(['node', 'loadgate', 'analyze', '/nonexistent/run'])).toBe(5);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/run directory \/nonexistent\/run does not exist/);
    } finally {
      err.mockRestore();
    }
  });
});
