/**
 * Judges a run directory: analysis.json (+ plan.json when present) × a threshold set →
 * verdict.json, junit.xml, summary.md in the run directory, and the exit code.
 * `loadgate verdict` and `loadgate run` (lib/run/post.ts) both call `judgeRun`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Analysis } from '../analysis/schema.ts';
import { ANALYSIS_FILE, readAnalysisAsync } from '../analysis/analyze.ts';
import { PlanSchema, type Plan } from '../plan/schema.ts';
import { UsageError } from '../cli/errors.ts';
import { loadConfig } from '../config/load.ts';
import { allSets, findSet } from '../../thresholds/sets.ts';
import { parseThresholdSets, type ThresholdSet } from '../../thresholds/schema.ts';
import { computeVerdict, type VerdictOptions } from './compute.ts';
import { exitCodeForVerdict } from './exit.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { Verdict } from './schema.ts';

export const VERDICT_FILES = { verdict: 'verdict.json', junit: 'junit.xml', summary: 'summary.md' } as const;

export interface JudgeOptions {
  /**
   * The threshold set: a name (built-in, `userSets`, or the config file's `thresholdSets`), or
   * a resolved set. Default: the plan's `thresholdSet`, else the run's phase when a set has
   * that name, else `production`.
   */
  set?: string | { name: string; set: ThresholdSet } | undefined;
  failOnInconclusive?: boolean | undefined;
  /** User-defined sets already validated (e.g. from the caller's config). */
  userSets?: Record<string, ThresholdSet> | undefined;
  /** Config file to take `thresholdSets` from when the set is not found otherwise (else LOADGATE_CONFIG). */
  configPath?: string | undefined;
  gate?: VerdictOptions['gate'];
  /** The clock, injected for tests. */
  now?: Date;
}

export interface JudgeResult {
  verdict: Verdict;
  exitCode: number;
  markdown: string;
  files: { verdict: string; junit: string; summary: string };
}

async function readPlan(runDir: string): Promise<Plan | null> {
  try {
    const parsed = PlanSchema.safeParse(JSON.parse(await readFile(join(runDir, 'plan.json'), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    // No plan (an analysis merged from elsewhere): the verdict works without it.
    return null;
  }
}

async function resolveSet(opts: JudgeOptions, plan: Plan | null, analysis: Analysis): Promise<{ name: string; set: ThresholdSet }> {
  if (opts.set && typeof opts.set === 'object') return opts.set;
  let user = opts.userSets ?? {};
  const named = opts.set ?? plan?.thresholdSet ?? null;
  const lookup = async (name: string) => {
    let set = findSet(name, user);
    if (!set && (opts.configPath || process.env['LOADGATE_CONFIG'])) {
      const config = await loadConfig({ configPath: opts.configPath });
      user = { ...(config.thresholdSets ? parseThresholdSets(config.thresholdSets, 'config: thresholdSets') : {}), ...user };
      set = findSet(name, user);
    }
    return set;
  };
  const name = named ?? (analysis.run.phase && (await lookup(analysis.run.phase)) ? analysis.run.phase : 'production');
  const set = await lookup(name);
  if (!set) throw new UsageError(`unknown threshold set "${name}"; valid sets: ${Object.keys(allSets(user)).join(', ')}`);
  return { name, set };
}

export async function judgeRun(runDir: string, opts: JudgeOptions = {}): Promise<JudgeResult> {
  const analysis = await readAnalysisAsync(join(runDir, ANALYSIS_FILE));
  const plan = await readPlan(runDir);
  const { name, set } = await resolveSet(opts, plan, analysis);
  const verdict = computeVerdict(analysis, set, {
    setName: name,
    now: (opts.now ?? new Date()).toISOString(),
    ...(opts.gate ? { gate: opts.gate } : {}),
    ...(plan ? { endpoints: plan.endpoints, requestsPerIteration: plan.requestsPerIteration } : {}),
  });
  const markdown = renderMarkdown(verdict, analysis);
  const files = {
    verdict: join(runDir, VERDICT_FILES.verdict),
    junit: join(runDir, VERDICT_FILES.junit),
    summary: join(runDir, VERDICT_FILES.summary),
  };
  await writeFile(files.verdict, `${JSON.stringify(verdict, null, 2)}\n`);
  await writeFile(files.junit, renderJunit(verdict));
  await writeFile(files.summary, markdown);
  return { verdict, exitCode: exitCodeForVerdict(verdict, { failOnInconclusive: opts.failOnInconclusive ?? false }), markdown, files };
}
