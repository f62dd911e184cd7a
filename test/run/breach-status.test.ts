/**
 * A breach run of full length is `completed`, never `aborted`: an arrival-rate k6 ends after its
 * last iteration *start*, a little before the planned end, and exits 99 on a breach. Twenty short
 * real runs, each with a target that cannot be met.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, tempOut } from './helpers.ts';

let target: RunningTarget;
beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
});
afterAll(async () => {
  await target?.close();
});

describe('breach runs of full length', () => {
  it('are completed in 20 repetitions: k6 exit 99, status completed, verdict fail, exit 99', async () => {
    const dir = await tempOut();
    const config = join(dir, 'tight.yaml');
    await writeFile(
      config,
      [
        'thresholdSets:',
        '  impossible:',
        '    defaults: { p95Ms: 0.001 }',
        'profiles:',
        '  blip:',
        "    description: 'Two seconds at a constant rate.'",
        '    stages: [{ name: steady, durationS: 2, from: 0.2, to: 0.2 }]',
        '    abortOnFail: false',
        'thresholdSet: impossible',
        'load: { rps: 50 }',
      ].join('\n'),
    );
    const statuses: string[] = [];
    for (let i = 0; i < 20; i++) {
      const out = join(dir, `r${i}`);
      const r = await cli([
        'run',
        '--config',
        config,
        '--scenario',
        'monitoring',
        '--profile',
        'blip',
        '--target',
        target.url,
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(99);
      const runDir = r.stdout.trim().split('\n').pop() ?? '';
      const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { status: string; k6ExitCode: number };
      expect(run.k6ExitCode).toBe(99);
      const verdict = JSON.parse(await readFile(join(runDir, 'verdict.json'), 'utf8')) as { status: string };
      expect(verdict.status).toBe('fail');
      statuses.push(run.status);
    }
    expect(statuses).toEqual(Array(20).fill('completed'));
  }, 300_000);
});
