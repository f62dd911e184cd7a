/**
 * Where the terminal verdict goes: reads a run directory's analysis.json and verdict.json with
 * the reports' reader, renders it (lib/verdict/terminal.ts) for the stream it is written to
 * (colour on a TTY, its width), and writes it. Used at the end of `run`, `verdict` and each
 * demo phase.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { PhaseResult } from '../verdict/terminal.ts';

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Colour only on a TTY, and never with NO_COLOR set or TERM=dumb (https://no-color.org); FORCE_COLOR forces it. */
export function useColor(stream: OutStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/**
 * Prints the run's terminal verdict to `stream`; returns what it read (for the demo's phase
 * table), or null when the run has no readable analysis (the step that failed already said why).
 */
export async function printRunVerdict(runDir: string, stream: OutStream, log: (line: string) => void): Promise<PhaseResult | null> {
  const [{ readRunInputs }, { renderTerminal }] = await Promise.all([
    import('../contract/run-inputs.ts'),
    import('../verdict/terminal.ts'),
  ]);
  let inputs: Awaited<ReturnType<typeof readRunInputs>>;
  try {
    inputs = await readRunInputs(runDir);
  } catch (err) {
    log(`no verdict to show for ${runDir}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  const report = join(inputs.runDir, 'report.html');
  stream.write(
    renderTerminal(inputs.analysis, inputs.verdict, {
      color: useColor(stream),
      width: stream.isTTY ? stream.columns : undefined,
      // A report that could not be written (a directory in its place) is not pointed at.
      reportPath: statSync(report, { throwIfNoEntry: false })?.isFile() ? report : undefined,
    }),
  );
  return { label: inputs.analysis.run.phase ?? inputs.analysis.run.profile ?? runDir, analysis: inputs.analysis, verdict: inputs.verdict };
}
