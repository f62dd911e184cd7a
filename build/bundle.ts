/**
 * Bundles the TypeScript scenarios into k6 scripts with esbuild: dist/<scenario>.js (runs on its own)
 * and dist/run/<scenario>.js (what `loadgate run` hands to k6, with plan.json).
 * `k6 run -e BASE_URL=http://127.0.0.1:8080 -e LOADGATE_PASSWORD=… dist/journey.js` works on its own
 * (dist/monitoring.js needs no password).
 */
import { build, formatMessages, type Metafile } from 'esbuild';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIO_NAMES } from '../lib/shared/defaults.ts';

/** The entry scripts: one per built-in scenario, and `flow`, which runs any flow a plan names. */
export const BUNDLE_NAMES = [...SCENARIO_NAMES, 'flow'] as const;
export type ScenarioName = (typeof BUNDLE_NAMES)[number];
import { ROOT } from '../lib/root.ts';
import { InfraError } from '../lib/contract/errors.ts';
import { cacheDir, discard, installWritable, makeDirs, publish, stagingDir } from './place.mjs';

export { ROOT };
export const DIST = join(ROOT, 'dist');

export function bundlePath(scenario: ScenarioName): string {
  return join(DIST, `${scenario}.js`);
}

/** The bundle `loadgate run` hands to k6: the plan comes from LOADGATE_PLAN, so no plan builder. */
export function runBundlePath(scenario: ScenarioName): string {
  return join(DIST, 'run', `${scenario}.js`);
}

export interface BundleResult {
  /** dist/<scenario>.js: runs on its own (builds its plan from env vars). */
  files: Array<{ scenario: ScenarioName; path: string; bytes: number }>;
  /** dist/run/<scenario>.js: what `loadgate run` hands to k6 (the plan comes from plan.json). */
  runFiles: Array<{ scenario: ScenarioName; path: string; bytes: number }>;
  /** esbuild's warnings, formatted (file:line and the message); esbuild has printed them too. */
  warnings: string[];
  ms: number;
}

/** Bundles k6 entry scripts into `outdir`; returns esbuild's metafile and its formatted warnings. */
export async function bundleEntries(
  entryPoints: readonly string[],
  outdir: string,
  opts: { standalone?: boolean } = {},
): Promise<{ metafile: Metafile; warnings: string[] }> {
  const result = await build({
    entryPoints: [...entryPoints],
    outdir,
    // One self-contained file per scenario: `k6 run` on another machine, or the k6-operator,
    // needs only dist/<scenario>.js, not the TypeScript tree its imports point into.
    bundle: true,
    // k6 resolves its own modules at run time; bundling them is impossible (they are Go).
    external: ['k6', 'k6/*'],
    // k6 loads ES modules; esm keeps `export const options` and `export default` as k6 expects.
    format: 'esm',
    // Neither Node nor a browser: no Node built-ins may be pulled in, and no browser shims.
    platform: 'neutral',
    // k6's JS runtime (sobek) supports ES2020+ syntax; this avoids needless down-levelling.
    target: 'es2020',
    // Standalone bundles build a plan from env vars; run bundles (dist/run/) get plan.json and
    // drop the plan builder, the profiles and the threshold conversion: k6 compiles the script
    // once per VU, so that code would cost memory per VU for nothing.
    define: { LOADGATE_STANDALONE: String(opts.standalone ?? true) },
    // Standalone bundles link their .map, so k6's stack traces point at the TypeScript sources.
    // Run bundles (dist/run/) get the .map file without the link: k6 reads and parses a linked
    // map for the whole run (about 0.4 MB of live heap, 1.5 MiB of peak RSS in bench:overhead),
    // and their stack traces point at the bundle, whose lines are readable (unminified, each
    // module headed by its source path).
    sourcemap: opts.standalone === false ? 'external' : 'linked',
    // Readable bundles: k6 parses them once per VU, and minifying saves nothing measurable there.
    minify: false,
    // The list of inputs, for assertNoNodeCode: tree-shaking must keep zod and other Node-side code out.
    metafile: true,
    // esbuild's default, stated so that nobody silences it again: a warning in a k6 bundle is
    // usually a bug that only shows inside k6 (an import that resolves to nothing, a duplicate
    // key, a comparison that is always false), so warnings and errors go to stderr.
    logLevel: 'warning',
  });
  const warnings = await formatMessages(result.warnings, { kind: 'warning', color: false });
  return { metafile: result.metafile, warnings: warnings.map((w) => w.trim()) };
}

