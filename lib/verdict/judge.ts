/**
 * Judges a run directory: analysis.json (+ plan.json and generator.json when present) × a threshold set →
 * verdict.json, junit.xml, summary.md in the run directory, and the exit code.
 * `loadgate verdict` and `loadgate run` (lib/pipeline/post.ts) both call `judgeRun`.
 */
import { join } from 'node:path';
import { UsageError } from '../contract/errors.ts';
import { RUN_FILES, RunDir } from '../contract/run-dir.ts';
import { loadConfig } from '../config/load.ts';
import { allSets, findSet } from '../../thresholds/sets.ts';
import { parseThresholdSets, type ThresholdSet } from '../contract/thresholds.ts';
import { computeVerdict, type VerdictOptions } from './compute.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { Verdict } from '../contract/verdict.ts';

export const VERDICT_FILES = { verdict: RUN_FILES.verdict.name, junit: 'junit.xml', summary: 'summary.md' } as const;

export interface JudgeOptions {
  /**
   * The threshold set: a name (built-in, `userSets`, or the config file's `thresholdSets`), or
   * a resolved set. Default: the plan's `thresholdSet`, else the run's phase when a set has
   * that name, else `production`.
   */
  set?: string | { name: string; set: ThresholdSet } | undefined;
  /**
   * The production gate every run is also judged against (recorded as `verdict.production`;
   * it never changes the exit code): a set name, looked up like `set`, or a resolved set.
   * Default `production`.
   */
  productionSet?: string | { name: string; set: ThresholdSet } | undefined;
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
  markdown: string;
  files: { verdict: string; junit: string; summary: string };
}

/**
 * Threshold sets by name: the caller's, then the config file's `thresholdSets` (when a config
 * is given or LOADGATE_CONFIG is set; read once, on the first lookup), then the built-in ones.
 * A config set of a built-in name (e.g. its own `production`) replaces the built-in one.
 */
function setLookup(opts: JudgeOptions): (name: string) => Promise<{ set: ThresholdSet | undefined; known: string[] }> {
  let user: Record<string, ThresholdSet> | null = null;
  return async (name: string) => {
    if (user === null) {
      user = opts.userSets ?? {};
      if (opts.configPath || process.env['LOADGATE_CONFIG']) {
        const config = await loadConfig({ configPath: opts.configPath });
        user = { ...(config.thresholdSets ? parseThresholdSets(config.thresholdSets, 'config: thresholdSets') : {}), ...user };
      }
    }
    return { set: findSet(name, user), known: Object.keys(allSets(user)) };
  };
}

type Lookup = ReturnType<typeof setLookup>;

async function resolveSet(
  wanted: JudgeOptions['set'],
  fallback: () => Promise<string>,
  lookup: Lookup,
): Promise<{ name: string; set: ThresholdSet }> {
  if (wanted && typeof wanted === 'object') return wanted;
  const name = wanted ?? (await fallback());
  const { set, known } = await lookup(name);
  if (!set) throw new UsageError(`unknown threshold set "${name}"; valid sets: ${known.join(', ')}`);
  return { name, set };
}

export async function judgeRun(runDir: string, opts: JudgeOptions = {}): Promise<JudgeResult> {
  const run = new RunDir(runDir);
  const analysis = await run.read(RUN_FILES.analysis);
  // No plan (an analysis merged from elsewhere): the verdict works without it. A damaged one is
  // an error: it would change the verdict silently (planned iterations estimated instead of known).
  const plan = await run.read(RUN_FILES.plan);
  // k6's own CPU and memory (loadgate run on Linux); null for a run without them.
  const generator = await run.read(RUN_FILES.generator);
  const lookup = setLookup(opts);
  const phase = analysis.run.phase;
  const phaseSet = async () => (phase && (await lookup(phase)).set ? phase : 'production');
  const { name, set } = await resolveSet(opts.set ?? plan?.thresholdSet ?? undefined, phaseSet, lookup);
  const production = await resolveSet(opts.productionSet, async () => 'production', lookup);
  const verdict = computeVerdict(analysis, set, {
    setName: name,
    production,
    now: (opts.now ?? new Date()).toISOString(),
    generator,
    ...(opts.gate ? { gate: opts.gate } : {}),
    ...(plan ? { endpoints: plan.endpoints, requestsPerIteration: plan.requestsPerIteration, readiness: plan.readiness ?? null } : {}),
  });
  const markdown = renderMarkdown(verdict, analysis);
  const files = {
    verdict: join(runDir, VERDICT_FILES.verdict),
    junit: join(runDir, VERDICT_FILES.junit),
    summary: join(runDir, VERDICT_FILES.summary),
  };
  // Each atomically (RunDir): a judge killed mid-write leaves the old files or the new ones.
  await run.write(RUN_FILES.verdict, verdict);
  await run.writeText(VERDICT_FILES.junit, renderJunit(verdict));
  await run.writeText(VERDICT_FILES.summary, markdown);
  return { verdict, markdown, files };
}
