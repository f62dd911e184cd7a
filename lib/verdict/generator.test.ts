/**
 * The saturated-generator rule on synthetic samples (never a really saturated machine): which
 * samples count in which stage, the 90 % and 10 % edges, and what a saturated stage does to the
 * verdict's rows, validity and renderings.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_THRESHOLDS } from '../../thresholds/sets.ts';
import type { GeneratorFile } from '../contract/run.ts';
import { computeVerdict } from './compute.ts';
import { healthyRun } from '../../test/support/verdict-fixtures.ts';
import { GENERATOR_CPU_LIMIT, GENERATOR_SATURATED_SHARE, generatorHealth } from './generator.ts';
import { generatorSentence } from '../shared/generator-text.ts';
import { renderMarkdown } from './markdown.ts';
import { VerdictSchema, type Verdict } from '../contract/verdict.ts';
import { renderTerminal } from './terminal.ts';

const { phase3 } = BUILTIN_THRESHOLDS.sets;
/** healthyRun's test start (analysis run.startedAt) and stages: ramp-up 0–10 s, hold 10–40 s, ramp-down 40–50 s. */
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const STAGES = [
  { name: 'ramp-up', startS: 0, endS: 10 },
  { name: 'hold', startS: 10, endS: 40 },
  { name: 'ramp-down', startS: 40, endS: 50 },
];

/** Samples every 500 ms from `fromS` (seconds after T0) with these CPU shares; RSS 150 MB. */
function samples(fromS: number, cpus: number[], rss = 150e6): GeneratorFile['samples'] {
  return cpus.map((cpu, i) => ({ t: T0 + (fromS + (i + 1) * 0.5) * 1000, dt: 500, cpu, rss }));
}

function file(list: GeneratorFile['samples'], processes = 1): GeneratorFile {
  return {
    kind: 'loadgate.generator',
    version: 1,
    cores: 2,
    clockTicks: 100,
    intervalMs: 500,
    processes: Array.from({ length: processes }, (_, i) => ({ pid: 100 + i, name: 'k6', segment: processes > 1 ? i + 1 : null })),
    samples: list,
  };
}

/** The hold stage (30 s, 60 samples) with `hot` samples at `cpu` and the rest at 0.3. */
function hold(hot: number, cpu = 0.95): GeneratorFile['samples'] {
  return samples(
    10,
    Array.from({ length: 60 }, (_, i) => (i < hot ? cpu : 0.3)),
  );
}

const holdOf = (f: GeneratorFile) => generatorHealth(f, T0, STAGES).stages.find((s) => s.name === 'hold');

