/**
 * A run directory's analysis.json (required) and verdict.json (optional), as the reports, the
 * terminal summary and the history read them. Errors are typed (lib/contract/errors.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ZodError } from 'zod';
import type { Analysis } from '../contract/analysis.ts';
import { DataError, UsageError } from '../contract/errors.ts';
import { RUN_FILES, RunDir } from '../contract/run-dir.ts';
import { VerdictSchema, type Verdict } from './schema.ts';

export interface RunInputs {
  runDir: string;
  analysis: Analysis;
  verdict: Verdict | null;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DataError(`the ${what} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function zodMessage(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Reads a run directory's analysis (required) and verdict (optional). */
export async function readRunInputs(runDir: string): Promise<RunInputs> {
  const dir = resolve(runDir);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`not a run directory: ${runDir}`);
  const analysis = await new RunDir(dir).read(RUN_FILES.analysis);
  const verdictFile = join(dir, 'verdict.json');
  const hasVerdict = await stat(verdictFile).then(
    (s) => s.isFile(),
    () => false,
  );
  let verdict: Verdict | null = null;
  if (hasVerdict) {
    try {
      verdict = VerdictSchema.parse(await readJson(verdictFile, 'verdict'));
    } catch (err) {
      if (err instanceof ZodError) throw new DataError(`${verdictFile} is not a valid verdict: ${zodMessage(err)}`);
      throw err;
    }
  }
  return { runDir: dir, analysis, verdict };
}
