/**
 * `loadgate run` end to end: real k6 against the reference API on port 0, short durations.
 * Asserts on the results themselves: requests per endpoint name, checks, stages.
 */
import { readdir, readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { READINESS_REQUEST_NAME } from '../../lib/shared/readiness.ts';
import { BODY_MISMATCH_METRIC, LOAD_START_METRIC } from '../../lib/shared/defaults.ts';
import type { Analysis } from '../../lib/contract/analysis.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { cli, isReadiness, onlyRunDir, rawPoints, tempOut } from './helpers.ts';

let target: RunningTarget;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
});
afterAll(async () => {
  await target?.close();
});

describe('loadgate run against the reference API', () => {
  it('runs the journey under the load profile and keeps raw results, the plan and k6 summary', async () => {
    const out = await tempOut();
    const r = await cli([
      'run',
      '--scenario',
      'journey',
      '--profile',
      'load',
      '--phase',
      'phase3',
      '--target',
      target.url,
      '--out',
      out,
      '--duration-scale',
      '0.05',
      '--rps',
      '40',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(out);
    expect(r.stdout.trim()).toBe(dir);
    for (const f of ['plan.json', 'run.json', 'raw.ndjson.gz', 'summary.json', 'k6.log']) await access(join(dir, f));

    const points = await rawPoints(dir);
    // The readiness checks ran beside the load (on by default), under their own name: no endpoint's.
    const readiness = points.filter((p) => p.metric === 'http_reqs' && isReadiness(p));
    expect(readiness.length).toBeGreaterThan(0);
    expect(new Set(readiness.map((p) => p.data.tags?.['name']))).toEqual(new Set([READINESS_REQUEST_NAME]));
    const reqs = points.filter((p) => p.metric === 'http_reqs' && !isReadiness(p));
    const byName = new Map<string, number>();
    for (const p of reqs) byName.set(p.data.tags?.['name'] ?? '?', (byName.get(p.data.tags?.['name'] ?? '?') ?? 0) + 1);
    // Every request is named after its endpoint; the journey touches all three groups.
    expect([...byName.keys()].every((n) => /^(auth|user|monitoring|probes)\./.test(n))).toBe(true);
    expect(byName.get('auth.login') ?? 0).toBeGreaterThan(0);
    expect(byName.get('user.me') ?? 0).toBeGreaterThan(0);
    expect([...byName.keys()].some((n) => n.startsWith('monitoring.') || n.startsWith('probes.'))).toBe(true);

    // The session pool logged in before the load, in k6's setup(): ten logins, and no stage.
    const setup = reqs.filter((p) => p.data.tags?.['group'] === '::setup');
    expect(setup.map((p) => p.data.tags?.['name'])).toEqual(Array(10).fill('auth.login'));
    // No sample carries a stage tag (one tag less on every line): each VU that ran the load wrote
    // when k6 started the scenarios, once, all the same time, after setup() and before the load's
    // first request; the analysis places every request in its stage from it, and each stage of the plan shows up.
    const load = reqs.filter((p) => p.data.tags?.['group'] !== '::setup');
    expect(points.filter((p) => p.data.tags?.['stage'] !== undefined)).toEqual([]);
    const starts = points.filter((p) => p.metric === LOAD_START_METRIC);
    expect(starts.length).toBeGreaterThan(0);
    expect(new Set(starts.map((p) => p.data.value)).size).toBe(1);
    const origin = starts[0]?.data.value as number;
    const ms = (p: { data: { time: string } }) => Date.parse(p.data.time);
    expect(origin).toBeGreaterThanOrEqual(Math.max(...setup.map(ms)) - 1);
    expect(origin).toBeLessThanOrEqual(Math.min(...load.map(ms)));
    const analysis = JSON.parse(await readFile(join(dir, 'analysis.json'), 'utf8')) as Analysis;
    const byStage = new Map<string, number>();
    for (const e of analysis.endpoints)
      for (const [st, x] of Object.entries(e.byStage)) byStage.set(st, (byStage.get(st) ?? 0) + x.requests);
    expect([...byStage.keys()].sort()).toEqual(['hold', 'ramp-down', 'ramp-up']);
    expect([...byStage.values()].reduce((a, b) => a + b, 0)).toBe(load.length);
    expect(analysis.input.warnings.filter((w) => w.includes('without'))).toEqual([]);

    // Under loadgate run no k6 check() sample per request: a body check writes only its
    // failures (BODY_MISMATCH_METRIC), none on a healthy target, and the expected status is k6's
    // http_req_failed. The analysis counts every request of an endpoint with a body check as a
    // pass, less its mismatches.
    expect(points.filter((p) => p.metric === 'checks')).toEqual([]);
    expect(points.filter((p) => p.metric === BODY_MISMATCH_METRIC)).toEqual([]);
    const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as Plan;
    const bodyChecked = new Set(plan.endpoints.filter((e) => e.expectBody !== null).map((e) => e.name));
    expect(bodyChecked.size).toBeGreaterThan(0);
    expect(analysis.totals.checks).toEqual({ passes: load.filter((p) => bodyChecked.has(p.data.tags?.['name'] ?? '')).length, fails: 0 });

    // k6's own summary agrees on the request count (its own counts the readiness requests too).
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as { metrics: Record<string, { count?: number }> };
    expect(summary.metrics['http_reqs']?.count).toBe(reqs.length + readiness.length);

    const record = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { status: string; k6Version: string };
    expect(record.status).toBe('completed');
    expect(record.k6Version).toBe('v2.2.0');
  });

  it('keeps credentials out of the plan, the log and the tags', async () => {
    const out = await tempOut();
    const secret = 'S3cret-Not-For-Logs';
    const r = await cli(
      ['run', '--scenario', 'auth', '--profile', 'smoke', '--target', target.url, '--out', out, '--duration-scale', '0.2'],
      {
        env: { LOADGATE_PASSWORD: secret },
      },
    );
    const dir = await onlyRunDir(out);
    // The reference API rejects this password: logins fail with 401, which is the point here.
    expect(r.code, r.stderr).not.toBe(2);
    for (const f of ['plan.json', 'k6.log', 'run.json', 'summary.json']) {
      expect(await readFile(join(dir, f), 'utf8')).not.toContain(secret);
    }
    const points = await rawPoints(dir);
    expect(points.some((p) => JSON.stringify(p).includes(secret))).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('runs each scenario on its own', async () => {
    for (const scenario of ['auth', 'user', 'monitoring']) {
      const out = await tempOut();
      // phase1 has no throughput target, which a smoke run cannot prove.
      const r = await cli([
        'run',
        '--scenario',
        scenario,
        '--profile',
        'smoke',
        '--threshold-set',
        'phase1',
        '--target',
        target.url,
        '--out',
        out,
        '--duration-scale',
        '0.15',
      ]);
      expect(r.code, `${scenario}: ${r.stderr}`).toBe(0);
      const names = new Set(
        (await rawPoints(await onlyRunDir(out)))
          .filter((p) => p.metric === 'http_reqs' && !isReadiness(p))
          .map((p) => p.data.tags?.['name']),
      );
      const prefix = scenario === 'monitoring' ? /^(monitoring|probes)\./ : scenario === 'auth' ? /^auth\./ : /^(user\.|auth\.login$)/;
      expect(
        [...names].every((n) => prefix.test(n ?? '')),
        `${scenario}: ${[...names].join(',')}`,
      ).toBe(true);
    }
  });
});

describe('bad input', () => {
  it('lists the valid scenarios for an unknown one (exit 2)', async () => {
    const r = await cli(['run', '--scenario', 'nope', '--profile', 'smoke']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown scenario "nope"; valid scenarios \(the config's flows\): auth, user, monitoring, journey/);
  });
  it('lists the valid profiles for an unknown one (exit 2)', async () => {
    const r = await cli(['run', '--profile', 'heavy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown profile "heavy"; valid profiles: smoke, load, stress, spike, soak, breakpoint/);
  });
  it('names the config path and what was expected (exit 2)', async () => {
    const dir = await tempOut();
    const file = join(dir, 'bad.yaml');
    await (await import('node:fs/promises')).writeFile(file, 'endpoints:\n  auth.login:\n    timeout: ten\n');
    const r = await cli(['run', '--config', file, '--profile', 'smoke']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/endpoints\.auth\.login\.timeout must be a duration such as "10s", got "ten"/);
  });
  it('gives the exact install command when k6 is missing (exit 4)', async () => {
    const r = await cli(['run', '--profile', 'smoke', '--target', target.url, '--out', await tempOut()], {
      env: { LOADGATE_K6: '/nonexistent/k6' },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/LOADGATE_K6=\/nonexistent\/k6 is not an executable file\. Install it with: bash scripts\/setup\.sh/);
  });
  it('doctor reports versions and paths, and how to fix a missing k6 (exit 4)', async () => {
    const ok = await cli(['doctor']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^ok\s+k6\s+v2\.2\.0\s+\S+\/\.tools\/k6\/v2\.2\.0\/k6$/m);
    const missing = await cli(['doctor'], { env: { LOADGATE_K6: '/nonexistent/k6' } });
    expect(missing.code).toBe(4);
    expect(missing.stdout).toMatch(/MISSING\s+k6[\s\S]*fix: .*bash scripts\/setup\.sh/);
  });
  it('stops before any load when the target does not answer: exit 4 within seconds, the address and the error, no run', async () => {
    const out = await tempOut();
    const started = performance.now();
    // Port 9 on loopback: nothing listens there.
    const r = await cli(['run', '--scenario', 'monitoring', '--profile', 'smoke', '--target', 'http://127.0.0.1:9', '--out', out]);
    expect(r.code, r.stderr).toBe(4);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/the target http:\/\/127\.0\.0\.1:9\/ does not answer \(ECONNREFUSED\): no load was sent/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // No k6 was started, so no run directory was made.
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});

describe('interruption', () => {
  it('forwards SIGINT to k6, exits 130, and keeps and analyses what was collected', async () => {
    const out = await tempOut();
    let pid = 0;
    const running = cli(
      [
        'run',
        '--scenario',
        'monitoring',
        '--profile',
        'load',
        '--target',
        target.url,
        '--out',
        out,
        '--duration-scale',
        '0.5',
        '--rps',
        '20',
      ],
      {
        onSpawn: (p) => (pid = p),
      },
    );
    // Wait until k6 is producing results, then interrupt (the load ramps up from 0, and the
    // readiness checks' requests are not counted as the load's below).
    await new Promise((r) => setTimeout(r, 12_000));
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code, r.stderr).toBe(130);
    const dir = await onlyRunDir(out);
    const record = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { status: string; signal: string };
    expect(record).toMatchObject({ status: 'interrupted', signal: 'SIGINT' });
    expect((await rawPoints(dir)).filter((p) => p.metric === 'http_reqs' && !isReadiness(p)).length).toBeGreaterThan(10);
    const analysis = JSON.parse(await readFile(join(dir, 'analysis.json'), 'utf8')) as { run: { status: string } };
    expect(analysis.run.status).toBe('interrupted');
  });
});
