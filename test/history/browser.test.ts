/**
 * The trend report in a real browser: Debian's Chromium through playwright-core, opened from
 * file://. No console errors, no network requests, every chart drawn, the change in its table,
 * markup in data shown as text. Screenshots go to test-artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { summarizeRun } from '../../lib/history/summarize.ts';
import { buildTrends } from '../../lib/history/trends.ts';
import { renderTrends } from '../../lib/history/render.ts';
import type { HistoryEntry } from '../../lib/contract/history.ts';
import { verdictFor } from '../fixtures/report/make-verdict.ts';
import { NIGHTS, STEP_ENDPOINT, nightAnalysis, nightCommit } from './generate.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const HOSTILE = '<script>alert(1)</script>';

let browser: Browser;
let entries: HistoryEntry[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (the browser tests need it)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  entries = [];
  for (let n = 1; n <= NIGHTS; n++) {
    const analysis = nightAnalysis(n);
    // Markup in an endpoint name must reach the page as text.
    const last = analysis.endpoints[analysis.endpoints.length - 1]!;
    last.name = HOSTILE;
    entries.push(
      summarizeRun({
        analysis,
        verdict: verdictFor(analysis, 'phase3'),
        source: { kind: 'loadgate.source', version: 1, commit: nightCommit(n), branch: 'main', from: 'env' },
        runDir: analysis.run.runId,
      }),
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('the trend report in Chromium', () => {
  it('opens from file:// with no console errors and no network requests, and draws every chart', async () => {
    const model = buildTrends(entries);
    const html = renderTrends({ model, now: new Date('2026-03-01T00:00:00Z'), filters: 'branch main' });
    const file = join(ARTIFACTS, 'trends.html');
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
    await page.waitForFunction(`document.documentElement.hasAttribute('data-charts')`);
    // Browser-side code is passed as strings: this tsconfig has Node's types, not the DOM's.
    const charts = Number(await page.evaluate(`document.documentElement.getAttribute('data-charts')`));
    const canvases = Number(await page.evaluate(`document.querySelectorAll('.chart canvas').length`));
    // The run's goodput, then four metrics for each of the six endpoints.
    expect(charts).toBe(1 + 6 * 4);
    expect(canvases).toBe(charts);
    const rows = (await page.evaluate(
      `[...document.querySelectorAll('#changes-table tbody tr')].map(r => r.dataset.endpoint + ' ' + r.dataset.metric + ' ' + r.dataset.index)`,
    )) as string[];
    expect(rows).toEqual([`${STEP_ENDPOINT} p95 39`]);
    const hostile = (await page.evaluate(`[...document.querySelectorAll('section.ep h2')].map(h => h.textContent)`)) as string[];
    expect(hostile).toContain(HOSTILE);
    expect(await page.evaluate(`document.querySelectorAll('main script').length`)).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'trends.png'), fullPage: false });
    await page.close();
    expect(errors).toEqual([]);
    expect(requests.filter((r) => r !== url)).toEqual([]);
  });
});
