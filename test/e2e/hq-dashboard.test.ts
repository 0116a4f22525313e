/**
 * The HQ insights dashboard in a real browser (issue 17): Debian Chromium via playwright-core,
 * the HQ API (with a bearer token) over a SQLite store filled by the seeded chain
 * simulation. Every view is opened, its charts drawn and its tables shown, checked with axe,
 * and screenshotted into docs/images/ (the README's pictures). The CSV exports and chart
 * JSON endpoints are fetched as a client would, and refused without the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { launchChromium } from '../support/browser';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import { buildHqApi } from '../../sync/hq/api';
import type { HqStore } from '../../sync/hq/store';
import { ingestSimulation } from '../../sync/testing/insights-sim';
import { VIEW_IDS } from '../../sync/hq/rollups/insights';

const SHOTS = join(process.cwd(), 'docs', 'images');
mkdirSync(SHOTS, { recursive: true });
const TOKEN = 'hq-token-0123456789abcdef';
const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 30, 12);

describe('HQ insights dashboard in Chromium', () => {
  let dir: string;
  let store: HqStore;
  let api: FastifyInstance;
  let base: string;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trouw-hq-dash-'));
    store = openSqliteHqStore(join(dir, 'hq.db'));
    await store.migrate();
    const days = 150;
    await ingestSimulation(store, {
      seed: 5,
      stores: 3,
      members: 900,
      days,
      startMs: NOW - days * DAY - (NOW % DAY),
      joinSpread: 0.8,
      expiryDays: 60,
      storeIds: ['amsterdam-centrum', 'utrecht-oudegracht', 'haarlem-station'],
      campaign: { id: 'koffie-voorjaar', fromDay: 90, toDay: 140, holdout: 0.2, triggerPurchaseProb: 0.5, effect: 0.12 },
    });
    for (const s of ['amsterdam-centrum', 'utrecht-oudegracht', 'haarlem-station']) await store.recordStatus(s, 'gw-1', 'online', NOW);
    api = await buildHqApi({ store, token: TOKEN, clock: { now: () => NOW, monotonic: () => performance.now() } });
    base = await api.listen({ host: '127.0.0.1', port: 0 });
    chrome = await launchChromium();
    browser = chrome.browser;
  }, 180_000);
  afterAll(async () => {
    await chrome?.close();
    await api?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const a11y = async (page: Page, name: string) => {
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  };

  it('asks for the token, then shows every view with charts and tables, accessibly', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('pageerror', (e) => failed.push(String(e)));
    await page.goto(`${base}/dashboard/`);
    await page.getByLabel('API token').waitFor();
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    for (const view of VIEW_IDS) {
      await page.goto(`${base}/dashboard/#${view}`);
      await page.locator(`main[data-ready="${view}"]`).waitFor({ timeout: 15_000 });
      const canvases = await page.locator('main canvas').count();
      const heat = await page.locator('main table.heat').count();
      expect(canvases + heat).toBeGreaterThan(0);
      // Every chart has drawn something and every table has rows.
      const rows = await page.locator('main table[data-table] tbody tr').count();
      expect(rows).toBeGreaterThan(0);
      await a11y(page, view);
      await page.screenshot({ path: join(SHOTS, `hq-${view}.png`), fullPage: true });
    }
    // The chart library came from this server, not a CDN.
    expect(failed).toEqual([]);
    await context.close();
  }, 120_000);

  it('the offers view shows uplift against the control group with its interval', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/`);
    await page.evaluate(
      (t) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('trouw-hq-token', t),
      TOKEN,
    );
    await page.goto(`${base}/dashboard/#offers`);
    await page.locator('main[data-ready="offers"]').waitFor({ timeout: 15_000 });
    const text = await page.locator('table[data-table="uplift"]').innerText();
    expect(text).toContain('koffie-voorjaar');
    expect(text).toContain('CI low');
    await context.close();
  });

  it('every table exports as CSV and every chart has a JSON endpoint; both need the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const view of VIEW_IDS) {
      const v = (await (await fetch(`${base}/v1/insights/${view}`, { headers: auth })).json()) as {
        charts: { id: string }[];
        tables: { id: string; columns: string[] }[];
      };
      for (const t of v.tables) {
        const res = await fetch(`${base}/v1/insights/${view}/tables/${t.id}.csv`, { headers: auth });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/csv');
        expect((await res.text()).split('\r\n')[0]).toBe(t.columns.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','));
      }
      for (const c of v.charts) {
        const res = await fetch(`${base}/v1/insights/${view}/charts/${c.id}?store=amsterdam-centrum`, { headers: auth });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { id: string }).id).toBe(c.id);
      }
    }
    expect((await fetch(`${base}/v1/insights/liability/tables/outstanding.csv`)).status).toBe(401);
    expect((await fetch(`${base}/v1/insights/liability/charts/flows`)).status).toBe(401);
    expect((await fetch(`${base}/dashboard/../v1/insights/liability`)).status).toBe(401);
    expect((await fetch(`${base}/dashboard/vendor/chart.umd.min.js`)).status).toBe(200);
    expect((await fetch(`${base}/v1/insights/nope`, { headers: auth })).status).toBe(400);
  });
});
