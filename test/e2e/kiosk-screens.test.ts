/**
 * The member kiosk in a real browser (issue 7): Debian Chromium via playwright-core, a gateway
 * on loopback with in-process card readers (the real tap pipeline), the kiosk plugin. Virtual
 * cards are tapped on the kiosk's reader and the screen is watched. Screenshots go to
 * test-results/kiosk/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { kioskQuery, launchChromium, startKioskGateway, type KioskGateway } from '../support/browser';

const SHOTS = join(process.cwd(), 'test-results', 'kiosk');
mkdirSync(SHOTS, { recursive: true });

describe('member kiosk in Chromium', () => {
  let kg: KioskGateway;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;

  beforeAll(async () => {
    kg = await startKioskGateway({ screenIdleMs: 45_000 });
    chrome = await launchChromium();
    browser = chrome.browser;
  });
  afterAll(async () => {
    await chrome?.close();
    await kg?.stop();
  });

  const open = async (query = kioskQuery('k1')): Promise<Page> => {
    // A context per page: nothing (storage, cache) is shared between screens.
    const context = await browser.newContext({ viewport: { width: 1280, height: 1024 } });
    const page = await context.newPage();
    // The browser may already be closing (afterAll): a failed context close is not an error.
    page.on('close', () => void context.close().catch(() => undefined));
    await page.goto(`${kg.url()}/kiosk/?${query}`);
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 5000 });
    return page;
  };
  const a11y = async (page: Page, name: string) => {
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('shows the member of a tap within a blink, in Dutch and in English, accessibly', async () => {
    const page = await open();
    await a11y(page, 'attract');
    await shot(page, 'attract-nl');
    const t0 = Date.now();
    await kg.tap('kiosk reader', 'ov-chipkaart');
    await page.getByRole('heading', { name: 'Hallo Sanne!' }).waitFor({ timeout: 2000 });
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(1000);
    await expect.poll(() => page.getByTestId('balance').textContent()).toContain('282');
    const text = await page.locator('main').innerText();
    expect(text).toContain('120 punten vervallen op');
    expect(text).toMatch(/Gespaard[\s\S]*\+162/);
    expect(text).toContain('Besteed');
    expect(text).toContain('Vervallen');
    expect(text).toContain('OV-chipkaart ·3f9a');
    expect(text).not.toContain('M-1');
    expect(text).toContain('Beloningen komen binnenkort');
    await a11y(page, 'member-nl');
    await shot(page, 'member-nl');

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Hello Sanne!' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('main').innerText()).toContain('120 points expire on');
    await a11y(page, 'member-en');
    await shot(page, 'member-en');
    await page.getByRole('button', { name: 'Nederlands' }).click();
    await page.getByRole('heading', { name: 'Hallo Sanne!' }).waitFor();
    await page.close();
  });

  it('returns to the attract screen after the idle timeout and leaves nothing of the member', async () => {
    const page = await open(`${kioskQuery('k1')}&idle=1500`);
    await kg.tap('kiosk reader', 'ov-chipkaart');
    await page.getByRole('heading', { name: 'Hallo Sanne!' }).waitFor({ timeout: 2000 });
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 5000 });
    const html = await page.content();
    for (const s of ['Sanne', '282', 'OV-chipkaart ·3f9a', 'Gespaard']) expect(html).not.toContain(s);
    await page.close();
  });

  it('lets an unknown card join in a few steps, consents off by default, and links the card', async () => {
    const page = await open();
    await kg.tap('kiosk reader', 'bank-card');
    await page.getByRole('heading', { name: 'Deze pas kennen we nog niet' }).waitFor({ timeout: 2000 });
    await a11y(page, 'join-intro');
    await page.getByRole('button', { name: 'Lid worden' }).click();
    await page.getByRole('heading', { name: 'Lid worden' }).waitFor();
    expect(await page.getByLabel('Stuur mij aanbiedingen per e-mail').isChecked()).toBe(false);
    expect(await page.getByLabel(/Herken mijn telefoon/).isChecked()).toBe(false);
    await a11y(page, 'join-form');
    await shot(page, 'join-nl');
    await page.getByLabel('Je naam').fill('Daan Jansen');
    await page.getByLabel(/Herken mijn telefoon/).check();
    await page.getByRole('button', { name: 'Lid worden en pas koppelen' }).click();
    await page.getByRole('heading', { name: 'Hallo Daan!' }).waitFor({ timeout: 2000 });
    expect(await page.locator('main').innerText()).toMatch(/Bankpas/);
    const ev = kg.gw.db.prepare("SELECT data FROM outbox WHERE type = 'trouw.member.created.v1' ORDER BY seq DESC LIMIT 1").get() as { data: string };
    expect(JSON.parse(ev.data)).toMatchObject({ name: 'Daan Jansen', consent: { presence: true, offers: false }, channel: 'kiosk' });
    // The card now identifies Daan.
    await kg.tap('kiosk reader', 'bank-card');
    await page.getByRole('heading', { name: 'Hallo Daan!' }).waitFor({ timeout: 2000 });
    await page.close();
  });

  it('explains a random-id card, and shows staff only the staff view', async () => {
    const page = await open();
    await kg.tap('kiosk reader', 'random-uid');
    await page.getByRole('heading', { name: 'Deze pas werkt hier niet' }).waitFor({ timeout: 2000 });
    await a11y(page, 'random-id');
    await shot(page, 'random-id-nl');
    await page.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor();

    await kg.tap('kiosk reader', 'classic-1k');
    await page.getByRole('heading', { name: /Personeel/ }).waitFor({ timeout: 2000 });
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('Paslezers');
    expect(text).toContain('kiosk reader');
    expect(text).not.toContain('Sanne');
    await a11y(page, 'staff');
    await shot(page, 'staff-nl');
    await page.close();
  });

  it('links another card by tapping it, and unlinks it', async () => {
    const page = await open();
    await kg.tap('kiosk reader', 'ov-chipkaart');
    await page.getByRole('heading', { name: 'Hallo Sanne!' }).waitFor({ timeout: 2000 });
    await page.getByRole('button', { name: 'Nog een pas koppelen' }).click();
    await page.getByText('Houd nu je andere pas tegen de lezer.').first().waitFor();
    await kg.tap('kiosk reader', 'desfire');
    await page.getByText('De pas is gekoppeld.').first().waitFor({ timeout: 2000 });
    await page.getByRole('button', { name: /Ontkoppel Pas \(DESFire\)/ }).click();
    await page.getByText('De pas is ontkoppeld.').first().waitFor({ timeout: 2000 });
    expect(await page.locator('main').innerText()).not.toContain('DESFire');
    await page.close();
  });

  it('shows another kiosk nothing of the member, and its session token is refused elsewhere', async () => {
    const page1 = await open(kioskQuery('k1'));
    const page2 = await open(kioskQuery('k2'));
    const tokens: string[] = [];
    page1.on('request', (r) => {
      const a = r.headers().authorization;
      if (a) tokens.push(a);
    });
    await kg.tap('kiosk reader', 'ov-chipkaart');
    await page1.getByRole('heading', { name: 'Hallo Sanne!' }).waitFor({ timeout: 2000 });
    await page2.waitForTimeout(300);
    expect(await page2.content()).not.toContain('Sanne');
    expect(tokens.length).toBeGreaterThan(0);
    const other = await fetch(`${kg.url()}/api/kiosk/k2/me`, { headers: { authorization: tokens[0]! } });
    expect(other.status).toBe(401);
    const none = await fetch(`${kg.url()}/api/kiosk/k1/me`);
    expect(none.status).toBe(401);
    await page1.close();
    await page2.close();
  });

  it('shows an offline screen when the gateway goes away and recovers by itself', async () => {
    const page = await open();
    await kg.tap('kiosk reader', 'ov-chipkaart');
    await page.getByRole('heading', { name: 'Hallo Sanne!' }).waitFor({ timeout: 2000 });
    await kg.unserve();
    await page.getByRole('heading', { name: 'Even geen verbinding' }).waitFor({ timeout: 8000 });
    expect(await page.content()).not.toContain('Sanne');
    await a11y(page, 'offline');
    await shot(page, 'offline-nl');
    await kg.serve();
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 10_000 });
    await page.close();
  });
});
