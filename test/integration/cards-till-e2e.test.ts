/**
 * Issue 3, end to end for every card kind: virtual card → vpcd → pcscd → nfc-pcsc → the real
 * gateway (startGateway, in this process, reading cards itself from `cards.readers` with the
 * key from `cards.key`) → the till's `identify {card:true}` answer over a real serial link
 * (socat pty pair; SimTill on the far end).
 *
 * "Virtual PCD 00 00" is the reader at lane-1's till, "Virtual PCD 00 01" the one at the
 * service desk (kiosk:desk), where cards are linked to members through the store-IT API.
 *
 * What a sale does with a tap: nothing. `sale` carries a member number only and does not take
 * the lane's tap (gateway/app/till/till-sale.ts); the till identifies by card first and rings
 * the sale for the member number that `identify` gave back, which is what is tested here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { validateConfig } from '../../gateway/config/load';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import type { CardKind } from '../../gateway/core/identity/kinds';
import type { TillResponse } from '../../gateway/core/till/messages';
import type { CardTap } from '../../gateway/ports/card-reader';
import { CARDS, type CardName } from '../../firmware-sim/cards/catalogue';
import { vpcdReaderName } from '../../firmware-sim/cards/vpcd';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { startPcscd, waitFor, type PcscdHandle } from '../support/pcscd';
import { startSocat, type PtyPair } from '../support/socat';
import { PCSCD_POLL_MS, presentCard } from '../bench/cards-vpcd';

const ADMIN = 'e2e-admin-token-0123456789';
const CARD_KEY = '5c'.repeat(32);
const LANE_READER = 0;
const DESK_READER = 1;
const LINES = [{ sku: '8711000530085', category: 'coffee', qty: 2, amountCents: 1398 }];

/** The cards that identify someone, the kind the gateway reports, and the member they get linked to. */
const IDENTIFYING: [CardName, CardKind, string, string][] = [
  ['ov-chipkaart', 'ov-chipkaart', 'M-1001', 'Sanne de Vries'],
  ['classic-1k', 'mifare-classic-1k', 'M-1002', 'Daan Jansen'],
  ['ultralight', 'ultralight', 'M-1003', 'Emma Bakker'],
  ['desfire', 'desfire', 'M-1004', 'Lucas Visser'],
  ['bank-card', 'emv', 'M-1005', 'Julia Smit'],
  ['bank-card-par', 'emv', 'M-1006', 'Sem Meijer'],
  ['ov-pas', 'emv', 'M-1007', 'Tess de Boer'],
];

let pcscd: PcscdHandle;
let pair: PtyPair;
let dir: string;
let gw: RunningGateway;
let till: SimTill;
const taps: CardTap[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  pcscd = await startPcscd();
  pair = await startSocat();
  dir = mkdtempSync(join(tmpdir(), 'trouw-cards-e2e-'));
  const config = validateConfig({
    database: { path: join(dir, 'gateway.db') },
    http: { host: '127.0.0.1', port: 0, adminToken: ADMIN },
    log: { level: 'debug' },
    lanes: [{ id: 'lane-1', transport: 'serial', path: pair.a }],
    till: { reconnectMinMs: 50, reconnectMaxMs: 300 },
    loyalty: { minimumSpendCents: 0 },
    members: IDENTIFYING.map(([, , number, name]) => ({ number, name })),
    cards: {
      key: CARD_KEY,
      pcscdSocket: pcscd.socket,
      readers: [
        { match: vpcdReaderName(LANE_READER), place: 'lane:lane-1' },
        { match: vpcdReaderName(DESK_READER), place: 'kiosk:desk' },
      ],
      // Each test taps the same card twice on one reader within a few seconds, on purpose.
      debounceMs: 0,
      readTimeoutMs: 2500,
      retryMinMs: 200,
      retryMaxMs: 1000,
    },
  });
  const logger = createLogger({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }));
  gw = await startGateway(config, { logger });
  gw.cards!.readers.onTap((t) => taps.push(t));
  till = new SimTill({ transport: { kind: 'serial', path: pair.b }, journal: join(dir, 'till.jsonl'), lane: 'lane-1', seed: 3 });
  await till.open();
  await waitFor('lane-1 up', () => gw.health().lanes[0]?.state === 'up', 15_000);
  await waitFor('both card readers up', () => gw.health().devices.filter((d) => d.kind === 'card-reader' && d.state === 'up').length === 2, 30_000);
});