describe('generator health per stage', () => {
  it('puts each sample in the stage that holds its whole interval; start-up and boundary samples in none', () => {
    const list = [
      // k6 starting up, before the test start: busy, and not load.
      { t: T0 - 200, dt: 500, cpu: 1, rss: 80e6 },
      // Across the start: in no stage either.
      { t: T0 + 300, dt: 500, cpu: 0.99, rss: 90e6 },
      ...samples(0.3, [0.2, 0.4]),
      // Across the ramp-up/hold boundary at 10 s.
      { t: T0 + 10_200, dt: 500, cpu: 0.98, rss: 100e6 },
      ...samples(10.2, [0.5, 0.6, 0.7]),
      // The graceful stop after the last stage.
      { t: T0 + 50_400, dt: 500, cpu: 0.05, rss: 200e6 },
    ];
    const g = generatorHealth(file(list), T0, STAGES);
    expect(g.samples).toBe(9);
    expect(g.samplesInStages).toBe(5);
    expect(g.stages.map((s) => [s.name, s.samples])).toEqual([
      ['ramp-up', 2],
      ['hold', 3],
      ['ramp-down', 0],
    ]);
    const [up, h, down] = g.stages;
    expect(up?.meanCpu).toBeCloseTo(0.3);
    expect(up?.peakCpu).toBe(0.4);
    expect(h?.peakCpu).toBe(0.7);
    expect(down).toMatchObject({ samples: 0, hot: 0, hotShare: null, meanCpu: null, peakCpu: null, saturated: false });
    // The CPU peak is the load's (the start-up's 100 % is not); the memory peak is the whole run's.
    expect(g.peakCpu).toBe(0.7);
    expect(g.peakRssBytes).toBe(200e6);
    expect(g.saturatedStages).toEqual([]);
  });

  it('a sample is hot above 90 % of the cores, not at 90 %', () => {
    expect(GENERATOR_CPU_LIMIT).toBe(0.9);
    expect(holdOf(file(hold(30, 0.9)))).toMatchObject({ hot: 0, saturated: false });
    expect(holdOf(file(hold(30, 0.9001)))).toMatchObject({ hot: 30, saturated: true });
  });

  it('a stage is saturated when more than 10 % of its samples are hot, not at 10 %', () => {
    expect(GENERATOR_SATURATED_SHARE).toBe(0.1);
    // 60 samples in hold: 6 hot is exactly 10 %, 7 is 11.7 %.
    expect(holdOf(file(hold(5)))).toMatchObject({ samples: 60, hot: 5, saturated: false });
    expect(holdOf(file(hold(6)))).toMatchObject({ samples: 60, hot: 6, hotShare: 0.1, saturated: false });
    expect(holdOf(file(hold(7)))).toMatchObject({ samples: 60, hot: 7, saturated: true });
    // Shares that are not exact in binary: 3 of 30 is 10 % (not saturated), 4 of 30 is.
    const thirty = (hot: number) =>
      samples(
        10,
        Array.from({ length: 30 }, (_, i) => (i < hot ? 1 : 0.1)),
      );
    expect(holdOf(file(thirty(3)))?.saturated).toBe(false);
    expect(holdOf(file(thirty(4)))?.saturated).toBe(true);
    // One hot sample of one: 100 %.
    expect(holdOf(file(samples(10, [0.95])))).toMatchObject({ samples: 1, hot: 1, hotShare: 1, saturated: true });
  });

  it("counts the stages from when k6's scenarios started, when the file says, so k6's start-up is in none", () => {
    // The analysis's start is k6's first vus period: k6 initialised VUs (busy) and ran setup() for 2 s after it.
    const startUp = samples(0, [0.95, 0.97, 0.96, 0.6]);
    const load = samples(
      2,
      Array.from({ length: 20 }, () => 0.2),
    );
    const late = generatorHealth({ ...file([...startUp, ...load]), loadStartedAt: T0 + 2000 }, T0, STAGES);
    expect(late.stages[0]).toMatchObject({ name: 'ramp-up', samples: 20, hot: 0, saturated: false });
    expect(late.samplesInStages).toBe(20);
    expect(late.peakCpu).toBe(0.2);
    // Without it, the analysis's start: the start-up counts in the first stage.
    const early = generatorHealth(file([...startUp, ...load]), T0, STAGES);
    expect(early.stages[0]).toMatchObject({ samples: 20, hot: 3, saturated: true });
  });

  it('without a test start, no sample is in a stage', () => {
    const g = generatorHealth(file(hold(60)), null, STAGES);
    expect(g.samplesInStages).toBe(0);
    expect(g.saturatedStages).toEqual([]);
    expect(g.peakRssBytes).toBe(150e6);
  });
});

const row = (v: Verdict, target: string, endpoint: string, stage = 'all') =>
  v.rows.find((r) => r.target === target && r.endpoint === endpoint && r.stage === stage);

