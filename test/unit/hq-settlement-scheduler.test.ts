/**
 * The HQ settlement scheduler (sync/hq/settlement-scheduler.ts) with an injected clock and an
 * injected ticker: every run is started by the test, so nothing here waits on real time.
 * HQ storage is the real SQLite store in memory, settlement the real service over a broker
 * link that records what it would publish.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore, IngestedEvent } from '../../sync/hq/store';
import { createSettlementService, type SettleOutcome } from '../../sync/hq/settlement-service';
import { createSettlementScheduler, type SettlementSchedulerOptions } from '../../sync/hq/settlement-scheduler';
import type { BrokerLink } from '../../sync/gateway/broker-link';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const MIN = 60_000;
const silent = pino({ level: 'silent' });
/** What a stub settlement answers: nothing to move, nobody to tell. */
const quietOutcome = (): SettleOutcome => ({ settlement: { balance: 0, debt: 0, asOf: T0, lines: [], stores: [] }, sent: [], failed: [] });

/** Publishes recorded as `{store}:{command}:{member}`; a store in `refuse` fails its publishes. */
function recordingLink(refuse = new Set<string>()) {
  const sent: string[] = [];
  const link: BrokerLink = {
    state: 'up',
    protocolVersion: 5,
    serverReceiveMaximum: undefined,
    async publish(topic, payload) {
      const store = topic.split('/')[2]!;
      if (refuse.has(store)) throw new Error(`${store} unreachable`);
      const e = JSON.parse(String(payload)) as { type: string; data: { member: string } };
      sent.push(`${store}:${e.type.split('.')[2]}:${e.data.member}`);
    },
    subscribe: async () => undefined,
    setHandler: () => undefined,
    onState: () => () => undefined,
    health: () => ({ name: 'fake', state: 'up', detail: '' }) as never,
    close: async () => undefined,
  };
  return { link, sent, refuse };
}

let seq = 0;
/** A points event as the ingest stores it (member and pointsDelta derived, received at `receivedAt`). */
function spent(store: string, member: string, points: number, o: { minute?: number; receivedAt?: number } = {}): IngestedEvent {
  const timeMs = T0 + (o.minute ?? seq) * MIN;
  const id = `01JSCHED${String(++seq).padStart(18, '0')}`;
  const data = { memberId: 'local', memberNumber: member, receipt: `R${seq}`, lane: 'lane-1', points, amountCents: points, balance: 0 };
  return {
    source: `/stores/${store}/gw-1`,
    id,
    store,
    gateway: 'gw-1',
    type: 'trouw.points.spent.v1',
    time: new Date(timeMs).toISOString(),
    timeMs,
    subject: null,
    member,
    pointsDelta: -points,
    data: JSON.stringify(data),
    receivedAt: o.receivedAt ?? timeMs,
  };
}
const earned = (store: string, member: string, points: number, o: { minute?: number; receivedAt?: number } = {}): IngestedEvent => {
  const e = spent(store, member, points, o);
  return {
    ...e,
    type: 'trouw.sale.completed.v1',
    pointsDelta: points,
    data: JSON.stringify({ receipt: `S${seq}`, pointsAwarded: points, memberNumber: member }),
  };
};

const open: { store: HqStore; db: Database.Database }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.store.close();
    o.db.close();
  }
});

async function setup(over: Partial<SettlementSchedulerOptions> = {}) {
  const store = openSqliteHqStore(':memory:');
  await store.migrate();
  const db = new Database(':memory:');
  open.push({ store, db });
  let now = T0;
  const clock = { now: () => now, set: (t: number) => (now = t) };
  const rec = recordingLink();
  const settlement = createSettlementService({ store, db, link: rec.link, clock: clock.now });
  const scheduler = createSettlementScheduler({ store, db, settlement, clock: clock.now, logger: silent, every: () => () => undefined, ...over });
  return { store, db, clock, rec, settlement, scheduler };
}

