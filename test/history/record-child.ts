/**
 * A process that records run directories in a history, one transaction each, starting at a
 * given moment: two of these at once are two runs finishing together (concurrency.test.ts).
 *   node --import tsx test/history/record-child.ts <history-file> <start-epoch-ms> <run-dir>...
 */
import { recordRun } from '../../lib/history/record.ts';

const [file, startMs, ...dirs] = process.argv.slice(2);
if (!file || !startMs) throw new Error('usage: record-child.ts <history-file> <start-epoch-ms> <run-dir>...');
const wait = Number(startMs) - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
const first = Date.now();
for (const dir of dirs) await recordRun(dir, { historyFile: file });
// When this process wrote: the test checks that the two writers' windows overlapped.
process.stdout.write(`${JSON.stringify({ recorded: dirs.length, first, last: Date.now() })}\n`);