export async function bundleScenarios(scenarios: readonly ScenarioName[] = BUNDLE_NAMES, outdir = DIST): Promise<BundleResult> {
  const started = performance.now();
  const entries = scenarios.map((s) => join(ROOT, 'scenarios', `${s}.ts`));
  const [standalone, run] = await Promise.all([
    bundleEntries(entries, outdir, { standalone: true }),
    bundleEntries(entries, join(outdir, 'run'), { standalone: false }),
  ]);
  assertNoNodeCode(standalone.metafile);
  assertNoNodeCode(run.metafile);
  const warnings = [...standalone.warnings, ...run.warnings];
  const sized = (dir: string) =>
    Promise.all(
      scenarios.map(async (scenario) => {
        const path = join(dir, `${scenario}.js`);
        return { scenario, path, bytes: (await stat(path)).size };
      }),
    );
  return { files: await sized(outdir), runFiles: await sized(join(outdir, 'run')), warnings, ms: performance.now() - started };
}

/** The two runtimes stay apart: a k6 bundle must not contain zod or Node built-ins. */
function assertNoNodeCode(meta: Metafile): void {
  const offenders = Object.keys(meta.inputs).filter((p) => p.includes('node_modules/zod') || p.startsWith('node:'));
  if (offenders.length > 0) throw new Error(`k6 bundle pulls in Node-side code: ${offenders.join(', ')}`);
}

/** Newest modification time under the folders the bundles are built from. */
async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** Where a bundle is under a build directory (dist/, or the cache's k6/). */
function bundleIn(dir: string, scenario: ScenarioName, kind: 'standalone' | 'run'): string {
  return kind === 'run' ? join(dir, 'run', `${scenario}.js`) : join(dir, `${scenario}.js`);
}

/**
 * The bundle to run: dist/'s when it is up to date; else rebuilt in dist/ when the install can
 * be written; else (a read-only install) built once into the per-user cache, in the directory
 * of these sources' hash (build/place.mjs).
 */
export async function ensureBundle(
  scenario: ScenarioName,
  kind: 'standalone' | 'run' = 'standalone',
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = bundleIn(DIST, scenario, kind);
  const built = await stat(path).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    ...(await Promise.all(['scenarios', 'lib/shared', 'lib/plan', 'thresholds'].map((d) => newestSource(join(ROOT, d)).catch(() => 0)))),
  );
  if (built !== 0 && sources <= built) return path;
  if (installWritable(DIST)) {
    await bundleScenarios();
    return path;
  }
  const dir = join(cacheDir(env), 'k6');
  const cached = bundleIn(dir, scenario, kind);
  if (existsSync(cached)) return cached;
  const tmp = stagingDir(dir);
  try {
    makeDirs(cacheDir(env));
    await bundleScenarios(BUNDLE_NAMES, tmp);
    publish(tmp, dir);
  } catch (err) {
    const why = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    throw new InfraError(
      `k6's bundle in ${DIST} is missing or older than its sources, and loadgate's install directory is not to be written (read-only, or npm's), ` +
        `so it is built into the per-user cache, ${cacheDir(env)}; that failed: ${why}. ` +
        'Set LOADGATE_CACHE_DIR to a directory this user can write, or run `npm run build` where the install can be written',
      { cause: err },
    );
  } finally {
    discard(tmp);
  }
  return cached;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await bundleScenarios();
  for (const f of [...r.files, ...r.runFiles]) console.log(`${f.path}  ${(f.bytes / 1024).toFixed(1)} KiB`);
  const warned = r.warnings.length ? ` with ${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''} (above)` : '';
  console.log(`bundled ${r.files.length} scenarios in ${r.ms.toFixed(0)} ms${warned}`);
}
