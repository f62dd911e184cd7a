/**
 * The reports in a real browser: Debian's Chromium, driven by playwright-core, opening each
 * report from file://. No console errors, no network requests, charts drawn, tables filled,
 * markup in data shown as text, and the printed form: a PDF from Chromium's own print path
 * holding every section, table and chart, and a print layout that fits the page. Screenshots
 * and PDFs go to test-artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderComparison, renderRunReport } from '../../lib/report/render.ts';
import { HOSTILE, NOW, PHASES, hostileRun, judgedPhase } from '../fixtures/report/runs.ts';
import { verdictFor } from '../fixtures/report/make-verdict.ts';
import { computeVerdict } from '../../lib/verdict/compute.ts';
import { findSet } from '../../thresholds/sets.ts';
import type { ThresholdSet } from '../../lib/contract/thresholds.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (the browser tests need it)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

async function open(name: string, html: string): Promise<Opened> {
  const file = join(ARTIFACTS, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  // Browser-side code is passed as strings: this tsconfig has Node's types, not the DOM's.
  await page.waitForFunction(
    `document.documentElement.hasAttribute('data-charts') || !document.getElementById('report-data').textContent.includes('"chart"')`,
  );
  return { page, errors, requests: requests.filter((r) => r !== url) };
}

async function shoot(o: Opened, name: string): Promise<void> {
  await o.page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await o.page.emulateMedia({ media: 'print' });
  await o.page.screenshot({ path: join(ARTIFACTS, `${name}-print.png`), fullPage: false });
  await o.page.close();
}

/** The reports' `@page`: A4 landscape (841.89 × 595.28 pt) with 10 mm margins, so 277 mm of content width at 96 px per inch. */
const A4_LANDSCAPE_PT = [841.89, 595.28] as const;
const PRINT_WIDTH_PX = Math.floor((277 / 25.4) * 96);

/** A PDF string: literal `(…)` with its escapes, or `<FEFF…>` UTF-16BE hex. */
function pdfString(raw: string): string {
  if (raw.startsWith('<')) {
    const bytes = Buffer.from(raw.slice(1, -1), 'hex');
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return bytes.subarray(2).swap16().toString('utf16le');
    return bytes.toString('latin1');
  }
  return raw
    .slice(1, -1)
    .replace(/\\([0-7]{1,3}|[nrtbf()\\])/g, (_, e: string) =>
      /^[0-7]/.test(e)
        ? String.fromCharCode(parseInt(e, 8))
        : (({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e),
    );
}

interface Printed {
  pages: number;
  /** Each page's MediaBox width and height, in points. */
  sizes: number[][];
  /** The document outline Chromium builds from the printed headings. */
  outline: string[];
  /** Structure elements of the tagged PDF by type (Table, TR, Figure, …): what was laid out on paper. */
  tags: Record<string, number>;
}

/**
 * Reads what a Chromium PDF holds. Chromium (Skia) writes page, outline and structure
 * dictionaries uncompressed; should that change, pages and tags come out empty and the
 * assertions fail rather than pass on nothing.
 */
function readPdf(pdf: Buffer): Printed {
  const text = pdf.toString('latin1');
  const tags: Record<string, number> = {};
  for (const m of text.matchAll(/\/S\s*\/([A-Za-z]+)/g)) tags[m[1] as string] = (tags[m[1] as string] ?? 0) + 1;
  return {
    pages: text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0,
    sizes: [...text.matchAll(/\/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]/g)].map((m) => [
      Number(m[3]) - Number(m[1]),
      Number(m[4]) - Number(m[2]),
    ]),
    outline: [...text.matchAll(/\/Title\s*(\((?:\\[\s\S]|[^\\)])*\)|<[0-9A-Fa-f\s]*>)/g)].map((m) => pdfString(m[1] as string)),
    tags,
  };
}

/** What the screen shows: headings, data tables (with header cells) and their rows, charts. Collapsed details do not count. */
const SCREEN_COUNTS = `(() => {
  const shown = (sel) => [...document.querySelectorAll(sel)].filter((e) => e.checkVisibility() && !e.closest('details:not([open])'));
  const tables = shown('table').filter((t) => t.querySelector('th'));
  return {
    headings: shown('h2').map((h) => h.textContent.trim()),
    tables: tables.length,
    rows: tables.reduce((n, t) => n + [...t.rows].filter((r) => r.checkVisibility()).length, 0),
    figures: shown('canvas').length + shown('main svg').length,
  };
})()`;

