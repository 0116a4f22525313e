/**
 * Browser tests (issue 7): Debian Chromium driven by playwright-core (DESIGN.md §10), and a
 * gateway on loopback with in-process card readers and the kiosk plugin registered, so a
 * test taps virtual cards and watches the kiosk screen react. `serve()` can be called again
 * after `unserve()` on the same port: the page sees the gateway go away and come back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createInProcessCardReaders, type InProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { createCardsRepo } from '../../gateway/adapters/sqlite/cards-repo';
import { createLedgerRepo } from '../../gateway/adapters/sqlite/ledger-repo';
import { createMembersRepo } from '../../gateway/adapters/sqlite/members-repo';
import { cardToken } from '../../gateway/core/identity/token';
import { validateConfig } from '../../gateway/config/load';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { createMembersService } from '../../gateway/app/members/members';
import { createCardLinks } from '../../gateway/app/members/card-links';
import { buildApi } from '../../gateway/api/build-api';
import { kioskRoutes, type KioskRoutesOptions } from '../../gateway/api/kiosk-routes';
import { CARDS, UIDS } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import type { CardName } from '../../firmware-sim/cards/catalogue';
import { systemClock } from '../../gateway/ports/clock';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium with a fresh user-data dir: playwright's `launch` makes a new temporary profile
 * for every launch and removes it on close (it refuses a `--user-data-dir` flag).
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  return { browser, close: () => browser.close() };
}

const KEY = new Uint8Array(32).fill(9);
export const silentLogger = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
export const STAFF_CARD: CardName = 'classic-1k';
export const MEMBER_CARD: CardName = 'ov-chipkaart';
export const tokenOf = (kind: string, uid: Uint8Array | string) => cardToken(KEY, kind as never, uid as never);

/** The kiosks' screen keys (every kiosk has one; the page needs `&key=`). */
export const SCREEN_KEYS = { k1: 'k1-screen-key-0123456789', k2: 'k2-screen-key-0123456789' } as const;
/** The kiosk page's query for a kiosk: its id and its screen key. */
export const kioskQuery = (kiosk: keyof typeof SCREEN_KEYS) => `kiosk=${kiosk}&key=${SCREEN_KEYS[kiosk]}`;

export interface KioskGateway {
  gw: RunningGateway;
  readers: InProcessCardReaders;
  url: () => string;
  tap(reader: 'kiosk reader' | 'kiosk2 reader' | 'lane reader', card: CardName): Promise<void>;
  /** (Re)starts HTTP on the same port. */
  serve(): Promise<void>;
  /** Stops HTTP only: the page should show its offline screen. */
  unserve(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKioskGateway(opts: { screenIdleMs?: number; extra?: Partial<KioskRoutesOptions> } = {}): Promise<KioskGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-kiosk-'));
  const memberToken = cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart);
  const config = validateConfig({
    database: { path: join(dir, 'g.db') },
    http: { adminToken: 'admin-token-0123456789' },
    kiosk: { screenKeys: SCREEN_KEYS },
    members: [{ number: 'M-1', name: 'Sanne de Vries', cards: [memberToken] }],
    cards: {
      readers: [
        { match: 'lane reader', place: 'lane:lane-1' },
        { match: 'kiosk reader', place: 'kiosk:k1' },
        { match: 'kiosk2 reader', place: 'kiosk:k2' },
      ],
      staff: [{ token: cardToken(KEY, 'mifare-classic-1k', UIDS.classic1k), role: 'supervisor', label: 'Bedrijfsleider' }],
      debounceMs: 0,
    },
  });
  const readers = createInProcessCardReaders({
    config: config.cards,
    cardKey: KEY,
    log: silentLogger,
    readers: ['lane reader', 'kiosk reader', 'kiosk2 reader'],
  });
  const gw = await startGateway(config, { logger: silentLogger, listen: false, cardReaders: readers, printPairing: () => undefined });
  seedHistory(gw, memberToken);

  const members = createMembersService({ db: gw.db, clock: systemClock });
  const deps: KioskRoutesOptions = {
    router: gw.cards?.router,
    members,
    cardLinks: createCardLinks({ db: gw.db, clock: systemClock, members }),
    db: gw.db,
    clock: systemClock,
    config,
    health: gw.health,
    screenIdleMs: opts.screenIdleMs ?? 45_000,
    screenKeys: gw.screenKeys,
    offers: [{ title: { nl: '2 halen, 1 betalen: koffie', en: 'Buy 2, get 1 free: coffee' }, text: { nl: 'Alleen deze week', en: 'This week only' } }],
    ...opts.extra,
  };
  let api: FastifyInstance | undefined;
  let port = 0;
  const serve = async () => {
    api = await buildApi({ health: gw.health, ready: () => true });
    await api.register(kioskRoutes, deps);
    await api.listen({ host: '127.0.0.1', port });
    port = (api.server.address() as { port: number }).port;
  };
  const unserve = async () => {
    await api?.close();
    api = undefined;
  };
  await serve();
  return {
    gw,
    readers,
    url: () => `http://127.0.0.1:${port}`,
    tap: async (reader, card) => {
      const c = CARDS[card]();
      await readers.present(reader, { atr: c.atr, transmit: inProcessTransmit(c) });
    },
    serve,
    unserve,
    async stop() {
      await unserve();
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Points history for M-1: two earns, a spend, an expiry, and 120 points expiring in 20 days. */
function seedHistory(gw: RunningGateway, token: string) {
  const members = createMembersRepo(gw.db);
  const ledger = createLedgerRepo(gw.db);
  createCardsRepo(gw.db).setDetails(token, 'ov-chipkaart', 'OV-chipkaart ·3f9a');
  const m = members.byNumber('M-1')!;
  const now = Date.now();
  const day = 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  gw.db.transaction(() => {
    const entries: [string, 'earn' | 'burn' | 'expire', number, number][] = [
      ['01J0000000000000000000000A', 'earn', 300, now - 40 * day],
      ['01J0000000000000000000000B', 'expire', -20, now - 30 * day],
      ['01J0000000000000000000000C', 'burn', -100, now - 10 * day],
      ['01J0000000000000000000000D', 'earn', 162, now - 2 * day],
    ];
    for (const [id, kind, points, at] of entries) {
      ledger.insertEntry({ id, key: `seed:${id}`, memberId: m.id, kind, points, deficitDelta: 0, saleId: null, reason: null, at });
    }
    ledger.insertLot({ id: 'L1', memberId: m.id, saleId: null, earned: 300, remaining: 120, expiresOn: iso(now + 20 * day), createdAt: now - 40 * day });
    ledger.insertLot({ id: 'L2', memberId: m.id, saleId: null, earned: 162, remaining: 162, expiresOn: iso(now + 360 * day), createdAt: now - 2 * day });
    members.setAccount(m.id, 282, 0);
  })();
}
