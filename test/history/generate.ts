/**
 * A generated nightly history: 60 nights of the same shape (journey · load, one steady stage),
 * each a real analysis (latencies sampled into HDR histograms, seeded) judged by the real verdict
 * engine, written as run directories the way `loadgate run` leaves them.
 *
 *   - auth.login: a step regression at night 40 (P95 × 1.4 from then on);
 *   - user.me: a single outlier at night 20 (× 3 that night only);
 *   - every endpoint: slow noise, a ±4 % wave over 23 nights, on top of the sampling noise.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Analysis } from '../../lib/contract/analysis.ts';
import type { Verdict } from '../../lib/contract/verdict.ts';
import type { Source } from '../../lib/contract/history.ts';
import { makeAnalysis, type FixtureEndpoint } from '../fixtures/report/make-analysis.ts';
import { verdictFor } from '../fixtures/report/make-verdict.ts';

export const NIGHTS = 60;
export const STEP_NIGHT = 40;
export const STEP_ENDPOINT = 'auth.login';
export const OUTLIER_NIGHT = 20;
export const OUTLIER_ENDPOINT = 'user.me';

const BASE: Array<Omit<FixtureEndpoint, 'share'> & { share: number }> = [
  { name: 'auth.login', group: 'auth', method: 'POST', path: '/api/auth/login', share: 0.2, baseMs: 40 },
  { name: 'user.me', group: 'user', method: 'GET', path: '/api/me', share: 0.2, baseMs: 20 },
  { name: 'user.profile-get', group: 'user', method: 'GET', path: '/api/user/profile', share: 0.15, baseMs: 30 },
  { name: 'monitoring.health', group: 'monitoring', method: 'GET', path: '/api/monitoring/health', share: 0.15, baseMs: 6 },
  { name: 'monitoring.metrics', group: 'monitoring', method: 'GET', path: '/api/monitoring/metrics', share: 0.15, baseMs: 25 },
  { name: 'probe.ready', group: 'probes', method: 'GET', path: '/ready', share: 0.15, baseMs: 2 },
];

export function nightStart(night: number): string {
  return new Date(Date.UTC(2026, 0, 1, 2, 17) + (night - 1) * 86_400_000).toISOString();
}

export function nightRunId(night: number): string {
  const stamp = nightStart(night)
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-journey-load-n${String(night).padStart(2, '0')}`;
}

export function nightCommit(night: number): string {
  return `${night.toString(16).padStart(4, '0')}c0ffee${'0'.repeat(30)}`;
}

export interface NightOptions {
  /** Extra endpoints (the bench: 20 of them). */
  endpoints?: number;
  /** Requests per second in the steady stage. */
  rps?: number;
  durationS?: number;
}

/** Night `night`'s analysis (1-based). */
export function nightAnalysis(night: number, o: NightOptions = {}): Analysis {
  const wave = 1 + 0.04 * Math.sin((2 * Math.PI * night) / 23);
  const base = [...BASE];
  for (let i = base.length; i < (o.endpoints ?? base.length); i++) {
    base.push({
      name: `extra.e${String(i).padStart(2, '0')}`,
      group: 'extra',
      method: 'GET',
      path: `/extra/${i}`,
      share: 0.05,
      baseMs: 10 + i,
    });
  }
  const endpoints: FixtureEndpoint[] = base.map((e) => {
    let factor = wave;
    if (e.name === STEP_ENDPOINT && night >= STEP_NIGHT) factor *= 1.4;
    if (e.name === OUTLIER_ENDPOINT && night === OUTLIER_NIGHT) factor *= 3;
    return { ...e, baseMs: e.baseMs * factor, sigma: 0.3, kneeRps: null, errorRate: 0.001, timeoutMs: 10_000 };
  });
  const rps = o.rps ?? 20;
  return makeAnalysis({
    seed: 1000 + night,
    runId: nightRunId(night),
    scenario: 'journey',
    profile: 'load',
    phase: 'phase3',
    startedAt: nightStart(night),
    intervalS: 10,
    endpoints,
    stages: [{ name: 'hold', durationS: o.durationS ?? 120, fromRps: rps, toRps: rps }],
  });
}

export interface NightRun {
  night: number;
  runDir: string;
  analysis: Analysis;
  verdict: Verdict;
}

/** Writes night `night` as a run directory under `outDir` (analysis.json, verdict.json, source.json). */
export async function writeNight(outDir: string, night: number, o: NightOptions = {}): Promise<NightRun> {
  const analysis = nightAnalysis(night, o);
  const verdict = verdictFor(analysis, 'phase3');
  const runDir = join(outDir, analysis.run.runId);
  await mkdir(runDir, { recursive: true });
  const source: Source = { kind: 'loadgate.source', version: 1, commit: nightCommit(night), branch: 'main', from: 'env' };
  await writeFile(join(runDir, 'analysis.json'), JSON.stringify(analysis));
  await writeFile(join(runDir, 'verdict.json'), JSON.stringify(verdict));
  await writeFile(join(runDir, 'source.json'), JSON.stringify(source));
  return { night, runDir, analysis, verdict };
}

/** Nights `from`..`to` (inclusive) under `outDir`. */
export async function writeNights(outDir: string, from: number, to: number, o: NightOptions = {}): Promise<NightRun[]> {
  const out: NightRun[] = [];
  for (let n = from; n <= to; n++) out.push(await writeNight(outDir, n, o));
  return out;
}
