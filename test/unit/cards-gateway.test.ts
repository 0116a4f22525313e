/**
 * Card taps through the gateway (issue 3), with the in-process readers running the real tap
 * pipeline: a tap at a lane reaches that lane's `identify`, cards are linked and unlinked
 * through the store-IT API, staff passes open sessions, every tap is an outbox event without
 * card data. The real PC/SC stack is covered by test/integration/cards-*.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createInProcessCardReaders, type InProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { cardToken } from '../../gateway/core/identity/token';
import { validateConfig } from '../../gateway/config/load';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { CARDS, UIDS } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import type { VirtualCard } from '../../firmware-sim/cards/virtual-card';

const KEY = new Uint8Array(32).fill(7);
const ADMIN = 'admin-token-0123456789';
const silent = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
const staffToken = cardToken(KEY, 'mifare-classic-1k', UIDS.classic1k);

describe('card taps through the gateway', () => {
  let gw: RunningGateway;
  let readers: InProcessCardReaders;
  let n = 0;

  const identify = async () => JSON.parse(await gw.till.handle(JSON.stringify({ v: 1, id: `req-${++n}`, type: 'identify', card: true }), { lane: 'lane-1' }));
  const tap = (reader: string, card: VirtualCard) => readers.present(reader, { atr: card.atr, transmit: inProcessTransmit(card) });
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, token = ADMIN) =>
    gw.api.inject({ method, url, ...(payload !== undefined && { payload: payload as object }), headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-cards-gw-'));
    const config = validateConfig({
      database: { path: join(dir, 'g.db') },
      http: { adminToken: ADMIN },
      members: [{ number: 'M-1', name: 'Sanne de Vries' }],
      cards: {
        readers: [
          { match: 'lane reader', place: 'lane:lane-1' },
          { match: 'kiosk reader', place: 'kiosk:k1' },
        ],
        staff: [{ token: staffToken, role: 'supervisor', label: 'Bedrijfsleider' }],
        debounceMs: 0,
      },
      program: { bonuses: { joinPoints: 50 } },
    });
    readers = createInProcessCardReaders({ config: config.cards, cardKey: KEY, log: silent, readers: ['lane reader', 'kiosk reader'] });
    gw = await startGateway(config, { logger: silent, listen: false, cardReaders: readers });
  });
  afterEach(() => gw.stop());

  it('identifies a linked card at the lane, says unknown for an unlinked one, and refuses a random id', async () => {
    expect(await identify()).toMatchObject({ type: 'identify.ok', member: null, reason: 'no-tap' });
    await tap('lane reader', CARDS['ov-chipkaart']());
    expect(await identify()).toMatchObject({ member: null, reason: 'unknown-card' });

    await tap('lane reader', CARDS['ov-chipkaart']());
    const linked = await api('POST', '/api/members/M-1/cards', { place: 'lane:lane-1' });
    expect(linked.statusCode).toBe(201);
    expect(linked.json()).toMatchObject({ kind: 'ov-chipkaart', label: expect.stringMatching(/^OV-chipkaart ·[0-9a-f]{4}$/) });

    await tap('lane reader', CARDS['ov-chipkaart']());
    expect(await identify()).toMatchObject({ member: { number: 'M-1', name: 'Sanne de Vries' } });
    // The tap is consumed by the identify that used it.
    expect(await identify()).toMatchObject({ member: null, reason: 'no-tap' });

    await tap('lane reader', CARDS['random-uid']());
    expect(await identify()).toMatchObject({ member: null, reason: 'random-id' });
  });

  it('a sale with `card: true` earns for the card just tapped at that lane, once', async () => {
    await tap('kiosk reader', CARDS['ov-pas']());
    expect((await api('POST', '/api/members/M-1/cards', { place: 'kiosk:k1' })).statusCode).toBe(201);
    await tap('lane reader', CARDS['ov-pas']());
    const sale = (receipt: string, extra: object = {}) =>
      gw.till
        .handle(
          JSON.stringify({
            v: 1,
            id: `s-${receipt}`,
            type: 'sale',
            receipt,
            card: true,
            lines: [{ sku: 'a', category: 'dairy', qty: 1, amountCents: 1000 }],
            tenders: [],
            ...extra,
          }),
          { lane: 'lane-1' },
        )
        .then((b) => JSON.parse(b));
    expect(await sale('R-1')).toMatchObject({ type: 'sale.ok', member: { number: 'M-1' }, pointsAwarded: 10 });
    expect(await sale('R-2')).toMatchObject({ member: null, reason: 'no-tap', pointsAwarded: 0 });
    // A sale resent long after it was rung must not take the next customer's card.
    await tap('lane reader', CARDS['ov-pas']());
    expect(await sale('R-3', { at: new Date(Date.now() - 10 * 60_000).toISOString() })).toMatchObject({ member: null, reason: 'no-tap' });
    const event = gw.db.prepare("SELECT data FROM outbox WHERE type = 'trouw.sale.completed.v1' AND subject = 'R-1'").get() as { data: string };
    expect(JSON.parse(event.data)).toMatchObject({ memberNumber: 'M-1' });
  });

  it('links a bank card by token only, lists it by kind and label, unlinks it', async () => {
    await tap('kiosk reader', CARDS['bank-card']());
    expect((await api('POST', '/api/members/M-1/cards', { place: 'kiosk:k1' })).statusCode).toBe(201);
    const member = (await api('GET', '/api/members/M-1')).json();
    expect(member.cards).toHaveLength(1);
    expect(member.cards[0]).toMatchObject({ kind: 'emv', label: expect.stringMatching(/^Bankpas/) });
    expect(JSON.stringify(member)).not.toMatch(/4761739001010119|token/);

    // One card belongs to one member.
    expect((await api('POST', '/api/members', { number: 'M-2', name: 'Daan Jansen' })).statusCode).toBe(201);
    // The program's join bonus is awarded once, on creation.
    expect((await api('GET', '/api/members/M-2')).json().balance).toBe(50);
    await tap('kiosk reader', CARDS['bank-card']());
    const again = await api('POST', '/api/members/M-2/cards', { place: 'kiosk:k1' });
    expect(again.statusCode).toBe(409);

    expect((await api('DELETE', `/api/members/M-1/cards/${member.cards[0].ref}`)).statusCode).toBe(204);
    expect((await api('GET', '/api/members/M-1')).json().cards).toEqual([]);
    expect((await api('DELETE', `/api/members/M-1/cards/${member.cards[0].ref}`)).statusCode).toBe(404);
  });

  it('needs a token; a staff pass opens a supervisor session; a random-id card cannot be linked', async () => {
    expect((await api('GET', '/api/members/M-1', undefined, '')).statusCode).toBe(401);
    expect((await api('GET', '/api/members/M-1', undefined, 'wrong-token-000000000')).statusCode).toBe(401);
    expect((await api('POST', '/api/staff/session', { place: 'lane:lane-1' }, '')).statusCode).toBe(401);

    await tap('lane reader', CARDS['classic-1k']());
    const session = await api('POST', '/api/staff/session', { place: 'lane:lane-1' });
    expect(session.statusCode).toBe(201);
    expect(session.json().role).toBe('supervisor');
    expect((await api('GET', '/api/members/M-1', undefined, session.json().token)).statusCode).toBe(200);

    await tap('kiosk reader', CARDS['random-uid']());
    const r = await api('POST', '/api/members/M-1/cards', { place: 'kiosk:k1' });
    expect(r.statusCode).toBe(422);
    expect(r.json().error).toBe('random-id');
    expect((await api('POST', '/api/members/M-1/cards', { place: 'kiosk:k1' })).json().error).toBe('no-tap');
  });

  it('writes every tap to the outbox with kind, place and outcome, never card data', async () => {
    await tap('lane reader', CARDS['bank-card']());
    await tap('lane reader', CARDS['random-uid']());
    const rows = gw.db.prepare("SELECT data FROM outbox WHERE type = 'trouw.card.tapped.v1' ORDER BY seq").all() as { data: string }[];
    expect(rows.map((r) => JSON.parse(r.data))).toMatchObject([
      { lane: 'lane-1', place: 'lane:lane-1', kind: 'emv', outcome: 'unknown-card' },
      { lane: 'lane-1', kind: 'mifare-classic-1k', outcome: 'random-id' },
    ]);
    const all = JSON.stringify(gw.db.prepare('SELECT * FROM outbox').all());
    expect(all).not.toContain('4761739001010119');
    expect(all).not.toContain(cardToken(KEY, 'emv', Buffer.from('4761739001010119', 'hex')));
  });
});
