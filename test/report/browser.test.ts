/**
 * The reports in a real browser: Debian's Chromium, driven by playwright-core, opening each
 * report from file://. No console errors, no network requests, charts drawn, tables filled,
 * markup in data shown as text. Screenshots go to test-artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderComparison, renderRunReport } from '../../lib/report/render.ts';
import { HOSTILE, NOW, PHASES, hostileRun, judgedPhase } from '../fixtures/report/runs.ts';

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

describe('run report in Chromium', () => {
  it('draws the charts and fills the tables, with no errors and no requests', async () => {
    const j = judgedPhase('baseline', 1);
    const o = await open('run-report', renderRunReport({ analysis: j.analysis, verdict: j.verdict, now: NOW }));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    const p = o.page;
    expect(await p.getAttribute('html', 'data-charts')).toBe('4');
    for (const id of ['chart-load', 'chart-p95', 'chart-timeouts', 'chart-errors']) {
      const size = (await p.evaluate(
        `(() => { const c = document.querySelector('#${id} canvas'); return [c.width, c.height]; })()`,
      )) as number[];
      expect(size[0], id).toBeGreaterThan(300);
      expect(size[1], id).toBeGreaterThan(100);
    }
    // The P95 chart is not blank: some pixels are painted in an endpoint colour.
    const painted = (await p.evaluate(`(() => {
      const cv = document.querySelector('#chart-p95 canvas');
      const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] > 200 && d[i + 1] > 200 && d[i + 2] > 200)) n++;
      return n;
    })()`)) as number;
    expect(painted).toBeGreaterThan(2000);
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
    await shoot(o, 'run-report');
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
    // Load, P95 and errors; no timeouts in this run, so that chart says so in text.
    expect(await p.getAttribute('html', 'data-charts')).toBe('3');
    expect(await p.locator('#chart-timeouts').textContent()).toBe('No timeouts on any endpoint.');
    await shoot(o, 'run-report-hostile');
  }, 60_000);
});

describe('comparison in Chromium', () => {
  it('renders four phases side by side with no errors and no requests', async () => {
    const runs = PHASES.map((ph, i) => judgedPhase(ph, i + 1));
    const o = await open('comparison', renderComparison({ runs, now: NOW }));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    const p = o.page;
    expect(await p.locator('#table-p95 tbody tr').count()).toBe(11);
    expect(await p.locator('#table-p95 [data-change="improved"]').count()).toBeGreaterThan(7);
    expect(await p.locator('#targets-table tbody tr').count()).toBeGreaterThan(20);
    expect(await p.locator('.cmp-bars svg rect').count()).toBeGreaterThan(40);
    expect(await p.locator('#sec-method').textContent()).toContain('bootstrap');
    await shoot(o, 'comparison');
  }, 60_000);
});
