import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import { createIngestHandler } from '../../sync/hq/ingest';
import { buildHqApi } from '../../sync/hq/api';
import type { HqStore } from '../../sync/hq/store';
import { eventTopic, statusTopic } from '../../sync/envelope/topics';
import { makeCloudEvent, storeSource } from '../../sync/envelope/cloudevent';

const a = { store: 'store-a', gateway: 'gw-1' };
const b = { store: 'store-b', gateway: 'gw-1' };
let store: HqStore;
let now = Date.parse('2025-06-01T10:00:00Z');
const clock = { now: () => now, monotonic: () => performance.now() };

beforeEach(async () => {
  store = openSqliteHqStore(':memory:');
  await store.migrate();
});
afterEach(async () => {
  await store.close();
});

function event(to: typeof a, type: string, data: unknown, time = now - 1000, id = ulid()) {
  return {
    topic: eventTopic(to, type),
    payload: Buffer.from(JSON.stringify(makeCloudEvent({ id, source: storeSource(to), type, time: new Date(time).toISOString(), data }))),
    retain: false,
  };
}

describe('HQ ingest handler', () => {
  it('stores valid events once and files every bad one with its reason', async () => {
    const h = createIngestHandler({ store, clock });
    const sale = event(a, 'trouw.sale.completed.v1', { receipt: 'R1', member: 'M-1', pointsAwarded: 10 });
    await h.handle(sale);
    await h.handle(sale);
    const topic = eventTopic(a, 'trouw.sale.completed.v1');
    const bad = [
      { topic, payload: Buffer.from('{"specversion":"1.0",'), retain: false },
      event(a, 'trouw.sale.completed.v1', { receipt: 'R2' }),
      event(a, 'trouw.sale.completed.v1', { receipt: 'R2', pointsAwarded: 1, pan: '4111111111111111' }),
      { ...event(a, 'trouw.thing.happened.v1', {}), topic: eventTopic(a, 'trouw.thing.happened.v1') },
      { topic, payload: Buffer.alloc(300 * 1024, 0x20), retain: false },
      { ...event(b, 'trouw.sale.completed.v1', { receipt: 'R3', pointsAwarded: 1 }), topic }, // store-b's event on store-a's topic
    ];
    for (const m of bad) await h.handle(m);
    expect(h.stats()).toEqual({ received: 8, stored: 1, duplicates: 1, deadLettered: 6 });
    const reasons = (await store.deadLetters({ limit: 10 })).map((d) => d.reason).reverse();
    expect(reasons).toEqual(['malformed-json', 'bad-data', 'bad-data', 'unknown-type', 'oversized', 'topic-mismatch']);
    const oversized = (await store.deadLetters({ limit: 1, reason: 'oversized' }))[0]!;
    expect(oversized.size).toBe(300 * 1024);
    expect(oversized.payload.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('records retained status messages', async () => {
    const h = createIngestHandler({ store, clock });
    await h.handle({ topic: statusTopic(a), payload: Buffer.from('offline'), retain: true });
    expect((await store.gateways())[0]).toMatchObject({ store: 'store-a', status: 'offline', statusAt: now });
  });
});

describe('HQ read API', () => {
  it('events by store, type and time with paging; points across stores; stores with lag', async () => {
    const h = createIngestHandler({ store, clock });
    const t0 = now - 60_000;
    for (let i = 0; i < 5; i++) await h.handle(event(a, 'trouw.sale.completed.v1', { receipt: `A${i}`, member: 'M-1', pointsAwarded: 10 }, t0 + i * 1000));
    await h.handle(event(b, 'trouw.sale.completed.v1', { receipt: 'B1', member: 'M-1', pointsAwarded: 4 }, t0));
    await h.handle(event(b, 'trouw.sale.refunded.v1', { receipt: 'B2', member: 'M-1', pointsReversed: 1 }, t0 + 10));
    await h.handle(event(b, 'trouw.card.tapped.v1', { kind: 'emv', member: 'M-1' }, t0 + 20));
    const app = await buildHqApi({ store, clock });
    try {
      const p1 = (await app.inject({ url: '/v1/events?store=store-a&limit=3' })).json();
      expect(p1.events.map((e: { data: { receipt: string } }) => e.data.receipt)).toEqual(['A0', 'A1', 'A2']);
      const p2 = (await app.inject({ url: `/v1/events?store=store-a&limit=3&after=${p1.next}` })).json();
      expect(p2.events.map((e: { data: { receipt: string } }) => e.data.receipt)).toEqual(['A3', 'A4']);
      expect(p2.next).toBeNull();
      const win = (await app.inject({ url: `/v1/events?store=store-a&from=${new Date(t0 + 1000).toISOString()}&to=${t0 + 3000}` })).json();
      expect(win.events).toHaveLength(2);
      const cards = (await app.inject({ url: '/v1/events?type=trouw.card.tapped.v1' })).json();
      expect(cards.events).toHaveLength(1);
      expect((await app.inject({ url: '/v1/events?from=yesterday' })).statusCode).toBe(400);
      expect((await app.inject({ url: '/v1/events?limit=5000' })).statusCode).toBe(400);
      expect((await app.inject({ url: '/v1/members/M-1/points' })).json()).toEqual({
        member: 'M-1',
        total: 53,
        stores: [
          { store: 'store-a', points: 50, events: 5 },
          { store: 'store-b', points: 3, events: 2 },
        ],
      });
      now += 5000;
      const stores = (await app.inject({ url: '/v1/stores' })).json();
      expect(stores.gateways).toMatchObject([
        { store: 'store-a', events: 5, lastLagMs: 60_000 - 4000, silentForMs: 5000 },
        { store: 'store-b', events: 3 },
      ]);
    } finally {
      await app.close();
    }
  });

  it('requires the bearer token when one is set; health stays open', async () => {
    const app = await buildHqApi({ store, token: 'a-long-enough-token' });
    try {
      expect((await app.inject({ url: '/v1/stores' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/v1/stores', headers: { authorization: 'Bearer a-long-enough-token' } })).statusCode).toBe(200);
      expect((await app.inject({ url: '/health' })).json()).toEqual({ status: 'ok', storage: 'sqlite' });
    } finally {
      await app.close();
    }
  });
});
