/**
 * One measured task of bench/analysis-throughput.ts, in its own process so that its peak RSS
 * is its own. Prints one JSON line.
 *
 *   analyze RUN_DIR MODE [OUT]  what `loadgate analyze RUN_DIR --percentiles MODE [--out OUT]`
 *                         does: read plan.json and run.json, stream the raw results, write
 *                         RUN_DIR/analysis.json or OUT (validated, atomically) and format the
 *                         terminal summary
 *   floor FILE            gunzip and split lines, no parsing
 *   gunzip FILE           decompression alone
 *
 * The wall time runs from before the first read to after the last write (module loading and
 * Node's start-up are not in it, in any task).
 */
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { analyzeRun, writeAnalysis, type PercentileMode } from '../lib/analysis/analyze.ts';
import { readLines } from '../lib/analysis/lines.ts';
import { formatSummary } from '../lib/analysis/summary.ts';

const [task, target, mode, out] = process.argv.slice(2);
if (task === undefined || target === undefined)
  throw new Error('usage: analysis-child.ts analyze RUN_DIR MODE [OUT] | floor FILE | gunzip FILE');

const t0 = performance.now();
let detail: Record<string, unknown> = {};
if (task === 'analyze') {
  const a = await analyzeRun(target, { percentiles: (mode ?? 'auto') as PercentileMode });
  const tWrite = performance.now();
  const file = await writeAnalysis(target, a, out);
  const summary = formatSummary(a);
  detail = {
    writeMs: performance.now() - tWrite,
    analysisBytes: statSync(file).size,
    summaryLines: summary.split('\n').length,
    points: a.input.points,
    requests: a.totals.requests,
    percentiles: a.settings.percentiles,
    p95: a.totals.all.durationMs.p95,
  };
} else if (task === 'floor') {
  let lines = 0;
  let bytes = 0;
  await readLines(target, (_b, s, e) => {
    lines++;
    bytes += e - s;
  });
  detail = { lines, bytes };
} else if (task === 'gunzip') {
  let bytes = 0;
  for await (const chunk of createReadStream(target, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 18 })))
    bytes += (chunk as Buffer).length;
  detail = { bytes };
} else {
  throw new Error(`unknown task ${task}`);
}
const wallMs = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ task, wallMs, maxRssMB: process.resourceUsage().maxRSS / 1024, ...detail })}\n`);
