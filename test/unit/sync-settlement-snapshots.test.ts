import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore, IngestedEvent } from '../../sync/hq/store';
import { createSnapshotFeeder, memberOf } from '../../sync/hq/settlement-snapshots';

const stores: HqStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const T0 = Date.parse('2026-11-20T10:00:00Z');
const event = (store: string, id: string, minutes: number, type: string, data: Record<string, unknown>): IngestedEvent => ({
  source: `/stores/${store}/gw-1`,
  id,
  store,
  gateway: 'gw-1',
  type,
  time: new Date(T0 + minutes * 60_000).toISOString(),
  timeMs: T0 + minutes * 60_000,
  subject: null,
  member: null,
  pointsDelta: null,
  data: JSON.stringify(data),
  receivedAt: T0,
});

describe('member snapshots on activity', () => {
  it('memberOf: a member active in a store, not HQ bookkeeping', () => {
    expect(memberOf({ type: 'trouw.points.spent.v1', data: { memberNumber: 'M-1', points: 5 } })).toBe('M-1');
    expect(memberOf({ type: 'trouw.command.applied.v1', data: { commandId: 'x' } })).toBeNull();
    expect(memberOf({ type: 'trouw.points.adjusted.v1', data: { memberNumber: 'M-1', points: 5 } })).toBeNull();
  });

  it('sends each (member, gateway) one snapshot per interval, and only for new events', async () => {
    const store = openSqliteHqStore(':memory:');
    stores.push(store);
    await store.migrate();
    const spent = (s: string, id: string, min: number, member: string) =>
      event(s, id, min, 'trouw.points.spent.v1', { memberId: 'x', memberNumber: member, points: 5, receipt: 'r', lane: 'l', amountCents: 5 });
    await store.insertEvents([
      spent('store-a', '01', 0, 'M-1'),
      spent('store-a', '02', 1, 'M-1'),
      spent('store-b', '03', 2, 'M-1'),
      spent('store-a', '04', 3, 'M-2'),
    ]);
    const calls: string[] = [];
    let t = T0;
    const feeder = createSnapshotFeeder({
      store,
      clock: () => t,
      minIntervalMs: 60_000,
      settlement: { sendSnapshot: async (member, to) => (calls.push(`${member}@${to.store}`), { ok: true, commandId: 'c' }) },
    });
    expect(await feeder.pump()).toBe(3);
    expect(calls).toEqual(['M-1@store-a', 'M-1@store-b', 'M-2@store-a']);
    expect(await feeder.pump()).toBe(0);
    await store.insertEvents([spent('store-a', '05', 4, 'M-1')]);
    expect(await feeder.pump()).toBe(0);
    t += 60_000;
    await store.insertEvents([spent('store-a', '06', 5, 'M-1')]);
    expect(await feeder.pump()).toBe(1);
    expect(feeder.stats()).toMatchObject({ seen: 6, sent: 4, skipped: 2, failed: 0 });
  });
});