afterAll(async () => {
  await till?.close();
  await gw?.stop();
  await pair?.close();
  await pcscd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A card tapped on a reader and taken off again; resolves with the gateway's tap. */
async function tap(name: CardName, reader = LANE_READER): Promise<CardTap> {
  const from = taps.length;
  const readerName = vpcdReaderName(reader);
  const { value } = await presentCard(CARDS[name](), {
    reader,
    seen: () => taps.slice(from).find((t) => t.reader === readerName),
    settleMs: PCSCD_POLL_MS,
  });
  return value;
}

async function tillSays(exchange: Promise<Awaited<ReturnType<SimTill['send']>>>): Promise<TillResponse> {
  const r = await exchange;
  if (!r.ok) throw new Error(`the till failed open: ${r.error.code} ${r.error.message}`);
  return r.value;
}

const identifyByCard = () => tillSays(till.identify({ card: true }));

async function api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${gw.url()}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('card tap → gateway → the till’s identify answer over serial', () => {
  it('without a tap the till is told so', async () => {
    expect(await identifyByCard()).toMatchObject({ type: 'identify.ok', member: null, reason: 'no-tap' });
  });

  it.each(IDENTIFYING)(
    '%s (%s): unknown until linked at the desk, then named at the till; the sale earns its member points',
    async (name, kind, number, memberName) => {
      expect(await tap(name)).toMatchObject({ outcome: 'identified', kind, place: { type: 'lane', id: 'lane-1' } });
      expect(await identifyByCard()).toMatchObject({ type: 'identify.ok', member: null, reason: 'unknown-card' });

      expect(await tap(name, DESK_READER)).toMatchObject({ outcome: 'identified', kind, place: { type: 'kiosk', id: 'desk' } });
      const link = await api('POST', `/api/members/${number}/cards`, { place: 'kiosk:desk' });
      expect(link.status).toBe(201);
      expect(link.json).toMatchObject({ kind, label: expect.any(String) });

      await tap(name);
      const found = await identifyByCard();
      expect(found).toMatchObject({ type: 'identify.ok', member: { number, name: memberName, balance: 0 } });
      expect(found).not.toHaveProperty('reason');
      // The identify took the tap: the next customer is not this member.
      expect(await identifyByCard()).toMatchObject({ member: null, reason: 'no-tap' });

      const sale = await tillSays(till.sale({ member: number, lines: LINES, tenders: [{ kind: 'card', amountCents: 1398 }] }));
      expect(sale).toMatchObject({ type: 'sale.ok', member: { number } });
      const points = sale.type === 'sale.ok' ? sale.pointsAwarded : 0;
      expect(points).toBeGreaterThanOrEqual(13); // €13.98 at 1 point per euro, before any tier multiplier
      expect(sale).toMatchObject({ member: { balance: points } });
      expect((await api('GET', `/api/members/${number}`)).json).toMatchObject({ balance: points, cards: [{ kind }] });
    },
  );

  it('the same bank card read with 61xx chaining and 6Cxx names the same member', async () => {
    // bank-card was linked to M-1005 above; this card carries the same PAN.
    expect(await tap('bank-card-chained')).toMatchObject({ outcome: 'identified', kind: 'emv' });
    expect(await identifyByCard()).toMatchObject({ member: { number: 'M-1005' } });
  });

  it('a random-UID card is refused at the till and cannot be linked', async () => {
    expect(await tap('random-uid')).toMatchObject({ outcome: 'rejected', reason: 'random-id' });
    expect(await identifyByCard()).toMatchObject({ type: 'identify.ok', member: null, reason: 'random-id' });

    await tap('random-uid', DESK_READER);
    const link = await api('POST', '/api/members/M-1001/cards', { place: 'kiosk:desk' });
    expect(link).toMatchObject({ status: 422, json: { error: 'random-id' } });
  });

  it.each<[CardName, string]>([
    ['garbage', 'read-failed'],
    ['short-answer', 'read-failed'],
    ['uid-error', 'read-failed'],
    ['mifare-plus', 'unsupported-card'],
    ['gpo-refused', 'read-failed'],
    ['silent', 'timeout'],
    ['removed-mid-read', 'removed'],
  ])('misbehaving card %s (%s): the till hears card-unreadable, nothing breaks, the next tap works', async (name, reason) => {
    expect(await tap(name)).toMatchObject({ outcome: 'rejected', reason });
    expect(await identifyByCard()).toMatchObject({ type: 'identify.ok', member: null, reason: 'card-unreadable' });

    expect(await tap('ov-chipkaart')).toMatchObject({ outcome: 'identified', kind: 'ov-chipkaart' });
    expect(await identifyByCard()).toMatchObject({ member: { number: 'M-1001' } });
    expect(gw.health()).toMatchObject({ status: 'ok', lanes: [{ lane: 'lane-1', state: 'up' }] });
  });

  it('every tap is an outbox event with its place and outcome, and the till link saw no errors', () => {
    const events = (gw.db.prepare("SELECT data FROM outbox WHERE type = 'trouw.card.tapped.v1' ORDER BY seq").all() as { data: string }[]).map(
      (r) => JSON.parse(r.data) as { place: string; outcome: string; memberNumber?: string },
    );
    expect(events).toHaveLength(taps.length);
    expect(events.map((e) => e.place)).toEqual(taps.map((t) => `${t.place!.type}:${t.place!.id}`));
    const outcomes = new Set(events.map((e) => e.outcome));
    for (const o of ['member', 'unknown-card', 'random-id', 'read-failed', 'unsupported-card', 'timeout', 'removed']) expect(outcomes).toContain(o);
    expect(events.filter((e) => e.outcome === 'member').every((e) => /^M-100\d$/.test(e.memberNumber ?? ''))).toBe(true);
    expect(gw.health().lanes[0]!.counters).toMatchObject({ naksSent: 0 });
    expect(logLines.join('')).toContain('card tap');
  });
});
