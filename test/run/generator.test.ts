/**
 * Generator health in a real run: real k6 against the reference API, a light load. The run
 * directory holds k6's own CPU and memory samples (generator.json), the verdict sums them up per
 * stage and finds no saturation, and the terminal, summary.md and the report show them. The rule
 * itself (90 % of the cores in more than 10 % of a stage's samples) is tested on synthetic samples
 * in lib/verdict/generator.test.ts: a test never saturates the shared machine on purpose.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { readGeneratorFile } from '../../lib/run/generator.ts';
import type { Analysis } from '../../lib/contract/analysis.ts';
import { VerdictSchema } from '../../lib/contract/verdict.ts';
import { LOAD_START_METRIC } from '../../lib/shared/defaults.ts';
import { cli, onlyRunDir, rawPoints, tempOut } from './helpers.ts';

let target: RunningTarget;
let dir: string;
let stderr: string;
let code: number | null;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
  const out = await tempOut('loadgate-generator-');
  const r = await cli([
    'run',
    '--scenario',
    'journey',
    '--profile',
    'load',
    '--threshold-set',
    'phase1',
    '--target',
    target.url,
    '--out',
    out,
    '--duration-scale',
    '0.05',
    '--rps',
    '30',
  ]);
  code = r.code;
  stderr = r.stderr;
  dir = await onlyRunDir(out);
});
afterAll(async () => {
  await target?.close();
});

describe('generator health in a light run', () => {
  it("keeps k6's CPU and memory samples in generator.json, with plausible figures", async () => {
    expect(code, stderr).toBe(0);
    const g = await readGeneratorFile(dir);
    expect(g).not.toBeNull();
    if (!g) return;
    // The pid loadgate spawned (setpriv --pdeathsig) is k6's own: setpriv exec'd it in place.
    expect(g.processes.map((p) => [p.name, p.segment])).toEqual([['k6', null]]);
    expect(g.intervalMs).toBe(500);
    expect(g.cores).toBeGreaterThanOrEqual(1);
    // A 15 s test sampled every 500 ms.
    expect(g.samples.length).toBeGreaterThan(15);
    for (const s of g.samples) {
      expect(s.cpu).toBeGreaterThanOrEqual(0);
      expect(s.cpu).toBeLessThanOrEqual(1);
      expect(s.dt).toBeGreaterThan(0);
      expect(s.dt).toBeLessThan(5000);
    }
    expect(g.samples.some((s) => s.cpu > 0)).toBe(true);
    expect(Math.max(...g.samples.map((s) => s.rss))).toBeGreaterThan(10e6);
    for (let i = 1; i < g.samples.length; i++) expect(g.samples[i]?.t).toBeGreaterThan(g.samples[i - 1]?.t ?? 0);
  });

  it("records when k6's scenarios started: k6's own stage clock, after its start-up", async () => {
    const g = await readGeneratorFile(dir);
    const started = g?.loadStartedAt ?? Number.NaN;
    expect(Number.isFinite(started)).toBe(true);
    // After k6 was spawned (the first sample's interval begins there) and initialised its VUs.
    expect(started).toBeGreaterThan((g?.samples[0]?.t ?? 0) - (g?.samples[0]?.dt ?? 0));
    // k6's own record of it (each VU writes exec.scenario.startTime once): within the 100 ms polls and their replies on a busy machine.
    const origins = new Set((await rawPoints(dir)).filter((p) => p.metric === LOAD_START_METRIC).map((p) => p.data.value));
    expect(origins.size).toBe(1);
    const origin = [...origins][0] as number;
    expect(Math.abs(started - origin), `polled ${started}, k6 says ${origin}`).toBeLessThan(600);
  });

  it('the verdict sums them up per stage of the analysis and finds no saturation', async () => {
    const verdict = VerdictSchema.parse(JSON.parse(await readFile(join(dir, 'verdict.json'), 'utf8')));
    const analysis = JSON.parse(await readFile(join(dir, 'analysis.json'), 'utf8')) as Analysis;
    const g = verdict.validity.generator;
    expect(g).toBeTruthy();
    if (!g) return;
    expect(g.stages.map((s) => s.name)).toEqual(analysis.stages.map((s) => s.name));
    expect(g.samplesInStages).toBeGreaterThan(10);
    // The hold (9 s of the 15 s) has most of them.
    expect(g.stages.find((s) => s.name === 'hold')?.samples).toBeGreaterThanOrEqual(12);
    expect(g.saturatedStages).toEqual([]);
    expect(g.peakCpu).toBeGreaterThan(0);
    expect(g.peakCpu).toBeLessThanOrEqual(1);
    expect(g.peakRssBytes).toBeGreaterThan(10e6);
    const reasons = [...verdict.validity.reasons, ...verdict.rows.map((r) => r.reason ?? '')];
    expect(reasons.filter((r) => r.includes('generator was saturated'))).toEqual([]);
  });

  it('shows them in the terminal, summary.md and the report', async () => {
    expect(stderr).toMatch(/\n {2}generator {2}k6 CPU peak \d+ % of \d+ cores?, RSS peak \d+ MB\n/);
    expect(await readFile(join(dir, 'summary.md'), 'utf8')).toMatch(
      /\*\*Generator:\*\* k6 CPU peak \d+ % of \d+ cores?, RSS peak \d+ MB\./,
    );
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<section id="sec-generator" data-generator="ok">');
    expect(html).toMatch(/<tr data-stage="hold"><td class="l">hold<\/td>/);
  });
});
