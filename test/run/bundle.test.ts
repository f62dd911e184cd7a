/**
 * The bundles without the CLI: the pinned k6 runs dist/<scenario>.js directly, with the env
 * vars the README documents, against the reference API on port 0. Asserts on k6's raw results:
 * requests per endpoint name, checks, stage tags. Also: a config file's own profile driving a
 * `loadgate run`, a plan's body check failing inside k6, and esbuild's warnings surfacing.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntries, bundleScenarios, ensureBundle } from '../../build/bundle.ts';
import { resolveConfig } from '../../lib/config/load.ts';
import { pinnedK6Version } from '../../lib/k6/locate.ts';
import { PlanSchema } from '../../lib/contract/plan.ts';
import { buildPlan } from '../../lib/plan/build.ts';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { REFERENCE_PASSWORD } from '../../lib/shared/reference-api.ts';
import { BODY_MISMATCH_METRIC, LOAD_START_METRIC, SAMPLE_TAGS_ENV } from '../../lib/shared/defaults.ts';
import { stageIndexAt } from '../../lib/shared/stage-at.ts';
import type { Analysis } from '../../lib/contract/analysis.ts';
import { cli, isReadiness, onlyRunDir, rawPoints, ROOT, tempOut, type RawPoint } from './helpers.ts';

let k6 = '';
let target: RunningTarget;

beforeAll(async () => {
  const version = await pinnedK6Version();
  k6 = join(ROOT, '.tools', 'k6', version, 'k6');
  // Never a skip: without the pinned k6 these tests cannot say anything, so they fail and say why.
  await access(k6, constants.X_OK).catch(() => {
    throw new Error(`the pinned k6 ${version} is missing at ${k6}; install it with: bash scripts/setup.sh`);
  });
  await ensureBundle('monitoring');
  target = await startTarget({ profile: 'phase3', port: 0 });
});
afterAll(async () => {
  await target?.close();
});

interface K6Result {
  code: number | null;
  stderr: string;
  points: RawPoint[];
}

/**
 * `k6 run -e NAME=value … --out json=FILE dist/<script>.js`, in an env of its own: nothing of
 * the test runner's env (a LOADGATE_PASSWORD, say) reaches k6 unless passed here.
 */
async function k6Run(script: string, vars: Record<string, string>): Promise<K6Result> {
  const out = join(await tempOut('loadgate-bundle-'), 'raw.json');
  const args = ['run', '--quiet', '--no-color', '--no-usage-report', '--address', '127.0.0.1:0', '--out', `json=${out}`];
  for (const [name, value] of Object.entries(vars)) args.push('-e', `${name}=${value}`);
  args.push(join(ROOT, 'dist', script));
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    K6_NO_USAGE_REPORT: 'true',
    K6_AUTO_EXTENSION_RESOLUTION: 'false',
  };
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(k6, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`k6 ${args.join(' ')} did not finish within 60 s\n${stderr}`));
    }, 60_000);
    child.once('error', reject);
    child.once('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stderr });
    });
  });
  const text = await readFile(out, 'utf8').catch(() => '');
  const points = text
    .split('\n')
    .filter((l) => l.includes('"Point"'))
    .map((l) => JSON.parse(l) as RawPoint);
  return { code, stderr, points };
}

