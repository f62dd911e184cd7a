/**
 * HDR mode (forced here; `auto` moves to it past 2M values) against exact mode on one run
 * with small and large cells: a cell of at most EXACT_PER_CELL values keeps them and has
 * exactly k6's figures; a larger one is within the stated error of them (HDR_RELATIVE_ERROR,
 * HDR_ABSOLUTE_ERROR_MS below 0.5 ms). Counts, min, max and means are exact in both.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { analyzeRun } from '../../lib/analysis/analyze.ts';
import { HDR_ABSOLUTE_ERROR_MS, HDR_RELATIVE_ERROR } from '../../lib/contract/distribution.ts';
import { PERCENTILES } from '../../lib/contract/percentiles.ts';
import type { Analysis, Cell, Dist, Stats } from '../../lib/contract/analysis.ts';
import { EXACT_PER_CELL } from '../../lib/analysis/values.ts';
import { benchOptions, planFor, type GenEndpoint } from './generate.ts';
import { generated, scratchDirs, writeRunDir } from './helpers.ts';

const dir = scratchDirs('loadgate-hdr-');

// One endpoint takes 7 of every 8 requests: its total and its steady stage hold more than
// EXACT_PER_CELL values, its other stages and the light endpoint fewer.
const base = benchOptions(0.25, 5);
const heavy = base.endpoints.find((e) => e.name === 'auth.login') as GenEndpoint;
const light = base.endpoints.find((e) => e.name === 'probes.health') as GenEndpoint;
const { lines } = generated({ ...base, endpoints: [heavy, heavy, heavy, heavy, heavy, heavy, heavy, light] });
const plan = planFor({ ...base, endpoints: [heavy, light] });

let exact: Analysis;
let hdr: Analysis;
beforeAll(async () => {
  const d = await dir();
  await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': lines } });
  exact = await analyzeRun(d, { percentiles: 'exact' });
  hdr = await analyzeRun(d, { percentiles: 'hdr' });
}, 60_000);

/** Every stats cell of an analysis, by a label that names it. */
function cells(a: Analysis): Map<string, Stats | Cell> {
  const out = new Map<string, Stats | Cell>([['totals.all', a.totals.all]]);
  for (const e of a.endpoints) {
    out.set(`${e.name} total`, e.total);
    for (const [s, st] of Object.entries(e.byStage)) out.set(`${e.name} stage ${s}`, st);
    for (const [s, st] of Object.entries(e.byScenario)) out.set(`${e.name} scenario ${s}`, st);
    for (const c of e.cells ?? []) out.set(`${e.name} cell ${c.stage} × ${c.scenario}`, c);
  }
  return out;
}

const KINDS = ['durationMs', 'waitingMs', 'connectingMs'] as const;

describe('hdr mode', () => {
  it('says so, with its stated error', () => {
    expect(hdr.settings).toEqual({ ...exact.settings, percentiles: 'hdr', relativeError: HDR_RELATIVE_ERROR });
  });

  it(`cells of at most ${EXACT_PER_CELL} values have exact mode's (k6's) figures; larger ones are within the stated error`, () => {
    const e = cells(exact);
    const h = cells(hdr);
    expect([...h.keys()]).toEqual([...e.keys()]);
    let small = 0;
    let large = 0;
    for (const [label, ec] of e) {
      const hc = h.get(label) as Stats | Cell;
      for (const kind of KINDS) {
        const ed: Dist = ec[kind];
        const hd: Dist = hc[kind];
        if (ed.count <= EXACT_PER_CELL) {
          if (kind === 'durationMs') small++;
          expect(hd, `${label} ${kind}`).toEqual(ed);
          continue;
        }
        if (kind === 'durationMs') large++;
        expect([hd.count, hd.min, hd.max, hd.mean], `${label} ${kind}`).toEqual([ed.count, ed.min, ed.max, ed.mean]);
        for (const [k] of PERCENTILES) {
          const want = ed[k] as number;
          const allowed = Math.max(HDR_RELATIVE_ERROR * want, HDR_ABSOLUTE_ERROR_MS);
          expect(Math.abs((hd[k] as number) - want), `${label} ${kind} ${k}: hdr ${hd[k]}, exact ${want}`).toBeLessThanOrEqual(allowed);
        }
      }
      expect(hc.requests, label).toBe(ec.requests);
      expect(hc.outcomes, label).toEqual(ec.outcomes);
    }
    // The run has both kinds: the test shows each rule at work.
    expect(small).toBeGreaterThanOrEqual(5);
    expect(large).toBeGreaterThanOrEqual(3);
  });

  it('small cells are censored as in exact mode (the same ranks, the same values)', () => {
    const e = cells(exact);
    const h = cells(hdr);
    for (const [label, ec] of e) if (ec.durationMs.count <= EXACT_PER_CELL) expect(h.get(label)?.censored, label).toEqual(ec.censored);
  });
});