describe('settlement scheduler', () => {
  it('settles members seen at more than one gateway, once; new events (even old ones, late) settle again', async () => {
    const { store, clock, rec, settlement, scheduler } = await setup();
    await store.insertEvents([
      earned('store-a', 'M-1', 1000, { minute: 0 }),
      spent('store-a', 'M-1', 800, { minute: 5 }),
      spent('store-b', 'M-1', 800, { minute: 6 }),
      earned('store-a', 'M-2', 50, { minute: 1 }),
      spent('store-a', 'M-2', 20, { minute: 2 }), // one gateway only: its store already agrees
    ]);
    clock.set(T0 + 10 * MIN);
    const first = await scheduler.tick();
    expect(first).toMatchObject({ skipped: false, settled: ['M-1'], failed: [] });
    expect(rec.sent.sort()).toEqual(['store-a:settle-member:M-1', 'store-b:settle-member:M-1']);
    expect(settlement.account('M-1')).toMatchObject({ balance: 0, debt: 600 });

    rec.sent.length = 0;
    clock.set(T0 + 11 * MIN);
    expect(await scheduler.tick()).toMatchObject({ settled: [], candidates: 0 });
    expect(rec.sent).toEqual([]);

    // store-b was offline: an event from minute 7 arrives now, behind the newest event time.
    clock.set(T0 + 12 * MIN);
    await store.insertEvents([earned('store-b', 'M-1', 100, { minute: 7, receivedAt: T0 + 12 * MIN })]);
    expect((await scheduler.tick()).settled).toEqual(['M-1']);
    expect(settlement.account('M-1')).toMatchObject({ balance: 0, debt: 500 });
    expect(rec.sent).toHaveLength(2);
  });

  it('finds an event whose commit was still in flight when the last run started (receive-time margin)', async () => {
    const { store, clock, scheduler } = await setup({ rescanMarginMs: 5 * MIN });
    await store.insertEvents([spent('store-a', 'M-1', 1, { minute: 0 }), spent('store-b', 'M-1', 1, { minute: 1 })]);
    clock.set(T0 + 100 * MIN);
    expect((await scheduler.tick()).settled).toEqual(['M-1']);
    // Stamped by an ingest before that run started, committed after it looked.
    await store.insertEvents([spent('store-a', 'M-1', 1, { minute: 2, receivedAt: T0 + 98 * MIN })]);
    clock.set(T0 + 101 * MIN);
    expect((await scheduler.tick()).settled).toEqual(['M-1']);
  });

  it('a tick while a run is in progress is skipped, not queued', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slow = {
      async settleMember(): Promise<SettleOutcome> {
        calls++;
        await gate;
        return quietOutcome();
      },
    };
    let fire!: () => void;
    const { store, scheduler } = await setup({ settlement: slow, every: (_ms, tick) => ((fire = tick), () => undefined) });
    await store.insertEvents([spent('store-a', 'M-1', 1), spent('store-b', 'M-1', 1)]);
    scheduler.start();
    const first = scheduler.tick();
    fire();
    expect(await scheduler.tick()).toMatchObject({ skipped: true });
    release();
    expect((await first).settled).toEqual(['M-1']);
    expect(calls).toBe(1);
    expect(scheduler.stats()).toMatchObject({ runs: 1, skipped: 2, settled: 1 });
  });

  it('a gateway that could not be told keeps the member due: the next run tries again', async () => {
    const { store, rec, scheduler } = await setup();
    await store.insertEvents([spent('store-a', 'M-1', 1, { minute: 0 }), spent('store-b', 'M-1', 1, { minute: 1 })]);
    rec.refuse.add('store-b');
    expect(await scheduler.tick()).toMatchObject({ settled: [], failed: ['M-1'] });
    rec.refuse.clear();
    expect((await scheduler.tick()).settled).toEqual(['M-1']);
    expect((await scheduler.tick()).settled).toEqual([]);
  });

  it('pumps snapshots after the settlements, so they carry the new balance', async () => {
    const order: string[] = [];
    const { store, scheduler } = await setup({
      settlement: { settleMember: async (m) => (order.push(`settle ${m}`), quietOutcome()) },
      snapshots: { pump: async () => (order.push('snapshots'), 3) },
    });
    await store.insertEvents([spent('store-a', 'M-1', 1), spent('store-b', 'M-1', 1)]);
    expect((await scheduler.tick()).snapshots).toBe(3);
    expect(order).toEqual(['settle M-1', 'snapshots']);
  });

  it('skips ticks while not ready (broker link down)', async () => {
    let up = false;
    const { store, scheduler } = await setup({ ready: () => up });
    await store.insertEvents([spent('store-a', 'M-1', 1), spent('store-b', 'M-1', 1)]);
    expect(await scheduler.tick()).toMatchObject({ skipped: true });
    up = true;
    expect((await scheduler.tick()).settled).toEqual(['M-1']);
  });

  it('start ticks on the interval; stop cancels it, waits for the run in progress, and later ticks do nothing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let fire!: () => void;
    let interval = 0;
    let cancelled = false;
    const { store, scheduler } = await setup({
      intervalMs: 30_000,
      snapshots: { pump: () => gate.then(() => 0) },
      every: (ms, tick) => ((interval = ms), (fire = tick), () => (cancelled = true)),
    });
    await store.insertEvents([spent('store-a', 'M-1', 1), spent('store-b', 'M-1', 1)]);
    scheduler.start();
    expect(interval).toBe(30_000);
    fire();
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(cancelled).toBe(true);
    expect(stopped).toBe(false); // the run is still pumping snapshots
    release();
    await stopping;
    expect(scheduler.stats()).toMatchObject({ runs: 1, settled: 1 });
    expect(await scheduler.tick()).toMatchObject({ skipped: true });
  });
});
