/** Helpers for the segmented-run tests: a constant-rate config, and reading what each k6 process wrote. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Analysis } from '../../lib/contract/analysis.ts';
import type { RunRecord } from '../../lib/contract/run.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { k6p } from '../analysis/reference.ts';
import { PERCENTILES } from '../../lib/contract/percentiles.ts';

/**
 * A config with one flat stage: a constant arrival rate of `rps` requests/s for `seconds`
 * (k6 runs it as a ramping-arrival-rate whose rate never changes).
 */
export async function constantRateConfig(dir: string, rps: number, seconds: number): Promise<string> {
  const file = join(dir, 'constant.yaml');
  await writeFile(
    file,
    [
      `load: { rps: ${rps} }`,
      'profiles:',
      '  constant:',
      "    description: 'A constant arrival rate.'",
      `    stages: [ { name: 'steady', durationS: ${seconds}, from: 1, to: 1 } ]`,
      '    abortOnFail: false',
      // Targets no busy machine misses: k6 still tracks every endpoint's sub-metrics (its
      // summary's per-endpoint counts) and never exits 99 over a slow probe.
      'thresholdSets:',
      '  segments:',
      "    description: 'Lenient targets for the segments tests.'",
      '    defaults: { p95Ms: 60000, errorRate: 0.5 }',
      '',
    ].join('\n'),
  );
  return file;
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export const readRecord = (dir: string) => readJson<RunRecord>(join(dir, 'run.json'));
export const readAnalysisFile = (dir: string) => readJson<Analysis>(join(dir, 'analysis.json'));
export const readPlan = (dir: string) => readJson<Plan>(join(dir, 'plan.json'));

interface Summary {
  metrics: Record<string, { count?: number; [k: string]: unknown }>;
}

/** Requests per endpoint as k6's own end-of-test summary of one process counts them (its per-endpoint sub-metrics). */
export async function summaryCounts(file: string, endpoints: readonly string[]): Promise<Map<string, number>> {
  const s = await readJson<Summary>(file);
  const out = new Map<string, number>();
  for (const e of endpoints) {
    const m = s.metrics[`http_req_duration{name:${e}}`];
    if (m === undefined) throw new Error(`${file} has no http_req_duration{name:${e}} (no threshold on the endpoint?)`);
    out.set(e, m.count ?? 0);
  }
  return out;
}

/** http_req_duration values per `name` tag in raw files (a torn gzip tail is tolerated: what was written is read). */
export async function rawDurations(files: readonly string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const f of files) {
    const buf = await readFile(f);
    let text: string;
    try {
      text = gunzipSync(buf).toString('utf8');
    } catch {
      // A k6 killed mid-run leaves its gzip stream unfinished: decompress what is there.
      const { createGunzip } = await import('node:zlib');
      text = await new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        const z = createGunzip();
        z.on('data', (c: Buffer) => chunks.push(c));
        z.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
        z.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        z.end(buf);
      });
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{"metric":"http_req_duration","type":"Point"')) continue;
      let p: { data: { value: number; tags?: Record<string, string> } };
      try {
        p = JSON.parse(line) as typeof p;
      } catch {
        continue;
      }
      const name = p.data.tags?.['name'] ?? '';
      const list = out.get(name) ?? [];
      list.push(p.data.value);
      out.set(name, list);
    }
  }
  return out;
}

/** k6's percentiles (and min, max) of a list of durations, keyed as in the analysis. */
export function k6Dist(values: readonly number[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, p] of PERCENTILES) out[key] = k6p(values, p);
  out['min'] = values.length ? Math.min(...values) : null;
  out['max'] = values.length ? Math.max(...values) : null;
  return out;
}

/** Waits until `check` returns a value (polling), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => null);
    if (v !== null && v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