/**
 * Prints the open page to `<name>.pdf` with Chromium's own print path (which fires beforeprint, so
 * the charts take their print size) and checks the printed form: A4 landscape pages; every
 * section heading, data table, row and chart of the screen in the PDF's structure; and under
 * print media at the page's content width, each `key` element shown (not display:none, not
 * hidden, not empty) and nothing wider than the page, where the printer would cut it.
 */
async function printAndCheck(o: Opened, name: string, keys: string[]): Promise<void> {
  const p = o.page;
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const screen = (await p.evaluate(SCREEN_COUNTS)) as { headings: string[]; tables: number; rows: number; figures: number };
  expect(screen.tables, 'data tables on screen').toBeGreaterThan(0);

  const pdf = await p.pdf({
    path: join(ARTIFACTS, `${name}.pdf`),
    preferCSSPageSize: true,
    printBackground: true,
    tagged: true,
    outline: true,
  });
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const printed = readPdf(pdf);
  expect(printed.pages, `${name}.pdf pages`).toBeGreaterThanOrEqual(1);
  expect(printed.sizes.length).toBeGreaterThanOrEqual(printed.pages);
  for (const [w, h] of printed.sizes) {
    expect(Math.abs((w ?? 0) - A4_LANDSCAPE_PT[0]), `page width ${w} pt`).toBeLessThan(1.5);
    expect(Math.abs((h ?? 0) - A4_LANDSCAPE_PT[1]), `page height ${h} pt`).toBeLessThan(1.5);
  }
  expect(printed.outline, 'section headings in the PDF outline').toEqual(expect.arrayContaining(screen.headings));
  expect(printed.tags['Table'] ?? 0, 'tables in the PDF').toBe(screen.tables);
  expect(printed.tags['TR'] ?? 0, 'table rows in the PDF').toBe(screen.rows);
  expect(printed.tags['Figure'] ?? 0, 'charts in the PDF').toBeGreaterThanOrEqual(screen.figures);

  // The print layout, at the width of the page's content box, with the charts at their print size.
  await p.emulateMedia({ media: 'print' });
  await p.setViewportSize({ width: PRINT_WIDTH_PX, height: 1000 });
  await p.waitForTimeout(300); // the report's resize handler is debounced by 150 ms
  await p.evaluate(`new Promise((done) => { dispatchEvent(new Event('beforeprint')); requestAnimationFrame(() => done()); })`);
  const layout = (await p.evaluate(`(() => {
    const keys = ${JSON.stringify(keys)};
    const found = {};
    for (const sel of keys) {
      found[sel] = [...document.querySelectorAll(sel)].map((e) => {
        const r = e.getBoundingClientRect();
        const s = getComputedStyle(e);
        return { shown: e.checkVisibility({ opacityProperty: true, visibilityProperty: true }), display: s.display, w: r.width, h: r.height, left: r.left, right: r.right };
      });
    }
    const wide = [...document.querySelectorAll('main *')]
      .filter((e) => e.checkVisibility() && e.getBoundingClientRect().right > ${PRINT_WIDTH_PX} + 1)
      .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' right=' + Math.round(e.getBoundingClientRect().right));
    return { found, wide: wide.slice(0, 10), scrollWidth: document.documentElement.scrollWidth };
  })()`)) as {
    found: Record<string, Array<{ shown: boolean; display: string; w: number; h: number; left: number; right: number }>>;
    wide: string[];
    scrollWidth: number;
  };
  for (const sel of keys) {
    const els = layout.found[sel] ?? [];
    expect(els.length, `${sel} in the page`).toBeGreaterThan(0);
    for (const [i, e] of els.entries()) {
      const what = `${sel} [${i}] in print (display ${e.display}, ${Math.round(e.w)}×${Math.round(e.h)} px at ${Math.round(e.left)}–${Math.round(e.right)})`;
      expect(e.shown && e.w > 0 && e.h > 0, `${what}: shown`).toBe(true);
      expect(e.left >= -1 && e.right <= PRINT_WIDTH_PX + 1, `${what}: within the ${PRINT_WIDTH_PX} px page width`).toBe(true);
    }
  }
  expect(layout.wide, `elements wider than the ${PRINT_WIDTH_PX} px page`).toEqual([]);
  expect(layout.scrollWidth).toBeLessThanOrEqual(PRINT_WIDTH_PX);
  await p.screenshot({ path: join(ARTIFACTS, `${name}-print.png`), fullPage: true });
  await p.close();
}

