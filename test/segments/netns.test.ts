/**
 * Segments as separate hosts: `loadgate run --segments 3 --segments-netns HUB`, each k6 in a
 * network namespace of its own on a veth pair into HUB, where the reference API runs (on HUB's
 * loopback). The API logs the client address of each connection: it must see three distinct
 * clients, the segments' own addresses, and the merge must still hold.
 *
 * Needs the rights to create network namespaces (root, or CAP_SYS_ADMIN and CAP_NET_ADMIN). Where
 * the test lacks them it fails, saying what is missing: it is never skipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, onlyRunDir, ROOT, tempOut } from '../run/helpers.ts';
import { readGeneratorFile } from '../../lib/run/generator.ts';
import { constantRateConfig, k6Dist, rawDurations, readAnalysisFile, readPlan, readRecord, summaryCounts } from './helpers.ts';

const HUB = `lgt-${randomBytes(3).toString('hex')}`;
let api: ChildProcess | null = null;
let url = '';
let log = '';

function ip(...args: string[]) {
  return spawnSync('ip', args, { encoding: 'utf8' });
}

beforeAll(async () => {
  const add = ip('netns', 'add', HUB);
  if (add.status !== 0) {
    throw new Error(
      `this test needs the rights to create network namespaces (root, or CAP_SYS_ADMIN and CAP_NET_ADMIN): \`ip netns add ${HUB}\` said: ${(add.stderr || add.error?.message || '').trim()}`,
    );
  }
  ip('-n', HUB, 'link', 'set', 'lo', 'up');
  log = join(await tempOut('loadgate-netns-'), 'clients.log');
  api = spawn('ip', ['netns', 'exec', HUB, process.execPath, '--import', 'tsx', join(ROOT, 'test/segments/hub-target.ts'), '0', log], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let err = '';
    api?.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    api?.stdout?.on('data', (d: Buffer) => {
      const m = /listening (\S+)/.exec(d.toString());
      if (m?.[1]) resolve(m[1]);
    });
    api?.once('exit', (code) => reject(new Error(`the reference API in ${HUB} exited (${code}): ${err}`)));
  });
});

afterAll(async () => {
  if (api && api.exitCode === null) {
    api.kill('SIGTERM');
    await new Promise((r) => api?.once('exit', r));
  }
  ip('netns', 'del', HUB);
});

describe('--segments-netns', () => {
  it('the target sees N distinct clients, the segments, and the merge holds', async () => {
    const out = await tempOut('loadgate-netns-');
    const config = await constantRateConfig(out, 45, 10);
    const r = await cli([
      'run',
      '--config',
      config,
      '--scenario',
      'monitoring',
      '--profile',
      'constant',
      '--threshold-set',
      'phase1',
      '--target',
      url,
      '--out',
      out,
      '--segments',
      '3',
      '--segments-netns',
      HUB,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const dir = await onlyRunDir(out);
    const record = await readRecord(dir);
    const addresses = (record.segments ?? []).map((s) => s.netns?.address);
    expect(addresses).toHaveLength(3);
    expect(new Set(addresses).size).toBe(3);
    for (const a of addresses) expect(a).toMatch(/^10\.213\.\d+\.\d+$/);
    // The pid loadgate sampled for each segment is k6's own: setpriv and `ip netns exec` both exec'd it in place.
    const g = await readGeneratorFile(dir);
    expect(g?.processes.map((p) => [p.segment, p.name]).sort()).toEqual([
      [1, 'k6'],
      [2, 'k6'],
      [3, 'k6'],
    ]);

    // The API's own view: every connection came from one of the three segment addresses, and each of them connected.
    const clients = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    expect(new Set(clients)).toEqual(new Set(addresses));

    // The namespaces are gone with the run; the hub is left as it was.
    const left = ip('netns', 'list').stdout;
    for (const s of record.segments ?? []) expect(left).not.toContain(s.netns?.namespace);
    expect(ip('-n', HUB, '-o', 'link').stdout).not.toMatch(/lg[0-9a-f]{6}h\d/);

    // The merge: per-endpoint counts are the sum of the three k6 summaries, percentiles those of the union.
    const plan = await readPlan(dir);
    const a = await readAnalysisFile(dir);
    const names = plan.endpoints.map((e) => e.name);
    const sum = new Map<string, number>();
    for (const s of record.segments ?? []) {
      for (const [e, c] of await summaryCounts(join(dir, s.summaryFile), names)) sum.set(e, (sum.get(e) ?? 0) + c);
    }
    const raw = await rawDurations(record.rawFiles.map((f) => join(dir, f)));
    for (const e of names) {
      const got = a.endpoints.find((x) => x.name === e);
      expect(got?.total.requests ?? 0, e).toBe(sum.get(e));
      const values = raw.get(e) ?? [];
      if (values.length === 0) continue;
      const want = k6Dist(values);
      for (const k of ['min', 'p50', 'p95', 'p99', 'max'] as const) expect(got?.total.durationMs[k], `${e} ${k}`).toBe(want[k]);
    }
    const total = names.reduce((n, e) => n + (sum.get(e) ?? 0), 0);
    expect(Math.abs(total - 450)).toBeLessThanOrEqual(5);
  });

  it('names a namespace that does not exist (exit 2), before creating anything', async () => {
    const r = await cli([
      'run',
      '--scenario',
      'monitoring',
      '--profile',
      'smoke',
      '--target',
      url,
      '--out',
      await tempOut(),
      '--segments-netns',
      'lg-no-such-ns',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/network namespace "lg-no-such-ns" does not exist/);
  });

  it('without the rights, fails saying what is missing (exit 4), and leaves nothing behind', async () => {
    const before = ip('netns', 'list').stdout;
    // The same user, without a single capability: what an unprivileged user gets.
    const r = spawnSync(
      'setpriv',
      [
        '--bounding-set=-all',
        '--inh-caps=-all',
        '--',
        process.execPath,
        join(ROOT, 'bin/loadgate.js'),
        'run',
        '--scenario',
        'monitoring',
        '--profile',
        'smoke',
        '--target',
        url,
        '--out',
        await tempOut(),
        '--segments',
        '2',
        '--segments-netns',
        HUB,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /--segments-netns needs the rights to create network namespaces and veth pairs \(root, or CAP_SYS_ADMIN and CAP_NET_ADMIN\)/,
    );
    expect(ip('netns', 'list').stdout).toBe(before);
  });
});
