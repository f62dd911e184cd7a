/**
 * The stages meet through the run directory's files and the pure layer that owns them (DESIGN.md,
 * "The run directory is the architecture"). This test holds the folders to one direction:
 *
 *   contract, shared ─► thresholds ─► config ─► plan ─► execute (run, k6) ─► analyze ─► judge
 *   ─► render (report) and publish (history, influx) ─► pipeline ─► cli
 *
 * ALLOWED below is that direction as a table: a folder may import only the folders its row
 * names. Every import counts, `import type` included (a type is a dependency of the design even
 * when esbuild erases it), and so do dynamic `import()`s. A new folder needs a row; an import the
 * table does not allow fails with the file and the specifier; any cycle between folders fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The top-level folders whose code is part of the product (tests and benches may import anything). */
const SOURCE_DIRS = ['lib', 'thresholds', 'scenarios', 'build', 'reference-api', 'grafana'];

/** The pure bottom: error types, exit codes, stored schemas, the shared vocabulary; lib/root.ts. */
const BASE = ['lib/contract', 'lib/shared', 'lib/root.ts'];
/** Everything below the stages: what a run is made from. */
const INPUTS = [...BASE, 'thresholds', 'lib/config', 'lib/plan'];

/**
 * Which folders each folder may import. The stages (analyze, judge, render, publish) import no
 * other stage: they meet through the run directory's files, read and written only through the
 * contract's RunDir (lib/contract/run-dir.ts), and share only what lies below them (the
 * contract's schemas, figures and vocabulary; lib/shared's pure code, the verdict's wording among
 * it). Execute (lib/run) drives k6 (lib/k6) and bundles (build), its own tools. None imports the
 * pipeline or the CLI; the pipeline wires the stages together.
 */
const ALLOWED: Record<string, readonly string[]> = {
  'lib/contract': [],
  'lib/root.ts': [],
  'lib/shared': ['lib/contract'],
  thresholds: BASE,
  'lib/config': [...BASE, 'thresholds'],
  'lib/plan': [...BASE, 'thresholds', 'lib/config'],
  // The k6 side: pure code only (imports.test.ts checks that it reaches no Node API).
  scenarios: INPUTS,
  // Tools the stages use: bundling, and the reference API (the demo's system under test).
  build: BASE,
  'reference-api': BASE,
  // execute
  'lib/k6': BASE,
  'lib/run': [...INPUTS, 'lib/k6', 'build'],
  // analyze
  'lib/analysis': BASE,
  // judge
  'lib/verdict': INPUTS,
  // render
  'lib/report': INPUTS,
  // publish
  'lib/history': INPUTS,
  'lib/influx': INPUTS,
  grafana: INPUTS,
  // Commands beside the pipeline.
  'lib/init': INPUTS,
  'lib/k8s': [...INPUTS, 'lib/k6', 'lib/run', 'build'],
  // The steps in order, and the CLI over everything.
  'lib/pipeline': [...INPUTS, 'lib/k6', 'lib/run', 'lib/analysis', 'lib/verdict', 'lib/report', 'lib/history', 'lib/influx'],
  'lib/cli': [
    ...INPUTS,
    'lib/k6',
    'lib/run',
    'lib/analysis',
    'lib/verdict',
    'lib/report',
    'lib/history',
    'lib/influx',
    'lib/init',
    'lib/k8s',
    'lib/pipeline',
    'grafana',
    'reference-api',
  ],
};

/** Every relative specifier a file imports: static, `import type`, re-exports and dynamic `import()`. */
function importSpecifiers(source: string): string[] {
  const re = /^\s*(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  return [...source.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3]) as string).filter((s) => s.startsWith('.'));
}

/** The folder a file belongs to: `lib/<name>` below lib/, a file directly in lib/, else its top-level folder. */
function folderOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === 'lib') return parts.length > 2 ? `lib/${parts[1]}` : rel;
  return parts[0] as string;
}

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const dir of SOURCE_DIRS) {
    const files = readdirSync(join(ROOT, dir), { recursive: true })
      .map(String)
      .filter((f) => /\.(ts|mts|mjs)$/.test(f) && !/\.test\.ts$|\.d\.mts$/.test(f) && !f.split('/').includes('node_modules'));
    for (const f of files) {
      const file = join(ROOT, dir, f);
      const from = folderOf(relative(ROOT, file));
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        const to = folderOf(relative(ROOT, resolve(dirname(file), spec)));
        if (to !== from) edges.push({ from, to, file: relative(ROOT, file), spec });
      }
    }
  }
  return edges;
}

/** Strongly connected components with more than one folder (Tarjan). */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

function graphOf(pairs: Iterable<[string, string]>): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const [from, to] of pairs) {
    if (!g.has(from)) g.set(from, new Set());
    if (!g.has(to)) g.set(to, new Set());
    g.get(from)?.add(to);
  }
  return g;
}

describe('folder import rules', () => {
  const edges = folderEdges();

  it('reads every kind of import, type-only and dynamic ones included', () => {
    const src =
      "import type { A } from './a.ts';\nimport { b } from '../b.ts';\nexport { c } from './c.ts';\nimport './d.ts';\nconst e = await import('./e.ts');\nimport { z } from 'zod';";
    expect(importSpecifiers(src)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts']);
  });

  it('finds a cycle, and none in a chain', () => {
    expect(
      cycles(
        graphOf([
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'a'],
          ['c', 'd'],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
    expect(
      cycles(
        graphOf([
          ['a', 'b'],
          ['b', 'c'],
        ]),
      ),
    ).toEqual([]);
  });

  it('the table of allowed directions has no cycle', () => {
    expect(cycles(graphOf(Object.entries(ALLOWED).flatMap(([from, tos]) => tos.map((to): [string, string] => [from, to]))))).toEqual([]);
  });

  it('every source folder has a row in the table', () => {
    expect(edges.length).toBeGreaterThan(50);
    const folders = new Set(edges.flatMap((e) => [e.from, e.to]));
    expect([...folders].filter((f) => !(f in ALLOWED)).sort()).toEqual([]);
  });

  it('every import between folders goes the way the table allows', () => {
    const offences = edges.filter((e) => !ALLOWED[e.from]?.includes(e.to)).map((e) => `${e.file} (${e.from}) imports ${e.spec} (${e.to})`);
    expect(offences).toEqual([]);
  });

  it('no cycle between folders', () => {
    expect(cycles(graphOf(edges.map((e): [string, string] => [e.from, e.to])))).toEqual([]);
  });
});