describe('run report in Chromium', () => {
  it('draws the charts and fills the tables, with no errors and no requests', async () => {
    const j = judgedPhase('baseline', 1);
    const o = await open('run-report', renderRunReport({ analysis: j.analysis, verdict: j.verdict, now: NOW }));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    const p = o.page;
    // Load, P95 per endpoint group (auth, user, monitoring, probes), timeouts, errors.
    expect(await p.getAttribute('html', 'data-charts')).toBe('7');
    for (const id of ['chart-load', 'chart-p95-0', 'chart-p95-3', 'chart-timeouts', 'chart-errors']) {
      const size = (await p.evaluate(
        `(() => { const c = document.querySelector('#${id} canvas'); return [c.width, c.height]; })()`,
      )) as number[];
      expect(size[0], id).toBeGreaterThan(300);
      expect(size[1], id).toBeGreaterThan(100);
    }
    // The P95 chart is not blank: some pixels are painted in an endpoint colour.
    const painted = (await p.evaluate(`(() => {
      const cv = document.querySelector('#chart-p95-0 canvas');
      const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] > 200 && d[i + 1] > 200 && d[i + 2] > 200)) n++;
      return n;
    })()`)) as number;
    expect(painted).toBeGreaterThan(1000);
    expect(await p.locator('#endpoints-table tbody tr').count()).toBe(11);
    expect(await p.locator('#targets-table tbody tr').count()).toBeGreaterThan(10);
    expect(await p.locator('#timeouts-table tbody tr').count()).toBe(j.analysis.timeouts.findings.length);
    expect(await p.locator('.hist svg rect').count()).toBeGreaterThan(50);
    expect(await p.locator('[data-verdict]').textContent()).toBe('FAIL');

    // Sorting: P95 column, descending then ascending.
    const p95 = () => p.$$eval('#endpoints-table tbody tr td:nth-child(6)', (tds) => tds.map((td) => Number(td.getAttribute('data-v'))));
    await p.click('#endpoints-table th:nth-child(6)');
    const desc = await p95();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await p.click('#endpoints-table th:nth-child(6)');
    const asc = await p95();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await p.close();
  }, 60_000);

  it('prints on A4 landscape: every section, table and chart on paper, nothing hidden or cut', async () => {
    const j = judgedPhase('baseline', 1);
    const o = await open('run-report-print', renderRunReport({ analysis: j.analysis, verdict: j.verdict, now: NOW }));
    await printAndCheck(o, 'run-report', [
      '[data-verdict]',
      '#verdict',
      '#validity',
      '#timeout-summary',
      '#readiness-summary',
      '#chart-load canvas',
      '#readiness-categories',
      '#readiness-table',
      '#targets-table',
      '#stage-targets summary',
      '#endpoints-table',
      '#chart-p95 canvas',
      '#timeouts-table',
      '#chart-timeouts canvas',
      '#chart-errors canvas',
      '#stages-table',
      '#stage-matrix',
      '.hist svg',
    ]);
    expect(o.errors).toEqual([]);
  }, 60_000);

  it('shows markup in names and messages as text, runs nothing, and renders without a verdict', async () => {
    const o = await open('run-report-hostile', renderRunReport({ analysis: hostileRun(), verdict: null, now: NOW }));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    const p = o.page;
    expect(await p.locator('#endpoints-table tbody tr').first().locator('td').first().textContent()).toContain(HOSTILE);
    expect(await p.locator('#input-warnings').textContent()).toContain(HOSTILE);
    expect(await p.locator('#endpoints-table img').count()).toBe(0);
    expect(await p.evaluate('document.querySelectorAll("script").length')).toBe(3);
    expect(await p.locator('[data-verdict]').textContent()).toBe('NOT JUDGED');
    expect(await p.locator('#run-status').textContent()).toContain('ABORTED');
    // Load, P95 for each of its two endpoint groups, and errors; no timeouts in this run, so that chart says so in text.
    expect(await p.getAttribute('html', 'data-charts')).toBe('4');
    expect(await p.locator('#chart-timeouts').textContent()).toBe('No timeouts on any endpoint.');
    await shoot(o, 'run-report-hostile');
  }, 60_000);
});

