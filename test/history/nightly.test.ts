/**
 * The generated 60-night history (generate.ts) through the real CLI: `history import` builds the
 * index from the run directories, `trends` finds exactly the step at night 40 (not the outlier at
 * night 20, not the slow noise), and `verdict --against-history` fires on night 41 and not on 39.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDirs } from '../analysis/helpers.ts';
import { cli } from '../run/helpers.ts';
import { HistoryJudgementSchema } from '../../lib/contract/history.ts';
import type { TrendsModel } from '../../lib/history/trends.ts';
import { NIGHTS, OUTLIER_ENDPOINT, STEP_ENDPOINT, STEP_NIGHT, nightCommit, nightRunId, writeNights, type NightRun } from './generate.ts';

const scratch = scratchDirs('loadgate-history-nightly-');
let out: string;
let nights: NightRun[];

beforeAll(async () => {
  out = await scratch();
  nights = await writeNights(out, 1, NIGHTS);
  const r = await cli(['history', 'import', out, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(`${NIGHTS} runs recorded, 0 skipped`);
}, 120_000);

const night = (n: number) => nights[n - 1] as NightRun;

describe('a generated 60-night history', () => {
  it('lists every night, newest first, with its commit and branch; filters narrow it', async () => {
    const r = await cli(['history', '--out', out, '--json', '--limit', '100']);
    expect(r.code, r.stderr).toBe(0);
    const runs = (JSON.parse(r.stdout) as { runs: Array<{ runId: string; commit: string; branch: string; endpointCount: number }> }).runs;
    expect(runs).toHaveLength(NIGHTS);
    expect(runs[0]?.runId).toBe(nightRunId(NIGHTS));
    expect(runs[NIGHTS - 1]).toMatchObject({ runId: nightRunId(1), commit: nightCommit(1), branch: 'main', endpointCount: 6 });
    const table = await cli(['history', '--out', out, '--limit', '3', '--branch', 'main']);
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
    expect(table.stdout).toContain(nightRunId(NIGHTS));
    const none = await cli(['history', '--out', out, '--branch', 'nope']);
    expect(none.stdout).toContain('no runs in');
  });

  it('trends: exactly the step is a change point, at night 40 ± 1, with its size, interval, runs and commits; the outlier and the slow noise are not', async () => {
    const r = await cli(['trends', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const model = JSON.parse(r.stdout) as TrendsModel;
    expect(model.runs).toHaveLength(NIGHTS);
    expect(model.changes).toHaveLength(1);
    const c = model.changes[0]!;
    expect(c.endpoint).toBe(STEP_ENDPOINT);
    expect(c.metric).toBe('p95');
    expect(c.direction).toBe('regressed');
    const startedNight = c.index + 1;
    expect(Math.abs(startedNight - STEP_NIGHT)).toBeLessThanOrEqual(1);
    expect(c.startedAt.commit).toBe(nightCommit(startedNight));
    expect(c.lastBefore.commit).toBe(nightCommit(startedNight - 1));
    // The step is × 1.4: the size's interval holds 40 % of the level before, and excludes 0.
    expect(c.ci[0]).toBeGreaterThan(0);
    expect(c.ci[0]).toBeLessThanOrEqual(c.delta);
    expect(c.ci[1]).toBeGreaterThanOrEqual(c.delta);
    expect(c.deltaRel).toBeGreaterThan(0.3);
    expect(c.deltaRel).toBeLessThan(0.5);
    expect(c.pValue).toBeLessThanOrEqual(0.01);
    expect(c.stillPresent).toBe(true);
    expect(model.changes.some((x) => x.endpoint === OUTLIER_ENDPOINT)).toBe(false);
    process.stderr.write(
      `60-night history: change at night ${startedNight}: ${c.before.toFixed(1)} → ${c.after.toFixed(1)} ms (${(c.deltaRel! * 100).toFixed(1)} %), 95 % CI [${c.ci[0].toFixed(1)}, ${c.ci[1].toFixed(1)}] ms, p = ${c.pValue}\n`,
    );
  });

  it('the gate exits 98 on night 41, naming the endpoint, the change and the run compared with, in JUnit and summary.md', async () => {
    const dir = night(STEP_NIGHT + 1).runDir;
    const r = await cli(['verdict', dir, '--against-history']);
    expect(r.code, r.stderr).toBe(98);
    const judgement = HistoryJudgementSchema.parse(JSON.parse(await readFile(join(dir, 'against-history.json'), 'utf8')));
    expect(judgement.status).toBe('regressed');
    expect(judgement.comparedWith?.runId).toBe(nightRunId(STEP_NIGHT));
    const regressed = judgement.findings.filter((f) => f.status === 'regressed');
    expect(regressed.map((f) => `${f.endpoint} ${f.metric}`)).toEqual([`${STEP_ENDPOINT} p95`]);
    expect(regressed[0]!.deltaRel).toBeGreaterThan(0.2);
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure[^>]*type="regression"/);
    expect(junit).toContain(`${STEP_ENDPOINT} P95 regressed`);
    expect(junit).toContain(nightRunId(STEP_NIGHT));
    const summary = await readFile(join(dir, 'summary.md'), 'utf8');
    expect(summary).toContain('### Against history');
    expect(summary).toContain('REGRESSED against history');
    expect(summary).toContain('auth.login P95 regressed');
    expect(r.stdout).toBe(summary);
    expect(r.stderr).toContain('REGRESSED against history');
  });

  it('the gate exits 0 on night 39: nothing beyond noise', async () => {
    const dir = night(STEP_NIGHT - 1).runDir;
    const r = await cli(['verdict', dir, '--against-history']);
    expect(r.code, r.stderr).toBe(0);
    const judgement = HistoryJudgementSchema.parse(JSON.parse(await readFile(join(dir, 'against-history.json'), 'utf8')));
    expect(judgement.status).toBe('ok');
    expect(judgement.findings.filter((f) => f.status === 'regressed')).toEqual([]);
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).not.toContain('<failure');
  });

  it('without --against-history, verdict keeps its own exit code and writes no judgement', async () => {
    const dir = night(STEP_NIGHT + 2).runDir;
    const r = await cli(['verdict', dir]);
    expect(r.code, r.stderr).toBe(0);
    await expect(readFile(join(dir, 'against-history.json'))).rejects.toThrow();
  });

  it('trends writes a self-contained HTML report with the change in it', async () => {
    const r = await cli(['trends', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const file = r.stdout.trim();
    expect(file).toBe(join(out, 'trends.html'));
    const html = await readFile(file, 'utf8');
    expect(html).toContain('id="changes-table"');
    expect(html).toContain(`data-endpoint="${STEP_ENDPOINT}" data-metric="p95"`);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?https?:/i);
    expect(r.stderr).toContain('1 change point (1 regression, 1 still present)');
  });
});
