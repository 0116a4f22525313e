/**
 * `HqStore.memberPointsActivity`, the settlement scheduler's query, against both stores
 * (STYLE.md §2): counts, distinct gateways, receive-time filter and keyset paging agree.
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
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-hq-activity-'));
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.parse('2026-01-01T00:00:00Z');
let n = 0;
function ev(store: string, member: string | null, pointsDelta: number | null, receivedAt: number): IngestedEvent {
  return {
    source: `/stores/${store}/gw-1`,
    id: `01JACT${String(++n).padStart(20, '0')}`,
    store,
    gateway: 'gw-1',
    type: 'trouw.sale.completed.v1',
    time: new Date(T).toISOString(),
    timeMs: T,
    subject: null,
    member,
    pointsDelta,
    data: '{}',
    receivedAt,
  };
}

describe.each([
  ['sqlite', () => join(dir, 'hq.db')],
  ['postgres', () => pg.createDatabase('hq_activity')],
])('memberPointsActivity: %s', (_kind, url) => {
  let store: HqStore;
  beforeAll(async () => {
    store = await openHqStore(url());
    await store.insertEvents([
      ev('store-a', 'M-1', 10, T),
      ev('store-b', 'M-1', -5, T),
      ev('store-b', 'M-1', 3, T + 1000),
      ev('store-a', 'M-2', 4, T),
      ev('store-a', 'M-3', null, T + 5000), // not a points event
      ev('store-a', null, 7, T + 5000), // not attributed
      ev('store-c', 'M-4', 1, T + 5000),
    ]);
  });
  afterAll(async () => store?.close());

  it("counts each member's points events and the gateways they came from", async () => {
    expect(await store.memberPointsActivity({ limit: 10 })).toEqual([
      { member: 'M-1', pointsEvents: 3, gateways: 2 },
      { member: 'M-2', pointsEvents: 1, gateways: 1 },
      { member: 'M-4', pointsEvents: 1, gateways: 1 },
    ]);
  });

  it('receivedSinceMs picks members by receive time but counts all their events', async () => {
    expect(await store.memberPointsActivity({ limit: 10, receivedSinceMs: T + 1000 })).toEqual([
      { member: 'M-1', pointsEvents: 3, gateways: 2 },
      { member: 'M-4', pointsEvents: 1, gateways: 1 },
    ]);
    expect(await store.memberPointsActivity({ limit: 10, receivedSinceMs: T + 6000 })).toEqual([]);
  });

  it('pages by member', async () => {
    const p1 = await store.memberPointsActivity({ limit: 2 });
    const p2 = await store.memberPointsActivity({ limit: 2, afterMember: p1[1]!.member });
    expect([...p1, ...p2].map((m) => m.member)).toEqual(['M-1', 'M-2', 'M-4']);
  });
});