describe('the generator section in Chromium', () => {
  it("shows k6's CPU and memory per stage, a saturated stage marked, on screen and on paper", async () => {
    const j = judgedPhase('phase2', 1);
    const t0 = Date.parse(j.analysis.run.startedAt ?? '');
    const hot = j.analysis.stages[1]?.name;
    // Synthetic samples every 500 ms through each stage: 30 % of the cores, 95 % in the second stage.
    const samples = j.analysis.stages.flatMap((s) =>
      Array.from({ length: Math.floor((s.endS - s.startS) * 2) }, (_, i) => ({
        t: t0 + (s.startS + (i + 1) * 0.5) * 1000,
        dt: 500,
        cpu: s.name === hot ? 0.95 : 0.3,
        rss: 143e6,
      })),
    );
    const generator = {
      kind: 'loadgate.generator' as const,
      version: 1 as const,
      cores: 2,
      clockTicks: 100,
      intervalMs: 500,
      processes: [{ pid: 7, name: 'k6', segment: null }],
      samples,
    };
    const verdict = computeVerdict(j.analysis, findSet('phase2') as ThresholdSet, {
      setName: 'phase2',
      now: j.analysis.generatedAt,
      generator,
    });
    const o = await open('run-report-generator', renderRunReport({ analysis: j.analysis, verdict, now: NOW }));
    expect(o.errors).toEqual([]);
    const p = o.page;
    expect(await p.getAttribute('#sec-generator', 'data-generator')).toBe('saturated');
    expect(await p.locator('[data-generator-label]').textContent()).toBe('SATURATED');
    expect(await p.locator('#generator-headline').textContent()).toBe('k6 CPU peak 95 % of 2 cores, RSS peak 143 MB');
    expect(await p.locator('#generator-table tbody tr').count()).toBe(j.analysis.stages.length);
    expect(await p.locator(`#generator-table tr[data-stage="${hot}"] td:last-child`).textContent()).toBe('saturated');
    expect(await p.locator('#validity').textContent()).toContain(`the load generator was saturated in stage ${hot}`);
    expect(await p.locator('[data-verdict]').textContent()).not.toBe('PASS');
    await printAndCheck(o, 'run-report-generator', ['#sec-generator', '#generator-table']);
  }, 60_000);

  it('says so when a run has no generator samples', async () => {
    const j = judgedPhase('baseline', 1);
    const o = await open('run-report-no-generator', renderRunReport({ analysis: j.analysis, verdict: j.verdict, now: NOW }));
    expect(await o.page.getAttribute('#sec-generator', 'data-generator')).toBe('none');
    expect(await o.page.locator('#no-generator').textContent()).toMatch(/^No generator samples/);
    await o.page.close();
  }, 60_000);
});

