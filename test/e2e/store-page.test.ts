/**
 * The store page (issue 16) in Debian Chromium (playwright-core) on a tablet-sized screen:
 * the real gateway on loopback with a till lane (SimTill over a socat pty pair), simulated BLE
 * scanners, in-process card readers and a radio map. Store IT signs in with the token; the
 * page shows the floor plan shaded by occupancy, every device with its state and last
 * activity, the outbox, the radio map and the last events, in Dutch and in English, and
 * passes axe. A scanner unplugged and the till cable pulled show on the page within 2 s.
 * Screenshots for the README go to docs/images/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { validateConfig } from '../../gateway/config/load';
import { createInProcessCardReaders, type InProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { cardToken } from '../../gateway/core/identity/token';
import { uuidBytes } from '../../gateway/core/presence/ibeacon';
import { CARDS, UIDS } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { startSocat, type PtyPair } from '../support/socat';
import { launchChromium, silentLogger } from '../support/browser';

const ADMIN = 'store-it-token-0123456789';
const KEY = new Uint8Array(32).fill(3);
const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const DOCS = resolve(import.meta.dirname, '../../docs/images');
const SHOTS = join(process.cwd(), 'test-results', 'store-page');
mkdirSync(DOCS, { recursive: true });
mkdirSync(SHOTS, { recursive: true });
const ZONES = [
  { id: 'entrance', label: 'Ingang' },
  { id: 'fresh', label: 'Vers' },
  { id: 'coffee', label: 'Koffie & thee' },
  { id: 'household', label: 'Huishouden' },
];
const SCANNERS = ZONES.map((z) => ({ name: `s-${z.id}`, zone: z.id, port: `/dev/ttyACM-${z.id}` }));

let dir: string;
let pair: PtyPair;
let gw: RunningGateway;
let till: SimTill;
let readers: InProcessCardReaders;
let chrome: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;
let page: Page;

/** An iBeacon advert of the program UUID with a token no member owns: counted as anonymous. */
const beacon = (token: number) => {
  const md = new Uint8Array(25);
  md.set([0x4c, 0x00, 0x02, 0x15]);
  md.set(uuidBytes(PROGRAM), 4);
  md.set([(token >>> 24) & 255, (token >>> 16) & 255, (token >>> 8) & 255, token & 255], 20);
  md[24] = 0xc5;
  return md;
};
/** Phones standing in zones: `n` anonymous devices each, loudest at that zone's scanner. */
const crowd = (perZone: Record<string, number>) => {
  let token = 0x1000;
  for (const [zone, n] of Object.entries(perZone)) {
    for (let i = 0; i < n; i++) {
      const md = beacon(token++);
      for (const s of SCANNERS) gw.presence.simulated!.push({ scanner: s.name, rssi: s.zone === zone ? -52 : -88, manufacturerData: md });
    }
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-store-page-'));
  pair = await startSocat();
  const mapFile = join(dir, 'radio-map.json');
  writeFileSync(
    mapFile,
    JSON.stringify({
      version: 1,
      scanners: SCANNERS.map((s) => s.name),
      createdAt: new Date(Date.now() - 12 * 86_400_000).toISOString(),
      points: ZONES.map((z) => ({ zone: z.id, levels: SCANNERS.map((s) => (s.zone === z.id ? -52 : -88)) })),
    }),
  );
  const config = validateConfig({
    store: { id: 'utrecht-centrum', gateway: 'gw-1' },
    database: { path: join(dir, 'g.db') },
    http: { host: '127.0.0.1', port: 0, adminToken: ADMIN },
    lanes: [{ id: '1', transport: 'serial', path: pair.a }],
    till: { reconnectMinMs: 50, reconnectMaxMs: 300 },
    loyalty: { minimumSpendCents: 0 },
    members: [{ number: 'M-1001', name: 'Sanne de Vries', cards: [cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart)] }],
    cards: {
      readers: [
        { match: 'lane reader', place: 'lane:1' },
        { match: 'kiosk reader', place: 'kiosk:entrance' },
      ],
      debounceMs: 0,
    },
    presence: { driver: 'simulated', zones: ZONES, scanners: SCANNERS, radioMap: { file: mapFile } },
    floorPlan: {
      width: 24,
      depth: 16,
      zones: {
        entrance: { x0: 0, y0: 9, x1: 8, y1: 14 },
        fresh: { x0: 0, y0: 0, x1: 12, y1: 9 },
        coffee: { x0: 12, y0: 0, x1: 24, y1: 7 },
        household: { x0: 12, y0: 7, x1: 24, y1: 14 },
      },
      devices: { 'lane:1': { x: 10, y: 15 }, 'kiosk:entrance': { x: 3, y: 15 } },
    },
  });
  readers = createInProcessCardReaders({ config: config.cards, cardKey: KEY, log: silentLogger, readers: ['lane reader', 'kiosk reader'] });
  gw = await startGateway(config, { logger: silentLogger, cardReaders: readers, printPairing: () => undefined });
  till = new SimTill({ transport: { kind: 'serial', path: pair.b }, journal: join(dir, 'till.jsonl'), lane: '1', seed: 4 });
  await till.open();
  for (const s of SCANNERS) gw.presence.simulated!.setState(s.name, 'up');
  chrome = await launchChromium();
  browser = chrome.browser;
  // A 10" tablet in landscape, touch.
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true, deviceScaleFactor: 1, locale: 'nl-NL' });
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await chrome?.close();
  await till?.close().catch(() => undefined);
  await gw?.stop();
  await pair?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const a11y = async (name: string) => {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
};
const device = (id: string) => page.locator(`[data-testid="device-${id}"]`);

