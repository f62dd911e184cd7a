import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../cli/errors.ts';
import { BUILTIN_THRESHOLDS } from '../../thresholds/sets.ts';
import { computeVerdict } from './compute.ts';
import { exitCodeForVerdict } from './exit.ts';
import { healthyRun } from './fixtures.ts';
import { formatMargin, rowMessage } from './format.ts';
import { judgeRun } from './judge.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { VerdictSchema, type VerdictRow } from './schema.ts';

const { production, phase3 } = BUILTIN_THRESHOLDS.sets;

const base: VerdictRow = {
  target: 'p95',
  endpoint: 'auth.login',
  group: 'auth',
  stage: 'all',
  gating: true,
  status: 'fail',
  measured: 2013.4,
  threshold: 500,
  comparator: '<',
  unit: 'ms',
  margin: 1513.4,
  marginRel: 3.0268,
  requests: 100,
  censored: false,
  reason: null,
};

describe('rowMessage', () => {
  it.each<[Partial<VerdictRow>, string]>([
    [{}, 'auth.login p95 2013.4 ms > 500 ms target (+1513.4 ms, +302.7 %)'],
    [
      {
        target: 'errorRate',
        unit: 'ratio',
        measured: 0.078,
        threshold: 0.05,
        margin: 0.028,
        marginRel: 0.56,
        reason: '150 of 1920 requests failed',
      },
      'auth.login error rate 7.8 % > 5 % target (+2.8 pp, +56 %): 150 of 1920 requests failed',
    ],
    [
      { target: 'timeoutRate', unit: 'ratio', comparator: '<=', measured: 0.026, threshold: 0, margin: 0.026, marginRel: null },
      'auth.login timeout rate 2.6 % > 0 % target (+2.6 pp)',
    ],
    [
      {
        target: 'throughput',
        endpoint: '*',
        stage: 'hold',
        unit: 'rps',
        comparator: '>=',
        measured: 73.3,
        threshold: 100,
        margin: -26.7,
        marginRel: -0.267,
      },
      'run throughput in hold 73.3 RPS < 100 RPS target (-26.7 RPS, -26.7 %)',
    ],
    [
      { measured: null, margin: null, marginRel: null, status: 'inconclusive', reason: 'no requests' },
      'auth.login p95: not measured, target < 500 ms (no requests)',
    ],
  ])('%j', (over, expected) => {
    expect(rowMessage({ ...base, ...over })).toBe(expected);
  });

  it('margin of zero', () => {
    expect(formatMargin({ margin: 0, marginRel: 0, unit: 'ms' })).toBe('±0 ms, ±0 %');
  });
});

describe('exitCodeForVerdict', () => {
  it.each([
    ['pass', false, ExitCode.ok],
    ['pass', true, ExitCode.ok],
    ['fail', false, ExitCode.breach],
    ['fail', true, ExitCode.breach],
    ['inconclusive', false, ExitCode.ok],
    ['inconclusive', true, ExitCode.inconclusive],
  ] as const)('%s, failOnInconclusive=%s → %i', (status, failOnInconclusive, code) => {
    expect(exitCodeForVerdict({ status }, { failOnInconclusive })).toBe(code);
  });
});

describe('renderJunit', () => {
  const verdict = computeVerdict(healthyRun(120, { login: { p95: 2013.4, http5xx: 200 } }), production, { setName: 'production' });
  const xml = renderJunit(verdict);

  it('has one testcase per gating target × endpoint, and failures that state measured vs target', () => {
    const gating = verdict.rows.filter((r) => r.gating).length;
    expect(xml.match(/<testcase /g)?.length).toBe(gating);
    expect(xml).toContain('<testsuite name="loadgate.production.auth"');
    expect(xml).toContain('<testsuite name="loadgate.production.run"');
    expect(xml).toContain('message="auth.login p95 2013.4 ms > 500 ms target (+1513.4 ms, +302.7 %)" type="p95"');
    expect(xml).toMatch(/message="auth\.login error rate 10\.42 % > 5 % target \(\+5\.42 pp, \+108\.3 %\): 200 of 1920 requests failed"/);
    expect(xml).toMatch(/<testsuites [^>]*failures="2"/);
  });

  it('inconclusive rows are skipped with the reason in system-out', () => {
    const v = computeVerdict(healthyRun(60), phase3, { setName: 'phase3' });
    const out = renderJunit(v);
    expect(out).toContain('<skipped/>');
    expect(out).toContain('inconclusive: run throughput in hold');
  });
});

describe('renderMarkdown', () => {
  it('leads with the badge, lists failing rows first and summarises timeouts', () => {
    const a = healthyRun(120, { login: { p95: 2013.4, timeouts: 40, censored: true } });
    const v = computeVerdict(a, production, { setName: 'production' });
    const md = renderMarkdown(v, a);
    expect(md.split('\n')[0]).toBe('## loadgate ❌ FAIL — threshold set `production`');
    expect(md).toContain('**Load:** ✅ the generator delivered the load: offered 120 RPS');
    expect(md).toMatch(/\*\*Targets:\*\* 2 failed · 0 inconclusive · \d+ passed/);
    const firstRow = md.split('\n').find((l) => l.startsWith('| ❌'));
    expect(firstRow).toContain(
      '| auth.login | p95 | 2013.4 ms (censored) | < 500 ms | +1513.4 ms, +302.7 % | all | censored: the true P95 is at least 2013.4 ms',
    );
    expect(md).toContain('**Timeouts:** timeout issues: 1 of 3 endpoints');
    expect(md).toContain('<details><summary>');
  });

  it('says when the load was not valid, and why', () => {
    const a = healthyRun(120, {}, 400);
    const md = renderMarkdown(computeVerdict(a, phase3, { requestsPerIteration: 1 }), a);
    expect(md).toContain('## loadgate ⚠️ INCONCLUSIVE');
    expect(md).toContain('**Load:** ⚠️ not valid');
    expect(md).toMatch(/- stage hold: k6 dropped 400 iterations/);
  });
});

describe('judgeRun', () => {
  it('writes verdict.json, junit.xml and summary.md and returns the exit code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-verdict-'));
    try {
      const a = healthyRun(120, { me: { p95: 900 } });
      await writeFile(join(dir, 'analysis.json'), JSON.stringify(a));
      const r = await judgeRun(dir, { set: 'production', now: new Date('2025-01-02T03:04:05Z') });
      expect(r.exitCode).toBe(ExitCode.breach);
      const v = VerdictSchema.parse(JSON.parse(await readFile(r.files.verdict, 'utf8')));
      expect(v).toMatchObject({
        status: 'fail',
        generatedAt: '2025-01-02T03:04:05.000Z',
        set: { name: 'production', thresholdsVersion: 1 },
      });
      expect(await readFile(r.files.junit, 'utf8')).toContain('user.me p95 900 ms > 500 ms target');
      expect(await readFile(r.files.summary, 'utf8')).toBe(r.markdown);
      // default set: the run's phase (phase3 in the fixture)
      expect((await judgeRun(dir)).verdict.set.name).toBe('phase3');
      await expect(judgeRun(dir, { set: 'nope' })).rejects.toThrow('unknown threshold set "nope"; valid sets: baseline, phase1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unreadable analysis is a data error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-verdict-'));
    try {
      await writeFile(join(dir, 'analysis.json'), '{"kind":"other"}');
      await expect(judgeRun(dir)).rejects.toMatchObject({ exitCode: ExitCode.data });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