describe('comparison in Chromium', () => {
  it('renders four phases side by side with no errors and no requests', async () => {
    const runs = PHASES.map((ph, i) => judgedPhase(ph, i + 1));
    const o = await open('comparison', renderComparison({ runs, now: NOW }));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    const p = o.page;
    // Rows that changed; the unchanged ones are collapsed below.
    expect(await p.locator('#table-p95 tbody tr').count()).toBe(7);
    expect(await p.locator('#table-p95-unchanged tbody tr').count()).toBe(4);
    expect(await p.locator('#table-p95 [data-change="improved"]').count()).toBeGreaterThan(7);
    expect(await p.locator('#phases-table tbody tr').count()).toBe(4);
    expect(await p.locator('#readiness-phases tbody tr').count()).toBeGreaterThan(6);
    expect(await p.locator('#targets-table tbody tr').count()).toBeGreaterThan(20);
    expect(await p.locator('.cmp-bars svg rect').count()).toBeGreaterThan(40);
    expect(await p.locator('#sec-method').textContent()).toContain('bootstrap');
    await printAndCheck(o, 'comparison', [
      '#phases-table',
      '#readiness-phases',
      '#sec-runs .run',
      '#summary-table',
      '.cmp-bars svg',
      '#table-p95',
      '#table-error_rate',
      '#table-timeout_rate',
      '#table-rps',
      '#targets-block summary',
      '#sec-method',
    ]);
    expect(o.errors).toEqual([]);
  }, 60_000);

  it('shows markup in labels, endpoint names and run ids as text, and runs none of it', async () => {
    const h = hostileRun();
    const attr = `"'><img src=x onerror=alert(3)>`;
    const o = await open(
      'comparison-hostile',
      renderComparison({
        runs: [
          { label: HOSTILE, analysis: h, verdict: null },
          { label: attr, analysis: h, verdict: verdictFor(h, 'phase1') },
        ],
        now: NOW,
      }),
    );
    // No console error, no page error, no alert/confirm dialog, no request (an <img src=x> would make one).
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    const p = o.page;
    // Only the report's own three scripts (data, uPlot, report.js), and no element the data could have made.
    expect(await p.evaluate('document.querySelectorAll("script").length')).toBe(3);
    expect(await p.locator('main img, main iframe, main object, main [onerror], main [onload]').count()).toBe(0);
    expect(await p.locator('#sec-runs .mono b').count()).toBe(0);
    // The markup is there as text, and visible.
    const h1 = (await p.locator('h1').textContent()) ?? '';
    expect(h1).toContain(HOSTILE);
    expect(h1).toContain(attr);
    // The same run twice: nothing changed, every row is in the collapsed table; open it.
    await p.click('#table-p95-unchanged-block summary');
    const endpointCell = p.locator('#table-p95-unchanged tbody td.ep', { hasText: HOSTILE });
    expect(await endpointCell.count()).toBe(1);
    expect(await endpointCell.isVisible()).toBe(true);
    expect(await endpointCell.textContent()).toBe(HOSTILE);
    expect(await p.locator('#table-p95-unchanged thead th', { hasText: attr }).count()).toBe(1);
    expect(await p.locator('#sec-runs .mono').first().textContent()).toBe('hostile-</script><b>run');
    expect(await p.locator('#targets-table tbody td.ep', { hasText: HOSTILE }).count()).toBeGreaterThan(0);
    expect(await p.locator('#comparison-warnings').textContent()).toContain(`${HOSTILE}: the run was aborted`);
    // In the bar chart: the name as SVG text, name and label in each bar's <title> tooltip.
    expect(await p.locator('.cmp-bars svg text', { hasText: HOSTILE }).count()).toBeGreaterThan(0);
    const titles = (await p.$$eval('.cmp-bars svg title', (ts) => ts.map((t) => t.textContent ?? ''))) as string[];
    expect(titles.filter((t) => t.startsWith(`${HOSTILE} · ${attr}: `)).length).toBeGreaterThan(0);
    expect(o.errors).toEqual([]);
    await shoot(o, 'comparison-hostile');
  }, 60_000);
});

/** Every table against its card: opened details included, at the page's own width. */
const TABLE_FIT = `(() => {
  document.querySelectorAll('details').forEach((d) => (d.open = true));
  const out = [];
  for (const t of document.querySelectorAll('main table')) {
    if (!t.checkVisibility()) continue;
    const card = t.closest('section, .box, .run, .hist');
    if (!card) continue;
    const cs = getComputedStyle(card);
    const inner = card.getBoundingClientRect().right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth);
    const r = t.getBoundingClientRect();
    const wrap = t.closest('.tablewrap');
    const scrolls = wrap ? wrap.scrollWidth > wrap.clientWidth + 1 : false;
    if (r.right > inner + 1 || scrolls) out.push((t.id || t.className || 'table') + ': right ' + Math.round(r.right) + ' > card ' + Math.round(inner) + (scrolls ? ' (scrolls)' : ''));
  }
  return out;
})()`;

/**
 * Endpoint names in the tables, and where their lines break: the character before each break
 * (a change of line between two characters of the name's own text) must be a dot.
 */
