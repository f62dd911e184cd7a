/**
 * Real runs: real k6 against the reference API on port 0, three nights in phase3, then one in
 * phase1 (slower hashing, a smaller pool, no user cache), each `loadgate run --against-history`
 * into one results directory. The history holds four runs, the trend report shows the step, and
 * the gate fires on the phase1 run (exit 98), naming what regressed. Short runs: 50 RPS for 15 s.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, tempOut } from '../run/helpers.ts';
import { HistoryJudgementSchema } from '../../lib/contract/history.ts';
import type { TrendsModel } from '../../lib/history/trends.ts';

let out: string;
let target: RunningTarget | null = null;
const runDirs: string[] = [];

const runArgs = (phase: string, url: string) => [
  'run',
  '--scenario',
  'journey',
  '--profile',
  'smoke',
  '--rps',
  '1000',
  '--duration-scale',
  '0.75',
  '--phase',
  phase,
  // No targets of its own: the exit code is the history's alone (a loaded machine can push
  // phase3's 200 ms P95 target over, which is not what this test is about).
  '--threshold-set',
  'baseline',
  '--target',
  url,
  '--out',
  out,
  '--progress',
  'none',
  '--against-history',
];

beforeAll(async () => {
  out = await tempOut('loadgate-history-real-');
});
afterAll(async () => {
  await target?.close();
});

describe('three phase3 nights, then a phase1 one', () => {
  it('records every run, and the gate fires on the phase1 run', { timeout: 240_000 }, async () => {
    target = await startTarget({ profile: 'phase3', port: 0 });
    for (let i = 0; i < 3; i++) {
      const r = await cli(runArgs('phase3', target.url));
      // Not regressed: fewer than 3 earlier runs, or within noise of them.
      expect(r.code, r.stderr).toBe(0);
      runDirs.push(r.stdout.trim());
      if (i < 2) expect(r.stderr).toContain('not judged against history');
    }
    await target.close();
    target = await startTarget({ profile: 'phase1', port: 0 });
    const last = await cli(runArgs('phase1', target.url));
    runDirs.push(last.stdout.trim());
    expect(last.code, last.stderr).toBe(98);
    expect(last.stderr).toContain('REGRESSED against history');

    const judgement = HistoryJudgementSchema.parse(JSON.parse(await readFile(join(runDirs[3]!, 'against-history.json'), 'utf8')));
    expect(judgement.historyRuns).toBe(3);
    expect(judgement.comparedWith?.runId).toBe(
      (JSON.parse(await readFile(join(runDirs[2]!, 'run.json'), 'utf8')) as { runId: string }).runId,
    );
    const regressed = judgement.findings.filter((f) => f.status === 'regressed');
    expect(regressed.length).toBeGreaterThan(0);
    // phase1 hashes five times as hard: the login is among what regressed.
    expect(regressed.map((f) => `${f.endpoint} ${f.metric}`)).toContain('auth.login p95');
    const junit = await readFile(join(runDirs[3]!, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure[^>]*type="regression"/);
    expect(junit).toContain('auth.login P95 regressed');
    const summary = await readFile(join(runDirs[3]!, 'summary.md'), 'utf8');
    expect(summary).toContain('REGRESSED against history');
    process.stderr.write(
      `real runs: ${regressed.length} figures regressed on phase1, e.g. ${regressed
        .slice(0, 3)
        .map((f) => `${f.endpoint} ${f.metric} ${f.value?.toFixed(1)} vs ${f.baseline?.toFixed(1)}`)
        .join('; ')}\n`,
    );
  });

  it('the history holds the four runs, newest first', async () => {
    const r = await cli(['history', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const runs = (JSON.parse(r.stdout) as { runs: Array<{ phase: string; runDir: string; commit: string | null }> }).runs;
    expect(runs.map((x) => x.phase)).toEqual(['phase1', 'phase3', 'phase3', 'phase3']);
    expect(runs.map((x) => join(out, x.runDir))).toEqual([...runDirs].reverse());
  });

  it('the trend report shows the step: phase1 well above every phase3 night, and the newest run regressed', async () => {
    const json = await cli(['trends', '--out', out, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const model = JSON.parse(json.stdout) as TrendsModel;
    expect(model.runs.map((x) => x.phase)).toEqual(['phase3', 'phase3', 'phase3', 'phase1']);
    const login = model.endpoints.find((e) => e.name === 'auth.login')?.series.find((s) => s.metric === 'p95');
    const values = login?.values ?? [];
    expect(values).toHaveLength(4);
    const before = Math.max(...(values.slice(0, 3) as number[]));
    expect(values[3]).toBeGreaterThan(1.5 * before);
    expect(model.latest?.status).toBe('regressed');
    const html = await cli(['trends', '--out', out]);
    expect(html.code, html.stderr).toBe(0);
    const page = await readFile(html.stdout.trim(), 'utf8');
    expect(page).toContain('data-history-verdict="regressed"');
    expect(page).toContain('auth.login P95 regressed');
  });
});
