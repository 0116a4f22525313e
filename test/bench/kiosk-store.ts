/**
 * A whole gateway for the kiosk benchmark and the redeem e2e test (issue 7): `startGateway`
 * itself (so the kiosk routes, rewards and till service are wired exactly as in a store), on
 * loopback, with card readers bound to `kiosk:k1` and `lane:lane-1`. The readers are the
 * gateway's in-process ones by default, or the real PC/SC adapter (nfc-pcsc over pcscd and
 * vpcd) with `pcsc: true`. Member M-1 (Sanne) carries an OV-chipkaart and earns points with a
 * real `sale` through the till service, so redeeming spends real lots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createInProcessCardReaders, type InProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { cardToken } from '../../gateway/core/identity/token';
import { validateConfig } from '../../gateway/config/load';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { CARDS, UIDS, type CardName } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import { silentLogger } from '../support/browser';

export const KIOSK_READER = 'kiosk reader';
export const LANE_READER = 'lane reader';
const KEY = new Uint8Array(32).fill(9);
export const MEMBER = { number: 'M-1', name: 'Sanne de Vries', first: 'Sanne' };

export interface KioskStore {
  gw: RunningGateway;
  url: string;
  kioskUrl: string;
  /** In-process readers (undefined with `pcsc: true`). */
  readers: InProcessCardReaders | undefined;
  /** A tap on the kiosk's in-process reader; resolves when the gateway has the tap. */
  tap(card: CardName): Promise<void>;
  /** One till request through the gateway's till service (the lane's framing aside). */
  till(req: Record<string, unknown>, lane?: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startKioskStore(
  o: {
    pcsc?: { kioskReader: string; laneReader: string; socket: string };
    rewards?: { id: string; name: string; points: number; valueCents?: number }[];
    /** Euros Sanne spends at the till before the test (1 point per euro). */
    earnEuros?: number;
    idleMs?: number;
  } = {},
): Promise<KioskStore> {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-kiosk-store-'));
  const memberToken = cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart);
  const kioskMatch = o.pcsc?.kioskReader ?? KIOSK_READER;
  const laneMatch = o.pcsc?.laneReader ?? LANE_READER;
  const config = validateConfig({
    store: { id: 'store-1', gateway: 'gw-1', timeZone: 'Europe/Amsterdam' },
    database: { path: join(dir, 'g.db') },
    http: { host: '127.0.0.1', port: 0, adminToken: 'admin-token-0123456789' },
    members: [{ number: MEMBER.number, name: MEMBER.name, cards: [memberToken] }],
    loyalty: {
      pointsPerEuro: 1,
      rounding: 'floor',
      minimumSpendCents: 0,
      expiryMonths: 12,
      multipliers: [],
      exclusions: { categories: [], skus: [] },
      promotions: [],
    },
    program: { rewards: o.rewards ?? [] },
    kiosk: { idleMs: o.idleMs ?? 45_000 },
    cards: {
      key: Buffer.from(KEY).toString('hex'),
      readers: [
        { match: laneMatch, place: 'lane:lane-1' },
        { match: kioskMatch, place: 'kiosk:k1' },
      ],
      staff: [{ token: cardToken(KEY, 'mifare-classic-1k', UIDS.classic1k), role: 'supervisor', label: 'Bedrijfsleider' }],
      debounceMs: 0,
      ...(o.pcsc && { pcscdSocket: o.pcsc.socket, readTimeoutMs: 2500, retryMinMs: 200, retryMaxMs: 1000 }),
    },
  });
  const readers = o.pcsc
    ? undefined
    : createInProcessCardReaders({ config: config.cards, cardKey: KEY, log: silentLogger, readers: [LANE_READER, KIOSK_READER] });
  const gw = await startGateway(config, { logger: silentLogger, printPairing: () => undefined, ...(readers && { cardReaders: readers }) });
  let n = 0;
  const till = async (req: Record<string, unknown>, lane = 'lane-1') =>
    JSON.parse(await gw.till.handle(JSON.stringify({ v: 1, id: `K-${++n}`, ...req }), { lane })) as Record<string, unknown>;
  if (o.earnEuros) {
    const r = await till({
      type: 'sale',
      receipt: 'R-0001',
      member: MEMBER.number,
      lines: [{ sku: 'sku-food', category: 'food', qty: 1, amountCents: o.earnEuros * 100 }],
      tenders: [{ kind: 'card', amountCents: o.earnEuros * 100 }],
    });
    if (r.type !== 'sale.ok' || r.pointsAwarded !== o.earnEuros) throw new Error(`seed sale refused: ${JSON.stringify(r)}`);
  }
  const url = gw.url()!.replace('localhost', '127.0.0.1');
  return {
    gw,
    url,
    kioskUrl: `${url}/kiosk/?kiosk=k1&key=${gw.screenKeys.keyOf('k1')}`,
    readers,
    tap: async (card) => {
      if (!readers) throw new Error('tap() needs in-process readers');
      const c = CARDS[card]();
      await readers.present(KIOSK_READER, { atr: c.atr, transmit: inProcessTransmit(c) });
    },
    till,
    async stop() {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