describe('store page in Chromium', () => {
  it('asks for the store-IT token; a wrong one is refused on the page, the API refuses without one', async () => {
    expect((await fetch(`${gw.url()}/api/store/live`)).status).toBe(401);
    expect((await fetch(`${gw.url()}/api/store/view`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    await page.goto(`${gw.url()}/store/?lang=nl`);
    await page.getByLabel('Winkel-IT-token').fill('wrong-token-0123456789');
    await page.getByRole('button', { name: 'Openen' }).click();
    await page.getByRole('alert').getByText('Dit token wordt niet geaccepteerd.').waitFor({ timeout: 5000 });
    await a11y('login');
    await page.getByLabel('Winkel-IT-token').fill(ADMIN);
    await page.getByRole('button', { name: 'Openen' }).click();
    await page.getByRole('heading', { name: 'Plattegrond' }).waitFor({ timeout: 5000 });
    await expect.poll(() => device('lane:1').getAttribute('data-state')).toBe('up');
  });

  it('shows sales, taps, occupancy, outbox and radio map as they happen, in Dutch and English, accessibly', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await till.sale({
        receipt: `R-${i}`,
        member: i === 2 ? null : 'M-1001',
        lines: [{ sku: '8711000530085', category: 'coffee', qty: 1, amountCents: 1299 }],
        tenders: [{ kind: 'card', amountCents: 1299 }],
      });
      expect(r.ok).toBe(true);
    }
    const ov = CARDS['ov-chipkaart']();
    await readers.present('lane reader', { atr: ov.atr, transmit: inProcessTransmit(ov) });
    const random = CARDS['random-uid']();
    await readers.present('kiosk reader', { atr: random.atr, transmit: inProcessTransmit(random) });
    const feed = setInterval(() => crowd({ fresh: 5, coffee: 3, entrance: 1 }), 300);
    try {
      await expect.poll(() => page.locator('[data-testid="zone-fresh"]').getAttribute('data-occupancy'), { timeout: 10_000 }).toBe('5');
      await expect.poll(() => page.locator('[data-testid="zone-coffee"]').getAttribute('data-occupancy')).toBe('3');
      const events = page.locator('#events');
      await expect.poll(() => events.innerText(), { timeout: 5000 }).toMatch(/verkopen? op kassa 1/);
      expect(await events.innerText()).toContain('Pas op lane:1: herkend');
      expect(await events.innerText()).toContain('Pas op kiosk:entrance: willekeurig id');
      expect(await device('reader:lane:1').innerText()).toMatch(/geleden/);
      expect(await page.getByTestId('outbox-unsent').innerText()).not.toBe('0');
      expect(await page.getByTestId('radio-age').innerText()).toBe('12 d');
      const all = await page.locator('main').innerText();
      // Counts only: no member number or name anywhere on the page.
      expect(all).not.toContain('M-1001');
      expect(all).not.toContain('Sanne');
      await a11y('live nl');
      await page.screenshot({ path: join(DOCS, 'store-page-nl.png') });

      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Floor plan' }).waitFor();
      await expect.poll(() => events.innerText()).toMatch(/sales? on lane 1/);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await a11y('live en');
      await page.screenshot({ path: join(DOCS, 'store-page-en.png') });
    } finally {
      clearInterval(feed);
    }
  });

  it('a scanner unplugged and the till cable pulled show within 2 s', async () => {
    await expect.poll(() => device('scanner:s-coffee').getAttribute('data-state')).toBe('up');
    let t0 = Date.now();
    gw.presence.simulated!.setState('s-coffee', 'down', 'controller unplugged');
    await page.locator('[data-testid="device-scanner:s-coffee"][data-state="down"]').waitFor({ timeout: 2000 });
    const scannerMs = Date.now() - t0;
    expect(await page.locator('[data-testid="spot-scanner:s-coffee"]').getAttribute('data-state')).toBe('down');

    t0 = Date.now();
    await pair.close('SIGKILL');
    await page.locator('[data-testid="device-lane:1"]:not([data-state="up"])').waitFor({ timeout: 2000 });
    const laneMs = Date.now() - t0;
    expect(await page.locator('#events').innerText()).toContain('BLE scanner s-coffee: down');
    await page.screenshot({ path: join(SHOTS, 'devices-down-en.png') });
    console.log(`store page: scanner down shown after ${scannerMs} ms, lane down after ${laneMs} ms`);
    expect(scannerMs).toBeLessThan(2000);
    expect(laneMs).toBeLessThan(2000);
  });
});
