/**
 * One measured task of bench/analysis-throughput.ts, in its own process so that its peak RSS
 * is its own: `analyze` (the full analysis of a raw file), `floor` (gunzip and split lines,
 * no parsing) or `gunzip` (decompression alone). Prints one JSON line.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { analyzeFiles, type PercentileMode } from '../lib/analysis/analyze.ts';
import { readLines } from '../lib/analysis/lines.ts';
import type { Plan } from '../lib/plan/schema.ts';
import { readFileSync } from 'node:fs';

const [task, file, planFile, mode] = process.argv.slice(2);
if (task === undefined || file === undefined) throw new Error('usage: analysis-child.ts analyze|floor|gunzip FILE [PLAN] [MODE]');

const t0 = performance.now();
let detail: Record<string, unknown> = {};
if (task === 'analyze') {
  const plan = planFile ? (JSON.parse(readFileSync(planFile, 'utf8')) as Plan) : null;
  const a = await analyzeFiles([file], {
    plan,
    percentiles: (mode ?? 'auto') as PercentileMode,
    meta: {
      runId: 'bench',
      scenario: null,
      profile: null,
      phase: null,
      target: null,
      k6Version: null,
      status: 'completed',
      k6ExitCode: 0,
      startedAt: null,
      endedAt: null,
    },
  });
  detail = { points: a.input.points, requests: a.totals.requests, percentiles: a.settings.percentiles, p95: a.totals.all.durationMs.p95 };
} else if (task === 'floor') {
  let lines = 0;
  let bytes = 0;
  await readLines(file, (_b, s, e) => {
    lines++;
    bytes += e - s;
  });
  detail = { lines, bytes };
} else if (task === 'gunzip') {
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 18 })))
    bytes += (chunk as Buffer).length;
  detail = { bytes };
} else {
  throw new Error(`unknown task ${task}`);
}
const wallMs = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ task, wallMs, maxRssMB: process.resourceUsage().maxRSS / 1024, ...detail })}\n`);
