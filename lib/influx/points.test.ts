import { describe, expect, it } from 'vitest';
import { phaseRun } from '../../test/fixtures/report/make-analysis.ts';
import { verdictFor } from '../../test/fixtures/report/make-verdict.ts';
import { findSet } from '../../thresholds/sets.ts';
import { MEASUREMENTS } from '../contract/influx.ts';
import { endpointVerdict, eventPoint, NO_PHASE, summaryPoints, targetPoints } from './points.ts';
import { parseInfluxUrl } from './client.ts';

const analysis = phaseRun('phase2', 3, {
  runId: 'R1',
  phase: 'phase2',
  scenario: 'journey',
  profile: 'stress',
  startedAt: '2026-01-02T03:04:05.678Z',
});
const verdict = verdictFor(analysis, 'phase2');

/** Tag values must come from small closed sets; none may look like a URL, address or secret. */
function assertSafeTags(tags: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(tags ?? {})) {
    expect(['testid', 'phase', 'scenario', 'profile', 'endpoint', 'group', 'verdict', 'status', 'type']).toContain(key);
    expect(value, key).not.toMatch(/:\/\/|\/|@|\s/);
    expect(value.length, key).toBeGreaterThan(0);
  }
}

describe('summaryPoints', () => {
  const points = summaryPoints({ analysis, verdict });
  const summary = points.filter((p) => p.measurement === MEASUREMENTS.summary);

  it('writes one point per endpoint and one per run, all at the run start', () => {
    expect(summary).toHaveLength(analysis.endpoints.length);
    expect(points.filter((p) => p.measurement === MEASUREMENTS.runs)).toHaveLength(1);
    for (const p of points) expect(p.timestamp).toEqual(new Date('2026-01-02T03:04:05.678Z'));
  });

  it('copies the analysis figures of each endpoint', () => {
    for (const ep of analysis.endpoints) {
      const p = summary.find((s) => s.tags?.['endpoint'] === ep.name)!;
      expect(p.fields).toMatchObject({
        requests: ep.total.requests,
        timeouts: ep.total.outcomes.timeout + ep.total.outcomes.dialTimeout,
        ...(ep.total.durationMs.p95 !== null ? { p95: ep.total.durationMs.p95 } : {}),
        ...(ep.total.errorRate !== null ? { error_rate: ep.total.errorRate } : {}),
        ...(ep.total.rps !== null ? { achieved_rps: ep.total.rps } : {}),
      });
      expect(p.tags).toMatchObject({
        testid: 'R1',
        phase: 'phase2',
        scenario: 'journey',
        profile: 'stress',
        verdict: endpointVerdict(verdict, ep.name),
      });
    }
  });

  it('carries the targets the verdict applied', () => {
    const login = summary.find((s) => s.tags?.['endpoint'] === 'auth.login');
    expect(login?.fields).toMatchObject({ target_p95: 500, target_error_rate: 0.05, target_timeout_rate: 0.01 });
  });

  it('never tags a URL, an address or free text, and drops null fields', () => {
    for (const p of points) {
      assertSafeTags(p.tags);
      for (const v of Object.values(p.fields ?? {})) expect(v).not.toBeNull();
    }
  });

  it('says "none" without a verdict', () => {
    const bare = summaryPoints({ analysis, verdict: null });
    expect(new Set(bare.map((p) => p.tags?.['verdict']))).toEqual(new Set(['none']));
    expect(bare.find((p) => p.measurement === MEASUREMENTS.runs)?.fields).toMatchObject({ verdict_code: -1, failed: 0 });
  });
});

describe('targetPoints and events', () => {
  const plan = {
    runId: 'R2',
    phase: null,
    scenario: 'monitoring',
    endpoints: [
      { name: 'monitoring.health', group: 'monitoring', probe: false },
      { name: 'probes.live', group: 'probes', probe: true },
    ],
  } as Parameters<typeof targetPoints>[0];

  it('resolves each endpoint against the set (probes get their own P95)', () => {
    const pts = targetPoints(plan, findSet('phase3'), 1000);
    expect(pts.map((p) => [p.tags?.['endpoint'], p.fields?.['p95_ms'], p.fields?.['timeout_rate']])).toEqual([
      ['monitoring.health', 200, 0],
      ['probes.live', 100, 0],
    ]);
    expect(pts[0]?.tags?.['phase']).toBe(NO_PHASE);
  });

  it('writes nothing for a set without targets', () => {
    expect(targetPoints(plan, findSet('baseline'), 1000)).toEqual([]);
  });

  it('keeps free text in fields', () => {
    const p = eventPoint({ testid: 'R2', phase: 'none', scenario: 'x' }, 'stage', 5, 'stage hold', 'stage hold: 10 RPS', 'hold');
    assertSafeTags(p.tags);
    expect(p.fields).toEqual({ title: 'stage hold', text: 'stage hold: 10 RPS', stage: 'hold' });
  });
});

describe('parseInfluxUrl', () => {
  it.each([
    ['http://127.0.0.1:8086', undefined, { database: 'k6', baseUrl: 'http://127.0.0.1:8086', pathPrefix: '' }],
    ['http://127.0.0.1:8086/', 'perf', { database: 'perf', baseUrl: 'http://127.0.0.1:8086', pathPrefix: '' }],
    ['http://127.0.0.1:8086/loadtests', 'perf', { database: 'loadtests' }],
    [
      'https://influx.example/influxdb/k6',
      undefined,
      { database: 'k6', baseUrl: 'https://influx.example/influxdb', pathPrefix: '/influxdb', port: 443 },
    ],
  ])('%s (db %s)', (url, db, expected) => {
    expect(parseInfluxUrl(url, db, {})).toMatchObject({ ...expected, username: null, password: null });
  });

  it('takes credentials from env, and rejects them in the URL without echoing them', () => {
    const env = { LOADGATE_INFLUX_USERNAME: 'u', LOADGATE_INFLUX_PASSWORD: 'p@ss' };
    expect(parseInfluxUrl('http://127.0.0.1:8086/k6', undefined, env)).toMatchObject({ username: 'u', password: 'p@ss' });
    let message = '';
    try {
      parseInfluxUrl('https://u:s3cr3t@influx.example/k6');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/--influx must not hold credentials .*LOADGATE_INFLUX_USERNAME and LOADGATE_INFLUX_PASSWORD/);
    expect(message).not.toContain('s3cr3t');
  });

  it('rejects what is not an http(s) URL, saying what it got', () => {
    expect(() => parseInfluxUrl('127.0.0.1:8086')).toThrow(/--influx must be/);
    expect(() => parseInfluxUrl('udp://127.0.0.1:8089')).toThrow(/http:\/\/ or https:\/\//);
  });
});
