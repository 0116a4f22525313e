/**
 * One contract suite for HQ storage, run against SQLite and PostgreSQL (STYLE.md §2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { openHqStore } from '../../sync/hq/open-store';
import type { HqStore, IngestedEvent } from '../../sync/hq/store';

let pg: Postgres;
let dir: string;
let dbCounter = 0;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-hq-store-'));
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.parse('2025-05-01T12:00:00Z');
function ev(over: Partial<IngestedEvent> = {}): IngestedEvent {
  const timeMs = over.timeMs ?? T;
  return {
    source: '/stores/store-a/gw-1',
    id: '01JTEST0000000000000000001',
    store: 'store-a',
    gateway: 'gw-1',
    type: 'trouw.sale.completed.v1',
    time: new Date(timeMs).toISOString(),
    timeMs,
    subject: null,
    member: 'M-1',
    pointsDelta: 10,
    data: JSON.stringify({ receipt: 'R1', pointsAwarded: 10, member: 'M-1' }),
    receivedAt: timeMs + 500,
    ...over,
  };
}
const id = (n: number) => `01JTEST${String(n).padStart(19, '0')}`;

const kinds: [string, () => string][] = [
  ['sqlite', () => join(dir, `hq-${++dbCounter}.db`)],
  ['postgres', () => pg.createDatabase(`hq_${++dbCounter}`)],
];

describe.each(kinds)('HQ store contract: %s', (_kind, newUrl) => {
  let store: HqStore;
  let url: string;
  beforeAll(async () => {
    url = newUrl();
    store = await openHqStore(url);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('inserts by (source, id): a redelivery changes nothing', async () => {
    expect(await store.insertEvent(ev())).toBe(true);
    expect(await store.insertEvent(ev({ data: '{"changed":true}', receivedAt: T + 9999 }))).toBe(false);
    expect(await store.insertEvent(ev({ source: '/stores/store-b/gw-1', store: 'store-b' }))).toBe(true);
    expect(await store.counts()).toEqual({ events: 2, deadLetters: 0 });
    const [a] = await store.queryEvents({ store: 'store-a', limit: 10 });
    expect(a?.data).toEqual({ receipt: 'R1', pointsAwarded: 10, member: 'M-1' });
    expect(a?.receivedAt).toBe(T + 500);
  });

  it('keeps per-gateway last seen, newest event time and lag; counts each event once', async () => {
    await store.insertEvent(ev({ id: id(2), timeMs: T + 60_000, receivedAt: T + 61_000 }));
    await store.insertEvent(ev({ id: id(3), timeMs: T + 10_000, receivedAt: T + 70_000 })); // an old one, late
    await store.insertEvent(ev({ id: id(3), timeMs: T + 10_000, receivedAt: T + 80_000 })); // redelivered
    await store.recordStatus('store-a', 'gw-1', 'online', T + 1);
    const g = (await store.gateways()).find((x) => x.source === '/stores/store-a/gw-1');
    expect(g).toEqual({
      source: '/stores/store-a/gw-1',
      store: 'store-a',
      gateway: 'gw-1',
      status: 'online',
      statusAt: T + 1,
      lastSeenAt: T + 70_000,
      lastEventTimeMs: T + 60_000,
      lastLagMs: 1000,
      events: 3,
    });
  });

  it('answers events by store, type and time, in time order, with keyset paging', async () => {
    for (let i = 0; i < 5; i++) {
      await store.insertEvent(
        ev({
          id: id(100 + i),
          type: 'trouw.card.tapped.v1',
          member: null,
          pointsDelta: null,
          timeMs: T + 1000 * (i + 1),
          data: JSON.stringify({ kind: 'emv', i }),
        }),
      );
    }
    const cards = await store.queryEvents({ type: 'trouw.card.tapped.v1', limit: 10 });
    expect(cards.map((c) => (c.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
    const window = await store.queryEvents({ type: 'trouw.card.tapped.v1', fromMs: T + 2000, toMs: T + 4000, limit: 10 });
    expect(window.map((c) => (c.data as { i: number }).i)).toEqual([1, 2]);
    const page1 = await store.queryEvents({ store: 'store-a', limit: 3 });
    const last = page1[2]!;
    const page2 = await store.queryEvents({ store: 'store-a', limit: 100, after: { timeMs: last.timeMs, source: last.source, id: last.id } });
    const all = await store.queryEvents({ store: 'store-a', limit: 100 });
    expect([...page1, ...page2].map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(await store.queryEvents({ store: 'store-z', limit: 10 })).toEqual([]);
  });

  it("sums a member's points across stores", async () => {
    await store.insertEvent(ev({ id: id(200), member: 'M-9', pointsDelta: 25 }));
    await store.insertEvent(ev({ id: id(201), member: 'M-9', pointsDelta: -5, type: 'trouw.sale.refunded.v1' }));
    await store.insertEvent(ev({ id: id(202), member: 'M-9', pointsDelta: 7, source: '/stores/store-b/gw-2', store: 'store-b', gateway: 'gw-2' }));
    await store.insertEvent(ev({ id: id(203), member: 'M-9', pointsDelta: null, type: 'trouw.card.tapped.v1' }));
    expect(await store.memberPoints('M-9')).toEqual({
      member: 'M-9',
      total: 27,
      stores: [
        { store: 'store-a', points: 20, events: 2 },
        { store: 'store-b', points: 7, events: 1 },
      ],
    });
    expect(await store.memberPoints('M-nobody')).toEqual({ member: 'M-nobody', total: 0, stores: [] });
  });

  it('files dead letters with reason, size and payload', async () => {
    await store.deadLetter({ receivedAt: T, topic: 't/1', reason: 'malformed-json', detail: 'Unexpected end', payload: Buffer.from('{"a":'), size: 5 });
    await store.deadLetter({ receivedAt: T, topic: 't/2', reason: 'oversized', detail: '300000 bytes', payload: Buffer.from('xx'), size: 300_000 });
    const all = await store.deadLetters({ limit: 10 });
    expect(all.map((d) => d.reason)).toEqual(['oversized', 'malformed-json']);
    expect(await store.deadLetters({ limit: 10, reason: 'malformed-json' })).toMatchObject([{ topic: 't/1', payload: '{"a":', size: 5 }]);
  });

  it('a batch stores each new event once, also when it holds one twice, and counts once per gateway', async () => {
    const before = (await store.gateways()).find((r) => r.source === '/stores/store-c/gw-1')?.events ?? 0;
    const c = (n: number, timeMs: number) => ev({ id: id(500 + n), source: '/stores/store-c/gw-1', store: 'store-c', timeMs, receivedAt: T + 100_000 });
    const r = await store.insertEvents([c(1, T + 1000), c(2, T + 3000), c(1, T + 1000), c(3, T + 2000)]);
    expect(r).toEqual([true, true, false, true]);
    expect(await store.insertEvents([c(2, T + 3000), c(4, T + 500)])).toEqual([false, true]);
    expect(await store.insertEvents([])).toEqual([]);
    const g = (await store.gateways()).find((x) => x.source === '/stores/store-c/gw-1');
    expect(g).toMatchObject({ events: before + 4, lastEventTimeMs: T + 3000, lastLagMs: T + 100_000 - (T + 3000), lastSeenAt: T + 100_000 });
  });

  it('two writers racing on the same events store each once', async () => {
    const other = await openHqStore(url);
    try {
      const batch = Array.from({ length: 200 }, (_, i) => ev({ id: id(1000 + i), member: null, pointsDelta: null }));
      const [x, y] = await Promise.all([Promise.all(batch.map((e) => store.insertEvent(e))), Promise.all(batch.map((e) => other.insertEvent(e)))]);
      const inserted = x.map((a, i) => Number(a) + Number(y[i]));
      expect(inserted.every((n) => n === 1)).toBe(true);
      // The gateway's event count moved once per stored event, not once per attempt.
      const g = (await store.gateways()).find((r) => r.source === '/stores/store-a/gw-1');
      const stored = await store.queryEvents({ store: 'store-a', gateway: 'gw-1', limit: 1000 });
      expect(g?.events).toBe(stored.length);
    } finally {
      await other.close();
    }
  });
});