function countBy(points: readonly RawPoint[], metric: string, tag: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of points) {
    if (p.metric !== metric) continue;
    const key = p.data.tags?.[tag] ?? '(none)';
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Check samples that failed, as "endpoint: check" → count. */
function failedChecks(points: readonly RawPoint[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of points) {
    if (p.metric !== 'checks' || p.data.value === 1) continue;
    const key = `${p.data.tags?.['name']}: ${p.data.tags?.['check']}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Failed body checks under a plan (BODY_MISMATCH_METRIC samples), as endpoint → count. */
function mismatches(points: readonly RawPoint[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of points) {
    if (p.metric !== BODY_MISMATCH_METRIC) continue;
    const key = p.data.tags?.['name'] ?? '(none)';
    out[key] = (out[key] ?? 0) + p.data.value;
  }
  return out;
}

const MONITORING = ['monitoring.health', 'monitoring.metrics', 'monitoring.performance', 'probes.health', 'probes.ready', 'probes.live'];
const AUTH = ['auth.login', 'auth.2fa_status', 'auth.request_email_verify', 'auth.refresh', 'auth.logout'];
const USER = ['user.me', 'user.profile_get', 'user.profile_update'];

describe('k6 run dist/<scenario>.js without the CLI', () => {
  it('runs the monitoring bundle with no password set, naming, checking and stage-tagging every request', async () => {
    // smoke at 5 % of 400 requests/s for 20 s × 0.2: about 80 requests over the six endpoints.
    // On its own (no plan.json will keep the stages), k6 tags every sample with its stage.
    const r = await k6Run('monitoring.js', { BASE_URL: target.url, PROFILE: 'smoke', RPS: '400', DURATION_SCALE: '0.2' });
    expect(r.code, r.stderr).toBe(0);

    const requests = countBy(r.points, 'http_reqs', 'name');
    expect([...requests.keys()].sort()).toEqual([...MONITORING].sort());
    for (const name of MONITORING) expect(requests.get(name), name).toBeGreaterThan(0);

    // Two checks per request (status, body shape), each tagged with its endpoint, and all passed.
    const checks = r.points.filter((p) => p.metric === 'checks');
    expect(checks.length).toBe(2 * [...requests.values()].reduce((a, b) => a + b, 0));
    expect(countBy(checks, 'checks', 'check')).toEqual(
      new Map([
        ['status is expected', checks.length / 2],
        ['body has the expected shape', checks.length / 2],
      ]),
    );
    expect(failedChecks(r.points)).toEqual({});

    const reqs = r.points.filter((p) => p.metric === 'http_reqs');
    expect(new Set(reqs.map((p) => p.data.tags?.['stage']))).toEqual(new Set(['smoke']));
    expect(new Set(reqs.map((p) => p.data.tags?.['testid']))).toEqual(new Set(['standalone']));
  });

  it('runs the journey bundle through every stage of the load profile', async () => {
    await ensureBundle('journey');
    // load at 20 requests/s × 0.04: ramp-up 2 s, hold 7 s, ramp-down 1 s.
    const r = await k6Run('journey.js', {
      BASE_URL: target.url,
      PROFILE: 'load',
      RPS: '20',
      DURATION_SCALE: '0.04',
      LOADGATE_PASSWORD: REFERENCE_PASSWORD,
      // The stage tag off, as under `loadgate run`.
      [SAMPLE_TAGS_ENV]: '0',
    });
    expect(r.code, r.stderr).toBe(0);

    const requests = countBy(r.points, 'http_reqs', 'name');
    for (const name of [...AUTH, ...USER]) expect(requests.get(name) ?? 0, name).toBeGreaterThan(0);
    expect(MONITORING.some((n) => (requests.get(n) ?? 0) > 0)).toBe(true);
    expect([...requests.keys()].every((n) => [...AUTH, ...USER, ...MONITORING].includes(n))).toBe(true);

    expect(r.points.some((p) => p.metric === 'checks')).toBe(true);
    expect(failedChecks(r.points)).toEqual({});

    // No stage tag: each VU wrote when k6 started the scenarios (one value), and the
    // load's requests, placed by the time they were sent from it, fall in every stage. Only
    // setup()'s session-pool logins come before it.
    expect(r.points.filter((p) => p.data.tags?.['stage'] !== undefined)).toEqual([]);
    const starts = new Set(r.points.filter((p) => p.metric === LOAD_START_METRIC).map((p) => p.data.value));
    expect(starts.size).toBe(1);
    const origin = [...starts][0] as number;
    const windows = [
      { name: 'ramp-up', endS: 2 },
      { name: 'hold', endS: 9 },
      { name: 'ramp-down', endS: 10 },
    ];
    const placed = new Map<string, number>();
    for (const p of r.points) {
      if (p.metric !== 'http_req_duration' || p.data.tags?.['group'] === '::setup') continue;
      const sentS = (Date.parse(p.data.time) - p.data.value - origin) / 1000;
      expect(sentS, 'sent before the load started').toBeGreaterThan(-0.01);
      const name = (windows[stageIndexAt(windows, sentS)] as { name: string }).name;
      placed.set(name, (placed.get(name) ?? 0) + 1);
    }
    expect(new Set(placed.keys())).toEqual(new Set(['ramp-up', 'hold', 'ramp-down']));
    expect(countBy(r.points, 'http_reqs', 'group').get('::setup')).toBe(10);
  });

  it('stops at init with a clear message when a login scenario has no password, or the profile is unknown', async () => {
    const noPassword = await k6Run('journey.js', { BASE_URL: target.url, PROFILE: 'smoke' });
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain(
      'the journey scenario logs in as the test users: set their password in the env var LOADGATE_PASSWORD (k6 run -e LOADGATE_PASSWORD=…',
    );
    expect(noPassword.points.filter((p) => p.metric === 'http_reqs')).toEqual([]);

    const unknown = await k6Run('monitoring.js', { BASE_URL: target.url, PROFILE: 'heavy' });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('PROFILE \\"heavy\\" is not a built-in load profile (smoke, load, stress, spike, soak, breakpoint)');
  });

  it('fails every kind of check inside k6 where the answer does not fit, and only there', async () => {
    // One endpoint per check kind whose answer cannot pass it; the other endpoints keep checks they pass.
    const endpoints = {
      'probes.live': { expectBody: { contains: 'not-in-any-answer' } },
      'probes.health': { expectBody: { json: ['not-a-field'] } },
      'probes.ready': { expectBody: { jsonPath: { status: { equals: 'not-ready' } } } },
      'monitoring.health': { expectBody: { empty: true } },
      'monitoring.metrics': { expectStatus: [201] },
    };
    const config = resolveConfig({
      flags: { target: target.url, rps: 400, durationScale: 0.2 },
      file: { path: 'test.json', data: { endpoints } },
    });
    const plan = PlanSchema.parse(
      buildPlan({ config, scenario: 'monitoring', profile: 'smoke', phase: null, runId: 'body-check', now: new Date().toISOString() }),
    );
    const planPath = join(await tempOut('loadgate-plan-'), 'plan.json');
    await writeFile(planPath, JSON.stringify(plan));

    const r = await k6Run('monitoring.js', { LOADGATE_PLAN: planPath });
    expect(r.code, r.stderr).toBe(0);
    const n = (name: string) => countBy(r.points, 'http_reqs', 'name').get(name) ?? 0;
    for (const name of [...Object.keys(endpoints), 'monitoring.performance']) expect(n(name), name).toBeGreaterThan(0);
    // Given a plan, as under `loadgate run`: no k6 check() sample per request. Each body check
    // writes its failures only, exactly one per answer that does not fit; monitoring.performance
    // (whose body check passes) and the probes' status write none.
    expect(r.points.filter((p) => p.metric === 'checks')).toEqual([]);
    expect(mismatches(r.points)).toEqual({
      'probes.live': n('probes.live'),
      'probes.health': n('probes.health'),
      'probes.ready': n('probes.ready'),
      'monitoring.health': n('monitoring.health'),
    });
    // An unexpected status is k6's own failed request (the expected statuses drive http_req_failed), on every answer of that endpoint only.
    const failed = r.points.filter((p) => p.metric === 'http_req_failed' && p.data.value === 1 && !isReadiness(p));
    expect(countBy(failed, 'http_req_failed', 'name')).toEqual(new Map([['monitoring.metrics', n('monitoring.metrics')]]));
    // Given a plan file, as under `loadgate run`: the run's tags (testid, phase) stay in the plan, off every sample.
    const tagKeys = new Set(r.points.flatMap((p) => Object.keys(p.data.tags ?? {})));
    for (const k of ['testid', 'phase', 'stage']) expect(tagKeys.has(k), k).toBe(false);
  });

  it('hands a VU the body only where something reads it: a JSON token and a capture still work on endpoints that check no body', async () => {
    // The login and user.me check no body, so only their token and capture make k6 keep their
    // answers; chain.profile's body is dropped (responseType none) and its request still counts.
    const config = resolveConfig({
      flags: { target: target.url, rps: 100, durationScale: 0.5 },
      file: {
        path: 'test.json',
        data: {
          users: { sessions: 0 },
          endpoints: {
            'auth.login': { expectBody: null },
            'user.me': { expectBody: null },
            'chain.profile': { group: 'user', path: '/api/user/profile', auth: 'bearer', headers: { 'X-Loadgate-User': '{{uid}}' } },
          },
          flows: { chain: { steps: [{ endpoint: 'user.me', capture: { uid: 'id' } }, 'chain.profile'] } },
          scenario: 'chain',
          readiness: { enabled: false },
        },
      },
    });
    const plan = PlanSchema.parse(
      buildPlan({ config, scenario: 'chain', profile: 'smoke', phase: null, runId: 'bodies', now: new Date().toISOString() }),
    );
    const planPath = join(await tempOut('loadgate-plan-'), 'plan.json');
    await writeFile(planPath, JSON.stringify(plan));

    const r = await k6Run('run/flow.js', { LOADGATE_PLAN: planPath, LOADGATE_PASSWORD: REFERENCE_PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const byName = countBy(r.points, 'http_reqs', 'name');
    const me = byName.get('user.me') ?? 0;
    expect(me).toBeGreaterThan(5);
    expect(byName.get('auth.login') ?? 0).toBeGreaterThan(0);
    // Every iteration captured the id from user.me's answer (a missing capture ends the iteration there).
    expect(byName.get('chain.profile')).toBe(me);
    // The token read from the login's body authenticated every request; every check passed.
    expect(countBy(r.points, 'http_reqs', 'status')).toEqual(new Map([['200', [...byName.values()].reduce((a, b) => a + b, 0)]]));
    expect(failedChecks(r.points)).toEqual({});
    expect(mismatches(r.points)).toEqual({});
  });
});

describe("a config file's own load profile", () => {
  const config = {
    profiles: {
      'ci-steps': {
        description: 'A low step, then a step three times higher.',
        stages: [
          { name: 'low', durationS: 3, from: 0.1, to: 0.1 },
          { name: 'high', durationS: 3, from: 0.3, to: 0.3 },
        ],
        abortOnFail: false,
      },
    },
  };

  it('drives k6 through `loadgate run --profile`: its stages and rates, as the analysis places the requests', async () => {
    const dir = await tempOut();
    const file = join(dir, 'loadgate.json');
    await writeFile(file, JSON.stringify(config));
    const out = join(dir, 'results');
    // phase1 has no throughput target, which a short run cannot prove.
    const r = await cli([
      'run',
      '--config',
      file,
      '--scenario',
      'monitoring',
      '--profile',
      'ci-steps',
      '--threshold-set',
      'phase1',
      '--target',
      target.url,
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const runDir = await onlyRunDir(out);
    expect(runDir).toMatch(/-monitoring-ci-steps-[0-9a-f]{6}$/);

    const plan = PlanSchema.parse(JSON.parse(await readFile(join(runDir, 'plan.json'), 'utf8')));
    expect(plan.profile).toBe('ci-steps');
    expect(plan.stages.map((s) => [s.name, s.startS, s.endS, s.fromRps, s.toRps])).toEqual([
      ['low', 0, 3, 10, 10],
      ['high', 3, 6, 30, 30],
    ]);
    // One request per monitoring iteration: 10 and 30 requests/s are 600 and 1800 iterations/minute.
    const scenario = (plan.k6Options['scenarios'] as Record<string, { stages: unknown }>)['monitoring'];
    // A step: the high stage starts at its own rate (a zero-length k6 stage), it does not ramp into it.
    expect(scenario?.stages).toEqual([
      { target: 600, duration: '3s' },
      { target: 1800, duration: '0s' },
      { target: 1800, duration: '3s' },
    ]);

    // What k6 did: each stage sent its offered rate × its length, within counting noise (an
    // iteration on a stage boundary may land on either side of it), as the analysis places the
    // requests. The readiness checks beside the load (on by default) are not the load.
    const points = await rawPoints(runDir);
    expect(points.some((p) => p.metric === 'http_reqs' && isReadiness(p))).toBe(true);
    const analysis = JSON.parse(await readFile(join(runDir, 'analysis.json'), 'utf8')) as Analysis;
    const byStage = new Map<string, number>();
    for (const e of analysis.endpoints) {
      for (const [st, x] of Object.entries(e.byStage)) byStage.set(st, (byStage.get(st) ?? 0) + x.requests);
    }
    expect(new Set(byStage.keys())).toEqual(new Set(['low', 'high']));
    expect((byStage.get('low') ?? 0) + (byStage.get('high') ?? 0)).toBe(
      points.filter((p) => p.metric === 'http_reqs' && !isReadiness(p)).length,
    );
    const low = byStage.get('low') ?? 0;
    const high = byStage.get('high') ?? 0;
    expect(Math.abs(low - 30), `low sent ${low}, offered 30`).toBeLessThanOrEqual(3);
    expect(Math.abs(high - 90), `high sent ${high}, offered 90`).toBeLessThanOrEqual(3);
  });

  it('is listed among the valid profiles when a name is unknown (exit 2)', async () => {
    const dir = await tempOut();
    const file = join(dir, 'loadgate.json');
    await writeFile(file, JSON.stringify(config));
    const r = await cli(['run', '--config', file, '--profile', 'heavy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown profile "heavy"; valid profiles: smoke, load, stress, spike, soak, breakpoint, ci-steps');
  });
});

describe('bundling', () => {
  it('bundles the scenarios with no esbuild warning and no Node-side code', async () => {
    const r = await bundleScenarios(undefined, await tempOut('loadgate-dist-'));
    expect(r.files.map((f) => f.scenario)).toEqual(['auth', 'user', 'monitoring', 'journey', 'flow']);
    expect(r.warnings).toEqual([]);
    for (const f of r.files) expect(await readFile(f.path, 'utf8')).not.toMatch(/node_modules\/zod|from "node:/);
  });
  it('makes lean run bundles for loadgate run: no plan builder, profiles or threshold conversion (k6 compiles a script per VU)', async () => {
    const r = await bundleScenarios(undefined, await tempOut('loadgate-dist-'));
    expect(r.runFiles.map((f) => f.scenario)).toEqual(['auth', 'user', 'monitoring', 'journey', 'flow']);
    for (const [i, f] of r.runFiles.entries()) {
      const text = await readFile(f.path, 'utf8');
      expect(text).not.toMatch(/function buildPlan|LOAD_PROFILES|function toK6Thresholds|DEFAULT_ENDPOINTS/);
      // The standalone bundle also carries the plan builder, the catalogue, the profiles and the
      // threshold conversion; both carry the flow runner and the readiness checks.
      expect(f.bytes).toBeLessThan((r.files[i]?.bytes ?? 0) * 0.6);
    }
    for (const f of r.files) expect(await readFile(f.path, 'utf8')).toMatch(/function buildPlan/);
  });
  it('a run bundle without a plan stops at init and says which bundle runs on its own', async () => {
    await ensureBundle('monitoring', 'run');
    const r = await k6Run('run/monitoring.js', { BASE_URL: 'http://127.0.0.1:9' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('this bundle runs under `loadgate run`, which sets LOADGATE_PLAN; dist/<scenario>.js runs on its own');
    expect(r.points.filter((p) => p.metric === 'http_reqs')).toHaveLength(0);
  });
  it("hands esbuild's warnings back instead of hiding them", async () => {
    const dir = await tempOut('loadgate-warn-');
    const entry = join(dir, 'warns.ts');
    await writeFile(entry, 'const o = { a: 1, a: 2 };\nexport default function (): number {\n  return o.a;\n}\n');
    const r = await bundleEntries([entry], join(dir, 'out'));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/\[WARNING\] Duplicate key "a" in object literal[\s\S]*warns\.ts:1:18:/);
  });
});
