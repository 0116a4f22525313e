import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createOutboxPublisher, type OutboxPublisher, type PublisherOptions } from '../../sync/gateway/publisher';
import { createFakeLink, type FakeLink } from '../../sync/gateway/fake-link';
import { routeAcks } from '../../sync/gateway/ack-route';
import { ensureOutboxTable, ensureSyncTables } from '../../sync/gateway/tables';
import { createOutboxWriter } from '../../sync/gateway/outbox-writer';
import { SaleCompleted } from '../../sync/schemas/till-events';
import { validateUplinkEvent } from '../../sync/schemas/validate-event';
import type { Clock } from '../../gateway/ports/clock';

const address = { store: 'store-a', gateway: 'gw-1' };
const T0 = Date.parse('2025-03-01T10:00:00Z');

function setup(opts: Partial<PublisherOptions> = {}, link: FakeLink = createFakeLink()) {
  const db = new Database(':memory:');
  ensureOutboxTable(db);
  ensureSyncTables(db);
  const writer = createOutboxWriter(db);
  let now = T0;
  const clock: Clock & { set(t: number): void } = { now: () => now, monotonic: () => performance.now(), set: (t) => (now = t) };
  const publishers: OutboxPublisher[] = [];
  const make = (o: Partial<PublisherOptions> = {}) => {
    const p = createOutboxPublisher({ db, link, address, clock, idlePollMs: 10, deleteAfterMs: 5, ...opts, ...o });
    void routeAcks(link, p, address);
    publishers.push(p);
    return p;
  };
  const sale = (i: number, priority?: number, expiresAt?: number) =>
    writer.append({
      event: SaleCompleted,
      data: { receipt: `R${i}`, pointsAwarded: i },
      at: now,
      ...(priority !== undefined ? { priority } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
  const rows = () => (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  const receipts = () => link.acked.map((m) => (JSON.parse(m.payload) as { data: { receipt: string } }).data.receipt);
  cleanups.push(async () => {
    for (const p of publishers) await p.stop();
    db.close();
  });
  return { db, link, clock, make, sale, rows, receipts, writer };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const until = async (cond: () => boolean, what = 'condition') => {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('outbox publisher', () => {
  it('sends every row in order as a valid CloudEvent and empties the outbox', async () => {
    const s = setup();
    for (let i = 0; i < 1000; i++) s.sale(i);
    const p = s.make({ inFlight: 50 });
    p.start();
    await p.whenDrained();
    expect(s.rows()).toBe(0);
    expect(s.receipts()).toEqual(Array.from({ length: 1000 }, (_, i) => `R${i}`));
    for (const m of s.link.acked.slice(0, 20)) {
      const v = validateUplinkEvent(m.topic, m.payload);
      expect(v.ok, JSON.stringify(v)).toBe(true);
    }
    const ids = new Set(s.link.acked.map((m) => JSON.parse(m.payload).id));
    expect(ids.size).toBe(1000);
  });

  it('deletes a row only after HQ acknowledges it end to end; a PUBACK only frees the window', async () => {
    const link = createFakeLink();
    link.hqAcks = false;
    const s = setup({}, link);
    for (let i = 0; i < 10; i++) s.sale(i);
    const p = s.make({ inFlight: 4 });
    p.start();
    await until(() => link.acked.length === 10, 'all ten PUBACKed');
    expect(s.rows()).toBe(10); // the broker has them all; HQ has said nothing
    expect(p.stats()).toMatchObject({ acknowledged: 10, awaitingHq: 10, inFlight: 0, confirmed: 0 });
    expect(p.health().detail).toMatch(/waiting for HQ 10/);
    const ids = link.acked.map((m) => (JSON.parse(m.payload) as { id: string }).id);
    await link.deliver('trouw/v1/store-a/gw-1/ack', JSON.stringify({ v: 1, stored: ids.slice(0, 3) }));
    await until(() => s.rows() === 7, 'three rows deleted');
    // An ack that is not JSON, or names ids this gateway never sent, changes nothing.
    await link.deliver('trouw/v1/store-a/gw-1/ack', '{"v":1,"stored":');
    await link.deliver('trouw/v1/store-a/gw-1/ack', JSON.stringify({ v: 1, stored: ['01ARZ3NDEKTSV4RRFFQ69G5FAV'] }));
    // HQ refuses one (dead-lettered there): set aside here, not resent for ever.
    await link.deliver('trouw/v1/store-a/gw-1/ack', JSON.stringify({ v: 1, stored: [], refused: [{ id: ids[3], reason: 'bad-data', detail: '/data/x' }] }));
    await until(() => s.rows() === 6, 'refused row set aside');
    expect(s.db.prepare('SELECT reason FROM sync_outbox_rejected').pluck().all()).toEqual(['refused by HQ: bad-data (/data/x)']);
    expect(p.stats()).toMatchObject({ confirmed: 3, refusedByHq: 1, awaitingHq: 6 });
  });

  it('resends rows HQ has not acknowledged within hqAckTimeoutMs, with the same ids, and then deletes on the ack', async () => {
    const link = createFakeLink();
    link.hqAcks = false;
    const s = setup({}, link);
    for (let i = 0; i < 5; i++) s.sale(i);
    const p = s.make({ hqAckTimeoutMs: 50 });
    p.start();
    await until(() => link.acked.length >= 10, 'sent twice');
    const sent = link.acked.map((m) => (JSON.parse(m.payload) as { id: string }).id);
    expect(new Set(sent).size).toBe(5);
    expect(p.stats().resent).toBeGreaterThanOrEqual(5);
    link.hqAcks = true;
    await p.whenDrained();
    expect(s.rows()).toBe(0);
  });

  it('caps rows waiting for HQ at maxAwaitingHq', async () => {
    const link = createFakeLink();
    link.hqAcks = false;
    const s = setup({}, link);
    for (let i = 0; i < 500; i++) s.sale(i);
    const p = s.make({ maxAwaitingHq: 120, inFlight: 50 });
    p.start();
    await until(() => p.stats().awaitingHq === 120, '120 waiting');
    await new Promise((r) => setTimeout(r, 50));
    expect(link.acked.length).toBe(120);
  });

  it('with deleteOn: broker (the benchmark baseline) deletes a row after its PUBACK', async () => {
    const link = createFakeLink();
    link.autoAck = false;
    const s = setup({ deleteOn: 'broker' }, link);
    for (let i = 0; i < 10; i++) s.sale(i);
    const p = s.make({ inFlight: 4 });
    p.start();
    await until(() => link.pending.length === 4, 'window full');
    expect(s.rows()).toBe(10);
    link.ack(2);
    await until(() => s.rows() === 8, 'two rows deleted');
    expect(link.pending.length).toBe(4); // the window refilled
  });

  it('keeps the in-flight window, and the broker Receive Maximum when lower', async () => {
    const link = createFakeLink();
    link.autoAck = false;
    link.receiveMaximum = 3;
    const s = setup({}, link);
    for (let i = 0; i < 50; i++) s.sale(i);
    const p = s.make({ inFlight: 10 });
    p.start();
    while (s.rows() > 0) {
      await until(() => link.pending.length > 0 || s.rows() === 0);
      expect(link.pending.length).toBeLessThanOrEqual(3);
      link.ack(1);
      await new Promise((r) => setImmediate(r));
    }
    expect(link.maxPending).toBe(3);
    expect(s.receipts()).toEqual(Array.from({ length: 50 }, (_, i) => `R${i}`));
  });

  it('yields to the event loop: no more than one window of publishes per turn', async () => {
    const link = createFakeLink();
    const s = setup({}, link);
    for (let i = 0; i < 3000; i++) s.sale(i);
    let turn = 0;
    let stop = false;
    const spin = () => {
      turn++;
      if (!stop) setImmediate(spin);
    };
    spin();
    const perTurn = new Map<number, number>();
    const publish = link.publish.bind(link);
    link.publish = (t, pl, o) => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      return publish(t, pl, o);
    };
    const p = s.make({ inFlight: 20, sliceRows: 10 });
    p.start();
    await p.whenDrained();
    stop = true;
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(20);
    expect(perTurn.size).toBeGreaterThan(3000 / 20 - 1);
  });

  it('sends business rows before presence detail, and a new sale jumps the queue', async () => {
    const link = createFakeLink();
    link.autoAck = false;
    const s = setup({}, link);
    for (let i = 0; i < 5; i++) s.sale(100 + i, 5);
    for (let i = 0; i < 3; i++) s.sale(i, 0);
    const p = s.make({ inFlight: 1 });
    p.start();
    const ackOne = async () => {
      await until(() => link.pending.length === 1, 'a publish');
      link.ack();
    };
    for (let i = 0; i < 3; i++) await ackOne(); // R0..R2
    await until(() => link.pending.length === 1); // R100 in flight: presence detail draining
    s.sale(3, 0); // a sale arrives meanwhile
    p.notify();
    while (s.rows() > 0) {
      await ackOne();
      await until(() => link.pending.length === 1 || s.rows() === 0);
    }
    expect(s.receipts()).toEqual(['R0', 'R1', 'R2', 'R100', 'R3', 'R101', 'R102', 'R103', 'R104']);
  });

  it('drops expired presence rows, counts them, and never expires business rows', async () => {
    const s = setup();
    s.sale(1, 5, T0 + 1000);
    s.sale(2, 5, T0 + 100_000);
    s.db
      .prepare(
        `INSERT INTO outbox (id, type, time, data, priority, expires_at) VALUES ('01J9Z3K8Q2ABCDEFGHJKMNPQRS', 'trouw.sale.completed.v1', '2025-03-01T10:00:00.000Z', '{"receipt":"R3","pointsAwarded":1}', 0, ?)`,
      )
      .run(T0 + 1000);
    expect(() => s.writer.append({ event: SaleCompleted, data: { receipt: 'R0', pointsAwarded: 0 }, at: T0, expiresAt: T0 })).toThrow(/cannot expire/);
    s.clock.set(T0 + 5000);
    const p = s.make();
    p.start();
    await p.whenDrained();
    expect(s.receipts().sort()).toEqual(['R2', 'R3']);
    expect(p.stats().expiredDropped).toBe(1);
  });

  it('TTL and cap apply to rows waiting for HQ: sent, PUBACKed, not yet acknowledged', async () => {
    const link = createFakeLink();
    link.hqAcks = false;
    const s = setup({ sweepIntervalMs: 10, maxRows: 1000, hqAckTimeoutMs: 600_000 }, link);
    for (let i = 0; i < 300; i++) s.sale(i, 5, T0 + 1000); // presence detail with a TTL
    for (let i = 0; i < 300; i++) s.sale(1000 + i, 3); // non-business, no TTL
    for (let i = 0; i < 400; i++) s.sale(2000 + i, 0); // business
    const p = s.make();
    p.start();
    await until(() => p.stats().awaitingHq === 1000, 'all sent and waiting for HQ');
    s.clock.set(T0 + 2000);
    await until(() => p.stats().expiredDropped === 300, 'the expired ones dropped though sent');
    expect(p.stats().awaitingHq).toBe(700);
    link.setState('down'); // what comes now is not sent
    for (let i = 0; i < 500; i++) s.sale(3000 + i, 3);
    await until(() => p.stats().capDropped === 200, 'capped');
    // The oldest priority-3 rows went, and those were the ones waiting for HQ.
    expect(p.stats().awaitingHq).toBe(500);
    expect(s.rows()).toBe(1000);
    expect(s.db.prepare(`SELECT MIN(json_extract(data, '$.receipt')) FROM outbox WHERE priority = 3`).pluck().get()).toBe('R1200');
  });

  it('sweeps expired rows while the broker is away', async () => {
    const link = createFakeLink('down');
    const s = setup({ sweepIntervalMs: 10 }, link);
    for (let i = 0; i < 1200; i++) s.sale(i, 5, T0 + 1000);
    s.sale(9999, 0);
    const p = s.make();
    p.start();
    s.clock.set(T0 + 2000);
    await until(() => p.stats().expiredDropped === 1200, 'sweep');
    expect(s.rows()).toBe(1);
    expect(link.pending.length + link.acked.length).toBe(0);
  });

  it('over the cap drops least important, oldest rows first, and keeps business rows', async () => {
    const link = createFakeLink('down');
    const s = setup({ sweepIntervalMs: 10, maxRows: 1000 }, link);
    for (let i = 0; i < 600; i++) s.sale(i, 0);
    for (let i = 0; i < 300; i++) s.sale(1000 + i, 3);
    for (let i = 0; i < 300; i++) s.sale(2000 + i, 5);
    const p = s.make();
    p.start();
    await until(() => p.stats().capDropped === 200, 'cap');
    const left = s.db
      .prepare(`SELECT priority, COUNT(*) AS n, json_extract(data, '$.receipt') AS first FROM outbox GROUP BY priority HAVING seq = MIN(seq) ORDER BY priority`)
      .all();
    expect(left).toEqual([
      { priority: 0, n: 600, first: 'R0' },
      { priority: 3, n: 300, first: 'R1000' },
      { priority: 5, n: 100, first: 'R2200' },
    ]);
    expect(p.stats().overCap).toBe(false);
    // Business rows alone over the cap: kept, and health says so.
    for (let i = 0; i < 1000; i++) s.sale(5000 + i, 0);
    await until(() => p.stats().overCap, 'over cap');
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE priority = 0').get()).toEqual({ n: 1600 });
    expect(p.health().detail).toMatch(/OVER CAP/);
  });

  it('waits while the link is down and resumes when it is back', async () => {
    const link = createFakeLink('down');
    // Counts the publisher's looks at the link, so the test waits until it has decided (three
    // times) not to send, instead of sleeping and hoping it looked.
    let looks = 0;
    const watched = Object.create(link, { state: { get: () => (looks++, link.state) } }) as typeof link;
    const s = setup({}, watched);
    for (let i = 0; i < 20; i++) s.sale(i);
    const p = s.make();
    p.start();
    await until(() => looks >= 3, 'the publisher to look at the link');
    expect(link.pending.length + link.acked.length).toBe(0);
    link.setState('up');
    await p.whenDrained();
    expect(s.receipts()).toHaveLength(20);
  });

  it('resends after a transient failure; sets aside a row the broker refuses for good', async () => {
    const link = createFakeLink();
    link.autoAck = false;
    const s = setup({ retryDelayMs: 1 }, link);
    for (let i = 0; i < 3; i++) s.sale(i);
    const p = s.make({ inFlight: 1 });
    p.start();
    await until(() => link.pending.length === 1);
    link.fail(); // transient: R0 again
    await until(() => link.pending.length === 1);
    expect(JSON.parse(link.pending[0]!.payload).data.receipt).toBe('R0');
    link.ack();
    await until(() => link.pending.length === 1 && link.acked.length === 1);
    link.fail(0x87); // not authorised: R1 set aside
    await until(() => link.pending.length === 1);
    link.ack();
    await until(() => s.rows() === 0);
    expect(s.receipts()).toEqual(['R0', 'R2']);
    expect(s.db.prepare(`SELECT json_extract(data, '$.receipt') AS r, reason FROM sync_outbox_rejected`).all()).toEqual([
      { r: 'R1', reason: expect.stringMatching(/reason code 135/) },
    ]);
    expect(p.stats().rejected).toBe(1);
  });

  it('keeps rows nobody subscribed to (PUBACK 0x10) and pauses before sending them again', async () => {
    const link = createFakeLink();
    link.autoAck = false;
    const s = setup({ retryDelayMs: 30 }, link);
    for (let i = 0; i < 3; i++) s.sale(i);
    const p = s.make({ inFlight: 3 });
    p.start();
    await until(() => link.pending.length === 3);
    for (let i = 0; i < 3; i++) link.fail(0x10);
    expect(s.rows()).toBe(3);
    await until(() => link.pending.length === 3, 'sent again after the pause');
    link.ack();
    await until(() => s.rows() === 0);
    expect(s.receipts()).toEqual(['R0', 'R1', 'R2']);
  });

  it('keeps to maxEventsPerSecond (token bucket, a tenth of a second of burst)', async () => {
    let mono = 0;
    const link = createFakeLink();
    const db = new Database(':memory:');
    ensureOutboxTable(db);
    const writer = createOutboxWriter(db);
    for (let i = 0; i < 100; i++) writer.append({ event: SaleCompleted, data: { receipt: `R${i}`, pointsAwarded: 1 }, at: T0 });
    const p = createOutboxPublisher({ db, link, address, clock: { now: () => T0, monotonic: () => mono }, maxEventsPerSecond: 100, idlePollMs: 10 });
    try {
      p.start();
      await until(() => link.acked.length === 10, 'the first burst');
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(link.acked.length).toBe(10);
      mono += 50; // half a burst's worth of time
      p.notify();
      await until(() => link.acked.length === 15, 'five more');
      mono += 10_000;
      p.notify();
      await until(() => link.acked.length === 25, 'one burst, not a flood');
    } finally {
      await p.stop();
      db.close();
    }
  });

  it('sets aside rows that cannot be sent (bad JSON, oversized)', async () => {
    const s = setup({ maxPayloadBytes: 2048 });
    s.db
      .prepare(
        `INSERT INTO outbox (id, type, time, data, priority) VALUES ('01J9Z3K8Q2ABCDEFGHJKMNPQRS', 'trouw.sale.completed.v1', '2025-03-01T10:00:00.000Z', '{broken', 0)`,
      )
      .run();
    s.writer.append({ event: SaleCompleted, data: { receipt: 'big', pointsAwarded: 1, note: 'x'.repeat(4000) }, at: T0 });
    s.sale(1);
    const p = s.make();
    p.start();
    await p.whenDrained();
    expect(s.receipts()).toEqual(['R1']);
    expect(p.stats().rejected).toBe(2);
  });

  it('after a restart resends what was not acknowledged, with the same ids', async () => {
    const link = createFakeLink();
    link.autoAck = false;
    const s = setup({}, link);
    for (let i = 0; i < 6; i++) s.sale(i);
    const p1 = s.make({ inFlight: 4 });
    p1.start();
    await until(() => link.pending.length === 4);
    const firstIds = link.pending.map((m) => JSON.parse(m.payload).id);
    link.ack(2);
    await until(() => s.rows() === 4);
    await p1.stop();
    const link2 = createFakeLink();
    const p2 = createOutboxPublisher({ db: s.db, link: link2, address, idlePollMs: 10 });
    await routeAcks(link2, p2, address);
    p2.start();
    await p2.whenDrained();
    await p2.stop();
    const resent = link2.acked.map((m) => JSON.parse(m.payload));
    expect(resent.map((e) => e.data.receipt)).toEqual(['R2', 'R3', 'R4', 'R5']);
    expect(resent.slice(0, 2).map((e) => e.id)).toEqual(firstIds.slice(2, 4));
  });
});
