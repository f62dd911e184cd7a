/** The measured child of the analysis benches: bench/analysis-child.ts, built like the CLI (plain JavaScript, npm packages external). */
import { join } from 'node:path';
import { build } from 'esbuild';

export async function buildAnalysisChild(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(import.meta.dirname, 'analysis-child.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}
