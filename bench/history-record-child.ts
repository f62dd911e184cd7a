/**
 * The measured side of bench/history-trends.ts: what recording one run in the history adds to
 * `loadgate run`. Built to plain JavaScript like the CLI; the modules post-processing has loaded
 * already (the analysis and verdict readers) are loaded first, then the clock runs over loading
 * the history modules (libsql's native binding among them) and the history step itself: git
 * source detection, source.json, opening the store and one write transaction.
 *
 *   node history-record-child.mjs <run-dir> <history-file> [--against-history]
 */
export {};

const [runDir, historyFile, flag] = process.argv.slice(2);
if (!runDir || !historyFile) throw new Error('usage: history-record-child.mjs <run-dir> <history-file> [--against-history]');
// What `loadgate run` has loaded by the time it records: the analysis, the verdict and the report.
const [{ readRunInputs }] = await Promise.all([
  import('../lib/contract/run-inputs.ts'),
  import('../lib/report/files.ts'),
  import('../lib/analysis/analyze.ts'),
  import('../lib/verdict/judge.ts'),
  import('../lib/report/render.ts'),
]);
const inputs = await readRunInputs(runDir);
const t0 = performance.now();
const { historyStep } = await import('../lib/pipeline/history.ts');
const t1 = performance.now();
const step = await historyStep(runDir, {
  analysis: inputs.analysis,
  verdict: inputs.verdict,
  againstHistory: flag === '--against-history',
  detectSource: true,
  historyFile,
  log: (line) => process.stderr.write(`${line}\n`),
});
const t2 = performance.now();
if (!step.entry) throw new Error('not recorded');
process.stdout.write(`${JSON.stringify({ loadMs: t1 - t0, stepMs: t2 - t1, totalMs: t2 - t0, judged: step.judgement?.status ?? null })}\n`);
