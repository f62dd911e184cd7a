/**
 * The readiness checks against the reference API, for real: with its security headers, CORS
 * and gzip on, every check passes; with each turned off, its own checks flip and the others do
 * not. First answer by answer (node:http, the rules of lib/shared/readiness.ts), then the whole
 * path through real k6: the plan's readiness scenario beside the load, its samples kept apart by
 * the analysis, the score from them.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBundle } from '../../build/bundle.ts';
import { resolveConfig } from '../../lib/config/load.ts';
import { analyzeRun } from '../../lib/analysis/analyze.ts';
import { PlanSchema } from '../../lib/contract/plan.ts';
import { buildPlan } from '../../lib/plan/build.ts';
import { REFERENCE_API_ORIGIN } from '../../lib/shared/defaults.ts';
import {
  ACCEPT_ENCODING,
  compressionResult,
  corsAllowedResult,
  corsRefusedResult,
  securityHeaderResults,
  type ReadinessAnswer,
} from '../../lib/shared/readiness.ts';
import { scoreReadiness } from '../../lib/shared/readiness-score.ts';
import { startTarget, type ProfileOverrides } from '../../reference-api/server.ts';

const K6 = resolve(import.meta.dirname, '../../.tools/k6/v2.2.0/k6');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** One answer as the readiness scenario reads it: headers, status, and the body's decompressed length. */
function ask(url: string, method: string, headers: Record<string, string>): Promise<ReadinessAnswer> {
  return new Promise((done, fail) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
        done({ status: res.statusCode ?? 0, headers: flat, bodyLength: body.toString('utf8').length });
      });
    });
    req.on('error', fail);
    req.end();
  });
}

const FAST: ProfileOverrides = { hashing: { iterations: 1000 } };

/** Every answer-level check against a reference API started with these overrides. */
async function checksWith(security: ProfileOverrides['security']): Promise<Record<string, boolean | null>> {
  const t = await startTarget({ profile: 'phase3', port: 0, overrides: { ...FAST, ...(security ? { security } : {}) } });
  try {
    const api = await ask(`${t.url}/api/me`, 'GET', { 'accept-encoding': ACCEPT_ENCODING });
    const metrics = await ask(`${t.url}/api/monitoring/metrics`, 'GET', { 'accept-encoding': ACCEPT_ENCODING });
    const pre = (origin: string) =>
      ask(`${t.url}/api/me`, 'OPTIONS', {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, content-type',
      });
    return {
      ...Object.fromEntries(securityHeaderResults(api, { hsts: false })),
      'cors.allowed': corsAllowedResult(await pre(REFERENCE_API_ORIGIN), REFERENCE_API_ORIGIN, ['authorization', 'content-type']),
      'cors.refused': corsRefusedResult(await pre('https://elsewhere.example.test'), 'https://elsewhere.example.test'),
      compression: compressionResult(metrics, 1024),
    };
  } finally {
    await t.close();
  }
}

const ALL_PASS = {
  'security.content-type-options': true,
  'security.frame-options': true,
  'security.referrer-policy': true,
  'cors.allowed': true,
  'cors.refused': true,
  compression: true,
};

describe('readiness checks against the reference API, answer by answer', () => {
  it('phase3: headers, CORS for the app origin only, and gzip: every check passes', async () => {
    expect(await checksWith(undefined)).toEqual(ALL_PASS);
  });

  it('headers off: the three header checks flip, nothing else', async () => {
    expect(await checksWith({ headers: false })).toEqual({
      ...ALL_PASS,
      'security.content-type-options': false,
      'security.frame-options': false,
      'security.referrer-policy': false,
    });
  });

  it('CORS off: the app origin is no longer allowed (another is still refused)', async () => {
    expect(await checksWith({ cors: false })).toEqual({ ...ALL_PASS, 'cors.allowed': false });
  });

  it('CORS open to every origin (phase1): the other origin is no longer refused', async () => {
    expect(await checksWith({ corsOrigins: ['*'] })).toEqual({ ...ALL_PASS, 'cors.refused': false });
  });

  it('gzip off: compression flips', async () => {
    expect(await checksWith({ gzip: false })).toEqual({ ...ALL_PASS, compression: false });
  });
});

/** A short monitoring run with the readiness scenario beside it, through real k6; the analysis's readiness score. */
async function k6Readiness(overrides: ProfileOverrides) {
  const t = await startTarget({ profile: 'phase3', port: 0, overrides: { ...FAST, ...overrides } });
  try {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-readiness-k6-'));
    dirs.push(dir);
    const config = resolveConfig({
      file: {
        path: 'readiness.yaml',
        data: { target: { baseUrl: t.url }, load: { rps: 40, durationScale: 0.3 }, readiness: { enabled: true, rate: 3 } },
      },
    });
    const plan = PlanSchema.parse(
      buildPlan({ config, scenario: 'monitoring', profile: 'smoke', phase: null, runId: 'readiness', now: new Date().toISOString() }),
    );
    await writeFile(join(dir, 'plan.json'), JSON.stringify(plan));
    const script = await ensureBundle('flow', 'run');
    const child = spawn(K6, ['run', '--quiet', '--no-color', '--out', `json=${join(dir, 'raw.ndjson.gz')}`, script], {
      env: { ...process.env, LOADGATE_PLAN: join(dir, 'plan.json'), K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    if (code !== 0) throw new Error(`k6 exited ${code}:\n${out.slice(-3000)}`);
    const analysis = await analyzeRun(dir);
    return { analysis, score: scoreReadiness(analysis, null, plan.readiness) };
  } finally {
    await t.close();
  }
}

describe('readiness checks through real k6, beside the load', () => {
  it('all on passes every check, all off fails theirs; the load figures never count a readiness request', async () => {
    if (!existsSync(K6)) throw new Error(`k6 v2.2.0 is missing at ${K6}: install it with \`bash scripts/setup.sh\``);
    const on = await k6Readiness({});
    const off = await k6Readiness({ security: { headers: false, cors: false, gzip: false } });
    const status = (s: typeof on.score) => Object.fromEntries(s.checks.map((c) => [c.id, c.status]));
    expect(status(on.score)).toEqual({
      'security.content-type-options': 'pass',
      'security.frame-options': 'pass',
      'security.referrer-policy': 'pass',
      'security.hsts': 'off',
      'cors.allowed': 'pass',
      'cors.refused': 'pass',
      compression: 'pass',
      'probes.latency': 'pass',
      'monitoring.answering': 'pass',
      'monitoring.prometheus': 'pass',
    });
    expect(status(off.score)).toMatchObject({
      'security.content-type-options': 'fail',
      'security.frame-options': 'fail',
      'security.referrer-policy': 'fail',
      'cors.allowed': 'fail',
      'cors.refused': 'pass',
      compression: 'fail',
      'monitoring.prometheus': 'pass',
    });
    expect(on.score.categories.find((c) => c.name === 'security')?.score).toBe(1);
    expect(off.score.categories.find((c) => c.name === 'security')?.score).toBe(0.2);
    for (const { analysis } of [on, off]) {
      const r = analysis.readiness!;
      expect(r.requests).toBeGreaterThan(10);
      // Kept apart: no endpoint row, no request of the load's count is a readiness request.
      expect(analysis.endpoints.map((e) => e.name).every((n) => /^(monitoring|probes)\./.test(n))).toBe(true);
      expect(analysis.totals.requests).toBe(analysis.endpoints.reduce((n, e) => n + e.total.requests, 0));
      expect(analysis.input.skipped.unknownMetric).toBe(0);
    }
  }, 120_000);
});
