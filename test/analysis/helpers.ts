/** Run directories for the analysis tests: generated raw results, a plan and a run record. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import type { Plan } from '../../lib/contract/plan.ts';
import type { RunRecord } from '../../lib/contract/run.ts';
import { generateLines, planFor, type GenOptions } from './generate.ts';

export async function tempDir(prefix = 'loadgate-analysis-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Temp directories for one test file: each call makes one; all are removed after the file's tests. */
export function scratchDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return async () => {
    const d = await tempDir(prefix);
    dirs.push(d);
    return d;
  };
}

export function runRecord(runId: string, rawFiles: string[], over: Partial<RunRecord> = {}): RunRecord {
  return {
    kind: 'loadgate.run',
    version: 1,
    runId,
    status: 'completed',
    k6Version: 'v2.2.0',
    k6ExitCode: 0,
    signal: null,
    startedAt: '2026-11-22T09:59:59.000Z',
    endedAt: '2026-11-22T10:10:01.000Z',
    rawFiles,
    influx: null,
    ...over,
  };
}

/** Writes a run directory; `raw` is the file's lines (gzipped unless the name ends in .ndjson). */
export async function writeRunDir(
  dir: string,
  opts: { plan: Plan | null; raw: Record<string, string[] | Buffer>; record?: Partial<RunRecord> | null },
): Promise<void> {
  if (opts.plan) await writeFile(join(dir, 'plan.json'), JSON.stringify(opts.plan));
  for (const [name, content] of Object.entries(opts.raw)) {
    const body = Buffer.isBuffer(content) ? content : Buffer.from(content.length === 0 ? '' : `${content.join('\n')}\n`);
    await writeFile(join(dir, name), name.endsWith('.gz') && !Buffer.isBuffer(content) ? gzipSync(body) : body);
  }
  if (opts.record !== null)
    await writeFile(join(dir, 'run.json'), JSON.stringify(runRecord(opts.plan?.runId ?? 'run', Object.keys(opts.raw), opts.record ?? {})));
}

export function generated(opts: GenOptions): { lines: string[]; plan: Plan } {
  const lines: string[] = [];
  generateLines(opts, (l) => lines.push(l));
  return { lines, plan: planFor(opts) };
}

/** The start of the hand-built runs: every sample's time is an offset from it. */
export const T0 = Date.parse('2026-11-22T10:00:00Z');

/** One line of k6's JSON output, `offsetMs` after T0. */
export function sample(metric: string, offsetMs: number, value: number, tags: Record<string, string>): string {
  return JSON.stringify({ metric, type: 'Point', data: { time: new Date(T0 + offsetMs).toISOString(), value, tags } });
}

/** An endpoint of a hand-built plan: group `g`, GET `/name`, expecting 200. */
export const handEndpoint = (name: string, timeoutMs = 1000) => ({
  name,
  group: 'g',
  method: 'GET' as const,
  path: `/${name}`,
  timeoutMs,
  baseMs: 1,
  loadFactor: 1,
  timeoutAtPeak: 0,
  expectStatus: [200],
});

/** A hand-built plan from T0: stages s1 (0–10 s) and s2 (10–20 s) at 1 RPS, scenario journey. */
export function twoStagePlan(endpoints: ReturnType<typeof handEndpoint>[], runId: string): Plan {
  return planFor(
    {
      seed: 1,
      startMs: T0,
      scenario: 'journey',
      stages: [
        { name: 's1', startS: 0, endS: 10, fromRps: 1, toRps: 1 },
        { name: 's2', startS: 10, endS: 20, fromRps: 1, toRps: 1 },
      ],
      endpoints,
    },
    runId,
  );
}
