/**
 * Redeeming a reward at the kiosk (issue 7), end to end: the whole gateway (`startGateway`,
 * so the kiosk routes get the rewards service built from `program.rewards` as in a store),
 * Sanne with 300 points earned by a real `sale` at the till, a tap of her OV-chipkaart on the
 * kiosk's (in-process) reader, Chromium pressing "Inwisselen". The voucher code appears with
 * the balance already lowered; the till's `redeem` accepts that code once and refuses it the
 * second time, from the same lane and from another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { launchChromium } from '../support/browser';
import { MEMBER, startKioskStore, type KioskStore } from '../bench/kiosk-store';

const SHOTS = join(process.cwd(), 'test-results', 'kiosk');
mkdirSync(SHOTS, { recursive: true });

describe('redeeming a reward at the kiosk, and the till taking the voucher once', () => {
  let store: KioskStore;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;

  beforeAll(async () => {
    store = await startKioskStore({
      earnEuros: 300,
      rewards: [
        { id: 'koffie', name: 'Gratis koffie', points: 100, valueCents: 250 },
        { id: 'tas', name: 'Boodschappentas', points: 1000 },
      ],
    });
    chrome = await launchChromium();
    browser = chrome.browser;
  });
  afterAll(async () => {
    await chrome?.close();
    await store?.stop();
  });

  it('shows a voucher code and the new balance at once; the till accepts it once, then refuses it', async () => {
    const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam', viewport: { width: 1280, height: 1024 } });
    const page = await context.newPage();
    await page.goto(store.kioskUrl);
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 5000 });

    await store.tap('ov-chipkaart');
    await page.getByRole('heading', { name: `Hallo ${MEMBER.first}!` }).waitFor({ timeout: 2000 });
    expect(await page.getByTestId('balance').textContent()).toContain('300');
    // Only what she can afford is offered.
    const redeem = page.getByRole('button', { name: 'Inwisselen: Gratis koffie' });
    await redeem.waitFor();
    expect(await page.getByRole('button', { name: 'Inwisselen: Boodschappentas' }).count()).toBe(0);

    await redeem.click();
    const voucher = page.getByTestId('voucher');
    await voucher.waitFor({ timeout: 2000 });
    const code = ((await voucher.textContent()) ?? '').trim();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z*~$=U]$/);
    // The balance on screen is the new one as soon as the code is there (no second tap).
    expect(await page.getByTestId('balance').textContent()).toContain('200');
    const row = store.gw.db.prepare('SELECT balance FROM members WHERE number = ?').get(MEMBER.number) as { balance: number };
    expect(row.balance).toBe(200);
    const a11y = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(a11y.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'redeem-nl.png'), fullPage: true });

    // The till: accepted once…
    const first = await store.till({ type: 'redeem', voucher: code, onReceipt: 'R-0002' });
    expect(first).toMatchObject({
      type: 'redeem.ok',
      ok: true,
      voucher: code,
      reward: { id: 'koffie', name: 'Gratis koffie', valueCents: 250 },
      member: { number: MEMBER.number },
    });
    // …and refused afterwards: on another receipt, and at another lane.
    const again = await store.till({ type: 'redeem', voucher: code, onReceipt: 'R-0003' });
    expect(again).toMatchObject({ type: 'redeem.ok', ok: false, reason: 'already-redeemed' });
    const elsewhere = await store.till({ type: 'redeem', voucher: code.toLowerCase() }, 'lane-2');
    expect(elsewhere).toMatchObject({ ok: false, reason: 'already-redeemed' });
    // Redeeming at the till does not give the points back.
    expect((store.gw.db.prepare('SELECT balance FROM members WHERE number = ?').get(MEMBER.number) as { balance: number }).balance).toBe(200);

    // The next tap shows the lowered balance and no code.
    await page.getByRole('button', { name: 'Klaar' }).click();
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 2000 });
    await store.tap('ov-chipkaart');
    await page.getByRole('heading', { name: `Hallo ${MEMBER.first}!` }).waitFor({ timeout: 2000 });
    expect(await page.getByTestId('balance').textContent()).toContain('200');
    expect(await page.content()).not.toContain(code);
    await context.close();
  });

  it('refuses a voucher code the kiosk never issued', async () => {
    const r = await store.till({ type: 'redeem', voucher: '00000-00000-0' });
    expect(r).toMatchObject({ type: 'redeem.ok', ok: false });
  });
});
