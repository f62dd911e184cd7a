/** What InfluxDB's summary reads from a run directory: through the contract's RunDir, a bad verdict a warning (an optional sink). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunFileError } from '../contract/run-dir.ts';
import { readAnalysis, readVerdict } from './observer.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-observer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readVerdict', () => {
  it('a missing verdict.json is null, without a warning', async () => {
    const lines: string[] = [];
    expect(await readVerdict(dir, (l) => lines.push(l))).toBeNull();
    expect(lines).toEqual([]);
  });

  it.each([
    ['torn', '{"kind":"loadgate.verdict","vers', 'is not valid JSON: '],
    ['of another version', '{"kind":"loadgate.verdict","version":9}', 'is a verdict of format version 9; '],
    ['with a bad field', '{"kind":"loadgate.verdict","version":1,"runId":7}', 'is not a valid verdict: runId: '],
  ])('a verdict.json %s is null, with a warning that is the reader’s message', async (_how, text, says) => {
    await writeFile(join(dir, 'verdict.json'), text);
    const lines: string[] = [];
    expect(await readVerdict(dir, (l) => lines.push(l))).toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`warning: ${join(dir, 'verdict.json')} ${says}`);
    expect(lines[0]).toMatch(/; the InfluxDB summary carries no verdict$/);
  });
});

describe('readAnalysis', () => {
  it('a missing analysis.json is an error naming it (the summary needs it)', async () => {
    await expect(readAnalysis(dir)).rejects.toThrow(RunFileError);
    await expect(readAnalysis(dir)).rejects.toThrow(`${join(dir, 'analysis.json')} does not exist`);
  });
});
