/**
 * The CI gate end to end: `node bin/loadgate.js run …` (real k6) against the reference API
 * started in-process on port 0, with short stages (--duration-scale). Each test reads the
 * run directory the command prints and checks the exit code, verdict.json and junit.xml.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget, type ProfileName, type ProfileOverrides } from '../../reference-api/server.ts';
import { VerdictSchema, type Verdict } from '../../lib/contract/verdict.ts';
import { ExitCode } from '../../lib/contract/errors.ts';
import { timeoutCountKeys } from '../../thresholds/k6.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const K6 = join(ROOT, '.tools/k6/v2.2.0/k6');

let out: string;
beforeAll(async () => {
  if (!existsSync(K6)) throw new Error(`k6 v2.2.0 is missing at ${K6}: install it with \`bash scripts/setup.sh\``);
  out = await mkdtemp(join(tmpdir(), 'loadgate-gate-'));
});
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

interface GateRun {
  code: number | null;
  runDir: string;
  log: string;
  verdict: Verdict;
  junit: string;
}

async function gate(target: { profile: ProfileName; overrides?: ProfileOverrides }, args: string[]): Promise<GateRun> {
  const api: RunningTarget = await startTarget({
    profile: target.profile,
    seed: 7,
    ...(target.overrides ? { overrides: target.overrides } : {}),
  });
  try {
    const child = spawn(process.execPath, ['bin/loadgate.js', 'run', '--target', api.url, '--out', out, '--progress', 'none', ...args], {
      cwd: ROOT,
      env: { ...process.env, LOADGATE_CONFIG: '', LOADGATE_THRESHOLD_SET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let log = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (log += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    const runDir = stdout.trim().split('\n').at(-1) ?? '';
    if (!runDir || !existsSync(join(runDir, 'verdict.json'))) throw new Error(`no verdict (exit ${code}):\n${stdout}\n${log}`);
    const verdict = VerdictSchema.parse(JSON.parse(await readFile(join(runDir, 'verdict.json'), 'utf8')));
    const junit = await readFile(join(runDir, 'junit.xml'), 'utf8');
    return { code, runDir, log, verdict, junit };
  } finally {
    await api.close();
  }
}

const summaryOf = async (r: GateRun) => `${r.log}\n${await readFile(join(r.runDir, 'summary.md'), 'utf8').catch(() => '')}`;

/** k6's --summary-export: `thresholds` maps each expression to true when it FAILED. */
type K6Summary = { metrics: Record<string, { 'p(95)'?: number; rate?: number; value?: number; thresholds?: Record<string, boolean> }> };