const NAME_BREAKS = `(() => {
  let names = 0, wrapped = 0;
  const bad = [];
  for (const td of document.querySelectorAll('main td.ep')) {
    if (!td.checkVisibility()) continue;
    const chars = [];
    for (const n of td.childNodes) if (n.nodeType === 3) for (let i = 0; i < n.textContent.length; i++) chars.push([n, i]);
    if (chars.length < 2) continue;
    names++;
    let prevTop = null, text = '', broke = false;
    for (const [n, i] of chars) {
      const r = document.createRange();
      r.setStart(n, i);
      r.setEnd(n, i + 1);
      const top = Math.round(r.getBoundingClientRect().top);
      const ch = n.textContent[i];
      if (prevTop !== null && top > prevTop + 2) {
        broke = true;
        if (!text.endsWith('.')) bad.push(text + '|' + ch);
      }
      prevTop = top;
      text += ch;
    }
    if (broke) wrapped++;
  }
  return { names, wrapped, bad };
})()`;

/** Where the VU line has a hole: an interval without a value between two with one. */
const VU_GAPS = `(() => {
  const vus = JSON.parse(document.getElementById('report-data').textContent).chart.vus;
  const first = vus.findIndex((v) => v !== null);
  let last = -1;
  for (let i = vus.length - 1; i >= 0; i--) if (vus[i] !== null) { last = i; break; }
  const gaps = [];
  for (let i = first; i >= 0 && i <= last; i++) if (vus[i] === null) gaps.push(i);
  return { gaps, points: last - first + 1 };
})()`;

describe('at 1280 and 1440 px', () => {
  for (const width of [1280, 1440]) {
    it(`the run report: no table wider than its card, no gap in the VU line, the readiness section (${width} px)`, async () => {
      const j = judgedPhase('baseline', 1);
      // Holes in the VU samples, as k6's once-a-second gauge leaves in 1 s intervals.
      const analysis = {
        ...j.analysis,
        series: { ...j.analysis.series, vus: j.analysis.series.vus.map((v, i) => (i % 4 === 2 ? null : v)) },
      };
      const o = await open(`run-report-${width}`, renderRunReport({ analysis, verdict: j.verdict, now: NOW }));
      const p = o.page;
      await p.setViewportSize({ width, height: 900 });
      await p.waitForTimeout(300);
      expect(o.errors).toEqual([]);
      expect((await p.evaluate(TABLE_FIT)) as string[]).toEqual([]);
      const vus = (await p.evaluate(VU_GAPS)) as { gaps: number[]; points: number };
      expect(vus.points).toBeGreaterThan(100);
      expect(vus.gaps).toEqual([]);
      expect(await p.locator('#sec-readiness').isVisible()).toBe(true);
      expect(await p.locator('#readiness-table tbody tr').count()).toBe(10);
      expect(await p.locator('#readiness-summary [data-readiness]').textContent()).toMatch(/^\d+ %$/);
      expect(await p.locator('#validity [data-load-label]').textContent()).toBe('SATURATED');
      // Names wrap at their dots, never mid-word: every line break inside a name comes right after a dot.
      const breaks = (await p.evaluate(NAME_BREAKS)) as { names: number; wrapped: number; bad: string[] };
      expect(breaks.names).toBeGreaterThan(40);
      expect(breaks.bad).toEqual([]);
      await p.screenshot({ path: join(ARTIFACTS, `run-report-${width}.png`), fullPage: true });
      await p.close();
    }, 60_000);

    it(`the comparison of four phases: no table wider than its card, the readiness section, a few screens tall (${width} px)`, async () => {
      const runs = PHASES.map((ph, i) => judgedPhase(ph, i + 1));
      const o = await open(`comparison-${width}`, renderComparison({ runs, now: NOW }));
      const p = o.page;
      await p.setViewportSize({ width, height: 900 });
      await p.waitForTimeout(300);
      expect(o.errors).toEqual([]);
      // Height as a reader sees it, before the details are opened.
      const height = (await p.evaluate('document.documentElement.scrollHeight')) as number;
      console.log(`comparison of four phases at ${width} px: ${height} px tall`);
      expect(height).toBeLessThan(6000);
      expect(await p.locator('#readiness-phases').isVisible()).toBe(true);
      await p.screenshot({ path: join(ARTIFACTS, `comparison-${width}.png`), fullPage: true });
      expect((await p.evaluate(TABLE_FIT)) as string[]).toEqual([]);
      await p.close();
    }, 60_000);
  }
});
