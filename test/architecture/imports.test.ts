/**
 * The two runtimes stay apart (DESIGN.md, principle 3): code that k6 runs (scenarios/ and what
 * it imports) reaches no Node API, no npm package and no Node-side stage; Node-side code never
 * imports k6's modules. Value imports are followed through the tree; `import type` is erased
 * by esbuild and does not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Value imports of a TypeScript file (`import type …` and `import { type A, type B }` skipped). */
function valueImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) {
    if (m[5]) {
      out.push(m[5]);
      continue;
    }
    if (m[2]) continue;
    const clause = (m[3] ?? '').trim();
    const named = /^\{([\s\S]*)\}$/.exec(clause);
    if (named && (named[1] ?? '').split(',').every((s) => s.trim() === '' || s.trim().startsWith('type '))) continue;
    out.push(m[4] as string);
  }
  return out;
}

function closure(entries: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    const imports = valueImports(readFileSync(file, 'utf8'));
    seen.set(file, imports);
    for (const spec of imports) if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
  }
  return seen;
}

const tsFiles = (dir: string) =>
  readdirSync(join(ROOT, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(ROOT, dir, f));

/** Node-side folders k6 code must never reach. */
const NODE_ONLY = [
  'lib/cli/',
  'lib/run/',
  'lib/analysis/',
  'lib/report/',
  'lib/influx/',
  'lib/verdict/',
  'lib/k6/',
  'lib/init/',
  'lib/history/',
  'lib/config/load.ts',
  'reference-api/',
  'build/',
];

describe('import rules', () => {
  it('reads value imports and skips type-only ones', () => {
    const src =
      "import type { A } from './a.ts';\nimport { type B, type C } from './b.ts';\nimport { d, type E } from './d.ts';\nimport './side.ts';\nexport { f } from './f.ts';";
    expect(valueImports(src)).toEqual(['./d.ts', './side.ts', './f.ts']);
  });

  it('k6 code (scenarios/ and everything it imports) reaches only k6 modules and pure shared code', () => {
    const files = closure(
      readdirSync(join(ROOT, 'scenarios'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(ROOT, 'scenarios', f)),
    );
    const offences: string[] = [];
    for (const [file, imports] of files) {
      const rel = relative(ROOT, file);
      if (NODE_ONLY.some((p) => rel.startsWith(p))) offences.push(`${rel} is Node-side code`);
      for (const spec of imports) {
        if (spec.startsWith('.')) continue;
        if (spec === 'k6' || spec.startsWith('k6/')) continue;
        offences.push(`${rel} imports ${spec}`);
      }
    }
    expect(files.size).toBeGreaterThan(5);
    expect(offences).toEqual([]);
  });

  it('Node-side code never imports k6 modules', () => {
    const offences: string[] = [];
    for (const file of [...tsFiles('lib'), ...tsFiles('thresholds'), ...tsFiles('build'), ...tsFiles('reference-api')]) {
      for (const spec of valueImports(readFileSync(file, 'utf8'))) {
        if (spec === 'k6' || spec.startsWith('k6/')) offences.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(offences).toEqual([]);
  });
});