describe('the CI gate on the reference API, real k6', () => {
  it('the phase3 profile against the phase3 set passes: exit 0', async () => {
    const r = await gate({ profile: 'phase3' }, [
      '--scenario',
      'journey',
      '--profile',
      'load',
      '--phase',
      'phase3',
      '--threshold-set',
      'phase3',
      '--duration-scale',
      '0.06',
    ]);
    expect(r.verdict.status, await summaryOf(r)).toBe('pass');
    expect(r.code).toBe(ExitCode.ok);
    expect(r.verdict.validity.valid).toBe(true);
    const throughput = r.verdict.rows.find((x) => x.target === 'throughput');
    expect(throughput?.status).toBe('pass');
    expect(r.junit).not.toContain('<failure');
  }, 180_000);

  describe('the baseline profile against the production set', () => {
    let r: GateRun;
    beforeAll(async () => {
      r = await gate({ profile: 'baseline' }, [
        '--scenario',
        'journey',
        '--profile',
        'load',
        '--phase',
        'baseline',
        '--threshold-set',
        'production',
        '--duration-scale',
        '0.06',
      ]);
    }, 180_000);

    it('fails: exit 99, and the JUnit names the endpoints that breached and by how much', async () => {
      expect(r.code, await summaryOf(r)).toBe(ExitCode.breach);
      expect(r.verdict.status).toBe('fail');
      const failed = r.verdict.rows.filter((x) => x.gating && x.status === 'fail');
      expect(failed.length).toBeGreaterThan(0);
      // The bottleneck is shared by auth and user endpoints.
      expect(failed.some((x) => /^(auth|user)\./.test(x.endpoint))).toBe(true);
      const decodeXml = (x: string) =>
        x
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&apos;/g, "'")
          .replace(/&amp;/g, '&');
      const messages = [...r.junit.matchAll(/<failure message="([^"]*)"/g)].map((m) => decodeXml(m[1]!));
      expect(messages.length).toBe(failed.length);
      for (const row of failed) {
        const who = row.endpoint === '*' ? 'run' : row.endpoint;
        const m = messages.find(
          (msg) =>
            msg.startsWith(`${who} `) &&
            msg.includes(
              row.target === 'p95'
                ? ' p95 '
                : row.target === 'errorRate'
                  ? ' error rate '
                  : row.target === 'timeoutRate'
                    ? ' timeout rate '
                    : ' throughput',
            ),
        );
        expect(m, `${who} ${row.target}`).toBeDefined();
        // measured vs target, and the margin
        expect(m).toMatch(/ (>|<|=) [\d.]+ (ms|%|RPS) target \([+-][\d.]+ (ms|pp|RPS)/);
      }
    });

    it("agrees with k6's own thresholds where both measure the same thing (P95, timeouts per endpoint)", async () => {
      const k6 = JSON.parse(await readFile(join(r.runDir, 'summary.json'), 'utf8')) as K6Summary;
      // k6's sub-metric of a pooled login endpoint also holds setup()'s logins, which are no
      // load and which the analysis leaves out: there the two do not measure the same thing.
      const plan = JSON.parse(await readFile(join(r.runDir, 'plan.json'), 'utf8')) as {
        sessionPool?: Record<string, number>;
        auth: Record<string, { type: string; endpoint?: string }>;
      };
      const inSetup = new Set(Object.keys(plan.sessionPool ?? {}).map((a) => plan.auth[a]?.endpoint));
      let compared = 0;
      for (const row of r.verdict.rows) {
        if (row.stage !== 'all' || row.status === 'inconclusive' || inSetup.has(row.endpoint)) continue;
        if (row.target === 'p95') {
          const metric = k6.metrics[`http_req_duration{name:${row.endpoint}}`];
          const failed = metric?.thresholds?.[`p(95)<${row.threshold}`];
          expect(failed, `k6 threshold for ${row.endpoint}`).toBeTypeOf('boolean');
          expect(failed, `${row.endpoint} p95: harness ${row.measured} (${row.status}), k6 ${metric?.['p(95)']}`).toBe(
            row.status === 'fail',
          );
          expect(row.measured!).toBeCloseTo(metric!['p(95)']!, 0);
          compared++;
        }
        if (row.target === 'timeoutRate') {
          // No timeouts: counts on k6's request counter (the request's and the connection's
          // timeouts, either of which fails it); a share above 0: the harness's Rate.
          if (row.threshold === 0) {
            const results = timeoutCountKeys(row.endpoint).map((k) => k6.metrics[k]?.thresholds?.['count<1']);
            if (results.some((x) => x === undefined)) continue;
            expect(
              results.some((x) => x === true),
              `${row.endpoint} timeouts: harness ${row.measured}`,
            ).toBe(row.status === 'fail');
            compared++;
            continue;
          }
          const metric = k6.metrics[`loadgate_timeouts{name:${row.endpoint}}`];
          const failed = metric?.thresholds?.[`rate<=${row.threshold}`];
          if (failed === undefined) continue;
          expect(failed, `${row.endpoint} timeouts: harness ${row.measured}, k6 ${metric?.value}`).toBe(row.status === 'fail');
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(4);
    });
  });

  it("a set of the user's own, from --config alone, makes the k6 thresholds and judges the run", async () => {
    const config = join(out, 'own-set.yaml');
    await writeFile(
      config,
      ['thresholdSet: nightly-own', 'thresholdSets:', '  nightly-own:', '    defaults: { p95Ms: 750, errorRate: 0.02 }', ''].join('\n'),
    );
    const r = await gate({ profile: 'phase3' }, [
      '--config',
      config,
      '--scenario',
      'monitoring',
      '--profile',
      'smoke',
      '--duration-scale',
      '0.25',
    ]);
    expect(r.code, await summaryOf(r)).toBe(ExitCode.ok);
    expect(r.verdict.set.name).toBe('nightly-own');
    expect(r.verdict.rows.some((x) => x.target === 'p95' && x.threshold === 750)).toBe(true);
    const plan = JSON.parse(await readFile(join(r.runDir, 'plan.json'), 'utf8')) as { k6Options: { thresholds: Record<string, unknown> } };
    expect(JSON.stringify(plan.k6Options.thresholds)).toContain('p(95)<750');
  }, 180_000);

  it('a run with too few VUs for its offered rate is inconclusive, not a pass (exit 3 with --fail-on-inconclusive)', async () => {
    // Every request takes ≥ 30 ms (healthy against phase3's 200 ms), so 2 VUs serve at most ~65 of the 100 RPS offered.
    const r = await gate({ profile: 'phase3', overrides: { faults: { latency: { dist: 'fixed', ms: 30 } } } }, [
      '--scenario',
      'monitoring',
      '--profile',
      'load',
      '--threshold-set',
      'phase3',
      '--duration-scale',
      '0.06',
      '--max-vus',
      '2',
      '--fail-on-inconclusive',
    ]);
    expect(r.verdict.status, await summaryOf(r)).toBe('inconclusive');
    expect(r.code).toBe(ExitCode.inconclusive);
    expect(r.verdict.validity.valid).toBe(false);
    expect(r.verdict.validity.droppedIterations).toBeGreaterThan(0);
    expect(r.verdict.counts.fail).toBe(0);
    const throughput = r.verdict.rows.find((x) => x.target === 'throughput');
    expect(throughput?.status).toBe('inconclusive');
    expect(throughput?.reason).toMatch(/dropped .* iterations/);
    expect(r.junit).toContain('<skipped/>');
  }, 180_000);
});