describe('the verdict with generator samples', () => {
  it('a light generator changes nothing, and is recorded', () => {
    const without = computeVerdict(healthyRun(120), phase3, { setName: 'phase3' });
    const light = computeVerdict(healthyRun(120), phase3, { setName: 'phase3', generator: file(hold(6)) });
    expect(() => VerdictSchema.parse(light)).not.toThrow();
    expect(light.status).toBe('pass');
    expect(light.validity.valid).toBe(true);
    expect(light.rows).toEqual(without.rows);
    expect(light.validity.generator?.stages.find((s) => s.name === 'hold')).toMatchObject({ samples: 60, hot: 6, saturated: false });
    // Not given: no field (older callers); null: judged without samples.
    expect('generator' in without.validity).toBe(false);
    const none = computeVerdict(healthyRun(120), phase3, { generator: null });
    expect(none.validity.generator).toBeNull();
    expect(none.status).toBe('pass');
  });

  it('a saturated stage makes the verdict inconclusive, with the reason', () => {
    const v = computeVerdict(healthyRun(120), phase3, { setName: 'phase3', generator: file(hold(7)) });
    expect(() => VerdictSchema.parse(v)).not.toThrow();
    const reason =
      'the load generator was saturated in stage hold: k6 used > 90 % of 2 cores for 11.7 % of the stage (7 of 60 samples); a saturated generator measures itself, not the API';
    expect(v.status).toBe('inconclusive');
    expect(v.validity.valid).toBe(false);
    expect(v.validity.reasons).toEqual([reason]);
    expect(v.validity.generator?.saturatedStages).toEqual(['hold']);
    // Whole-run rows hold the stage's samples: their passes are not proven.
    expect(row(v, 'p95', 'auth.login')).toMatchObject({ status: 'inconclusive', reason: `within the target, but ${reason}` });
    // Per-stage rows: only the saturated stage's.
    expect(row(v, 'p95', 'auth.login', 'hold')?.status).toBe('inconclusive');
    expect(row(v, 'p95', 'auth.login', 'ramp-up')?.status).toBe('pass');
    // The system demonstrably served the rate: a throughput pass stays a pass.
    expect(v.rows.find((r) => r.target === 'throughput')?.status).toBe('pass');
  });

  it('a breach measured by a saturated generator is inconclusive, unless the system’s own errors make it', () => {
    const slow = computeVerdict(healthyRun(120, { login: { p95: 900 } }), phase3, { generator: file(hold(30)) });
    expect(row(slow, 'p95', 'auth.login')).toMatchObject({ status: 'inconclusive', measured: 900 });
    expect(row(slow, 'p95', 'auth.login')?.reason).toMatch(/^breached as measured, but the load generator was saturated in stage hold/);
    expect(slow.status).toBe('inconclusive');

    // Timeouts may be the generator's own delay: inconclusive.
    const timeouts = computeVerdict(healthyRun(120, { me: { timeouts: 200 } }), phase3, { generator: file(hold(30)) });
    expect(row(timeouts, 'errorRate', 'user.me')?.status).toBe('inconclusive');
    expect(row(timeouts, 'timeoutRate', 'user.me')?.status).toBe('inconclusive');

    // 5xx answers are the system's: the error-rate breach stays a fail, and says so.
    const errors = computeVerdict(healthyRun(120, { me: { http5xx: 200 } }), phase3, { generator: file(hold(30)) });
    const r = row(errors, 'errorRate', 'user.me');
    expect(r?.status).toBe('fail');
    expect(r?.reason).toMatch(
      /the failures other than timeouts breach the target on their own \(\d+(\.\d)? %\), though the load generator/,
    );
    expect(errors.status).toBe('fail');
    // The same errors without a saturated generator: a plain fail.
    expect(row(computeVerdict(healthyRun(120, { me: { http5xx: 200 } }), phase3), 'errorRate', 'user.me')?.reason).toBe(
      '200 of 1920 requests failed',
    );
  });

  it('a throughput shortfall in a saturated steady window is inconclusive', () => {
    // Offered at the 100 RPS target, and 5xx answers ate the goodput: a fail, unless the generator was saturated.
    const failing = healthyRun(100, { login: { http5xx: 600 }, me: { http5xx: 600 } });
    const plain = computeVerdict(failing, phase3);
    expect(plain.rows.find((r) => r.target === 'throughput')?.status).toBe('fail');
    const hot = computeVerdict(failing, phase3, { generator: file(hold(30)) });
    const t = hot.rows.find((r) => r.target === 'throughput');
    expect(t?.status).toBe('inconclusive');
    expect(t?.reason).toMatch(/breached as measured, but the load generator was saturated in stage hold/);
  });

  it('the production judgement follows the same rule', () => {
    const v = computeVerdict(healthyRun(120), phase3, {
      production: { name: 'production', set: BUILTIN_THRESHOLDS.sets.production },
      generator: file(hold(7)),
    });
    expect(v.production?.status).toBe('inconclusive');
  });
});

describe('the generator in the terminal and summary.md', () => {
  const analysis = healthyRun(120);
  it('one line with the peaks, or the saturated stage', () => {
    const light = computeVerdict(analysis, phase3, { setName: 'phase3', generator: file(hold(6)) });
    const text = renderTerminal(analysis, light, { color: false });
    expect(text).toContain('  generator  k6 CPU peak 95 % of 2 cores, RSS peak 150 MB\n');
    expect(renderMarkdown(light, analysis)).toContain('**Generator:** k6 CPU peak 95 % of 2 cores, RSS peak 150 MB.');

    const hot = computeVerdict(analysis, phase3, { setName: 'phase3', generator: file(hold(7)) });
    expect(renderTerminal(analysis, hot, { color: false })).toContain(
      '  generator  ? saturated in stage hold (k6 > 90 % of 2 cores for 11.7 % of its samples): k6 CPU peak 95 % of 2 cores,',
    );
    expect(renderMarkdown(hot, analysis)).toContain('**Generator:** ⚠️ saturated in stage hold');
  });

  it('says so when there are no samples, and counts segments', () => {
    const none = computeVerdict(analysis, phase3, { generator: null });
    expect(renderTerminal(analysis, none, { color: false })).toContain('  generator  no generator samples\n');
    const old = computeVerdict(analysis, phase3);
    expect(renderMarkdown(old, analysis)).toContain('**Generator:** no generator samples.');
    expect(generatorSentence(generatorHealth(file(hold(0), 3), T0, STAGES))).toBe(
      'k6 CPU peak 30 % of 2 cores, RSS peak 150 MB (3 k6 processes)',
    );
  });
});
