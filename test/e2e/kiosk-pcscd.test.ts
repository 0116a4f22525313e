/**
 * The kiosk with a real card stack (issue 7): virtual cards tapped on vsmartcard's vpcd
 * reader "Virtual PCD 00 00", read by a real pcscd through nfc-pcsc in the real gateway
 * (`startGateway`, readers from `cards.readers`, that reader bound to `kiosk:k1`), and the
 * kiosk page in Debian Chromium showing what was tapped: member view, redeem (the till taking
 * the voucher once), linking a card tapped on that reader, joining, random-id, staff pass.
 * Needs root and the pcscd and
 * vsmartcard-vpcd packages (scripts/test-all.sh installs them); it starts its own pcscd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { CARDS, type CardName } from '../../firmware-sim/cards/catalogue';
import { vpcdReaderName } from '../../firmware-sim/cards/vpcd';
import { launchChromium } from '../support/browser';
import { startPcscd, waitFor, type PcscdHandle } from '../support/pcscd';
import { PCSCD_POLL_MS, presentCard } from '../bench/cards-vpcd';
import { openKiosk } from '../bench/kiosk-screen';
import { MEMBER, startKioskStore, type KioskStore } from '../bench/kiosk-store';

const KIOSK_READER = 0;

/** The card tests in the integration project run their own pcscd: let theirs finish first. */
async function pcscdFree(timeoutMs: number) {
  const pidFile = '/run/pcscd/pcscd.pid';
  await waitFor(
    'another pcscd to exit',
    () => {
      if (!existsSync(pidFile)) return true;
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
        return false;
      } catch {
        return true;
      }
    },
    timeoutMs,
    200,
  );
}

describe('kiosk: virtual cards on a real pcscd reader bound to the kiosk', () => {
  let pcscd: PcscdHandle;
  let store: KioskStore;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let kioskTaps = 0;

  beforeAll(async () => {
    await pcscdFree(90_000);
    pcscd = await startPcscd();
    store = await startKioskStore({
      pcsc: { kioskReader: vpcdReaderName(KIOSK_READER), laneReader: vpcdReaderName(1), socket: pcscd.socket },
      earnEuros: 300,
      rewards: [{ id: 'koffie', name: 'Gratis koffie', points: 100 }],
    });
    const gw = store.gw;
    await waitFor('both card readers up', () => gw.health().devices.filter((d) => d.kind === 'card-reader' && d.state === 'up').length === 2, 30_000);
    gw.cards!.router.onKioskTap(() => void kioskTaps++);
    chrome = await launchChromium();
    page = (await openKiosk(chrome.browser, store.kioskUrl)).page;
  }, 180_000);
  afterAll(async () => {
    await chrome?.close();
    await store?.stop();
    await pcscd?.stop();
  });

  /** Puts `card` on the kiosk's vpcd reader until the gateway has the tap, then takes it off. */
  const tap = async (card: CardName) => {
    const before = kioskTaps;
    await presentCard(CARDS[card](), { reader: KIOSK_READER, seen: () => (kioskTaps > before ? true : undefined), settleMs: PCSCD_POLL_MS });
  };
  const attract = async () => {
    await page.getByRole('button', { name: 'Klaar' }).click();
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 3000 });
  };

  it('shows the member of an OV-chipkaart tapped on the pcscd reader', async () => {
    const t0 = Date.now();
    await tap('ov-chipkaart');
    await page.getByRole('heading', { name: `Hallo ${MEMBER.first}!` }).waitFor({ timeout: 3000 });
    // pcscd polls vpcd every ~0.4 s; the rest is the gateway and the page.
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await page.getByTestId('balance').textContent()).toContain('300');
    expect(await page.locator('main').innerText()).toContain('Gratis koffie');
    await attract();
  });

  it('redeems a reward; the till accepts the voucher once and refuses it the second time', async () => {
    await tap('ov-chipkaart');
    await page.getByRole('heading', { name: `Hallo ${MEMBER.first}!` }).waitFor({ timeout: 3000 });
    await page.getByRole('button', { name: 'Inwisselen: Gratis koffie' }).click();
    await page.getByTestId('voucher').waitFor({ timeout: 2000 });
    const code = ((await page.getByTestId('voucher').textContent()) ?? '').trim();
    expect(await page.getByTestId('balance').textContent()).toContain('200');
    expect(await store.till({ type: 'redeem', voucher: code })).toMatchObject({ ok: true, reward: { id: 'koffie' } });
    expect(await store.till({ type: 'redeem', voucher: code })).toMatchObject({ ok: false, reason: 'already-redeemed' });
    await attract();
  });

  it('links another card tapped on the pcscd reader to the member on screen', async () => {
    await tap('ov-chipkaart');
    await page.getByRole('heading', { name: `Hallo ${MEMBER.first}!` }).waitFor({ timeout: 3000 });
    await page.getByRole('button', { name: 'Nog een pas koppelen' }).click();
    await page.getByText('Houd nu je andere pas tegen de lezer.').first().waitFor();
    await tap('ov-pas');
    await page.getByText('De pas is gekoppeld.').first().waitFor({ timeout: 3000 });
    await attract();
    // The OV-pas now opens Sanne's screen by itself.
    await tap('ov-pas');
    await page.getByRole('heading', { name: `Hallo ${MEMBER.first}!` }).waitFor({ timeout: 3000 });
    await attract();
  });

  it('lets an unknown bank card join, and explains a random-id card', async () => {
    await tap('bank-card');
    await page.getByRole('heading', { name: 'Deze pas kennen we nog niet' }).waitFor({ timeout: 3000 });
    await page.getByRole('button', { name: 'Lid worden' }).click();
    await page.getByLabel('Je naam').fill('Daan Jansen');
    await page.getByRole('button', { name: 'Lid worden en pas koppelen' }).click();
    await page.getByRole('heading', { name: 'Hallo Daan!' }).waitFor({ timeout: 3000 });
    await attract();
    await tap('bank-card');
    await page.getByRole('heading', { name: 'Hallo Daan!' }).waitFor({ timeout: 3000 });
    await attract();
    await tap('random-uid');
    await page.getByRole('heading', { name: 'Deze pas werkt hier niet' }).waitFor({ timeout: 3000 });
    await page.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 3000 });
  });

  it('shows a staff pass the staff view only', async () => {
    await tap('classic-1k');
    await page.getByRole('heading', { name: /Personeel/ }).waitFor({ timeout: 3000 });
    const text = await page.locator('main').innerText();
    expect(text).toContain(vpcdReaderName(KIOSK_READER));
    expect(text).not.toContain(MEMBER.first);
  });

  it('returns to the attract screen after the idle timeout, leaving nothing, and the session is dead', async () => {
    await attract();
    await page.close();
    const idle = (await openKiosk(chrome.browser, `${store.kioskUrl}&idle=1500`)).page;
    const auth: string[] = [];
    idle.on('request', (r) => {
      const a = r.headers().authorization;
      if (a) auth.push(a);
    });
    await tap('ov-chipkaart');
    await idle.getByRole('heading', { name: `Hallo ${MEMBER.first}!` }).waitFor({ timeout: 3000 });
    await idle.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 6000 });
    const html = await idle.content();
    for (const s of [MEMBER.first, 'Gratis koffie', 'Gespaard']) expect(html).not.toContain(s);
    expect(auth.length).toBeGreaterThan(0);
    expect((await fetch(`${store.url}/api/kiosk/k1/me`, { headers: { authorization: auth[0]! } })).status).toBe(401);
    await idle.close();
  });
});
