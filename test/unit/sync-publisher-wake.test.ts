import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createOutboxPublisher, type OutboxPublisher } from '../../sync/gateway/publisher';
import { createFakeLink } from '../../sync/gateway/fake-link';
import { routeAcks } from '../../sync/gateway/ack-route';
import { ensureOutboxTable, ensureSyncTables } from '../../sync/gateway/tables';
import { createOutboxWriter } from '../../sync/gateway/outbox-writer';
import { onOutboxAppended } from '../../sync/gateway/outbox-signal';
import { SaleCompleted } from '../../sync/schemas/till-events';

const address = { store: 'store-a', gateway: 'gw-1' };
/** An idle poll that never comes within a test: only the writer's signal can wake the publisher. */
const NEVER = 3_600_000;
const turn = () => new Promise<void>((r) => setImmediate(r));
/** Event-loop turns, not time: the publisher's work is setImmediate slices and microtasks. */
async function turnsUntil(cond: () => boolean, what: string) {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await turn();
  }
  throw new Error(`not after 500 event-loop turns: ${what}`);
}

function setup() {
  const db = new Database(':memory:');
  ensureOutboxTable(db);
  ensureSyncTables(db);
  const writer = createOutboxWriter(db);
  const sale = (i: number) => writer.append({ event: SaleCompleted, data: { receipt: `R${i}`, pointsAwarded: i }, at: Date.now() });
  return { db, writer, sale };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('outbox writer wakes the publisher', () => {
  it('a committed row is sent at once, without the idle poll', async () => {
    const { db, sale } = setup();
    const link = createFakeLink();
    const p: OutboxPublisher = createOutboxPublisher({ db, link, address, idlePollMs: NEVER, deleteAfterMs: 1 });
    await routeAcks(link, p, address);
    cleanups.push(async () => {
      await p.stop();
      db.close();
    });
    p.start();
    for (let i = 0; i < 5; i++) await turn(); // the first look found nothing; next poll in an hour
    expect(link.acked.length).toBe(0);
    db.transaction(() => sale(1))();
    await turnsUntil(() => p.stats().confirmed === 1, 'the sale sent and acknowledged by HQ');
    expect(link.acked.map((m) => (JSON.parse(m.payload) as { data: { receipt: string } }).data.receipt)).toEqual(['R1']);
  });

  it('a rolled-back row wakes it for nothing: it is never sent', async () => {
    const { db, sale } = setup();
    const link = createFakeLink();
    const p = createOutboxPublisher({ db, link, address, idlePollMs: NEVER });
    await routeAcks(link, p, address);
    cleanups.push(async () => {
      await p.stop();
      db.close();
    });
    let wakes = 0;
    const off = onOutboxAppended(db, () => wakes++);
    cleanups.push(() => void off());
    p.start();
    expect(() =>
      db.transaction(() => {
        sale(1);
        throw new Error('the sale failed');
      })(),
    ).toThrow('the sale failed');
    await turnsUntil(() => wakes === 1, 'the wake');
    for (let i = 0; i < 20; i++) await turn();
    expect(link.acked.length + link.pending.length).toBe(0);
    db.transaction(() => sale(2))();
    await turnsUntil(() => link.acked.length === 1, 'the committed sale');
    expect(JSON.parse(link.acked[0]!.payload).data.receipt).toBe('R2');
  });

  it('coalesces: one wake per event-loop turn however many rows, none while a transaction is open', async () => {
    const { db, sale } = setup();
    cleanups.push(() => void db.close());
    let wakes = 0;
    const off = onOutboxAppended(db, () => wakes++);
    cleanups.push(() => void off());
    db.transaction(() => {
      for (let i = 0; i < 32; i++) sale(i);
    })();
    sale(100);
    sale(101);
    expect(wakes).toBe(0); // never inside the writer's call
    await turn();
    await turn();
    expect(wakes).toBe(1);
    // A transaction held open across turns (manual BEGIN): the wake waits for its end.
    db.exec('BEGIN');
    sale(200);
    for (let i = 0; i < 5; i++) await turn();
    expect(wakes).toBe(1);
    db.exec('COMMIT');
    await turnsUntil(() => wakes === 2, 'the wake after COMMIT');
    for (let i = 0; i < 5; i++) await turn();
    expect(wakes).toBe(2);
  });

  it('a stopped publisher stops listening', async () => {
    const { db, sale } = setup();
    const link = createFakeLink();
    const p = createOutboxPublisher({ db, link, address, idlePollMs: NEVER });
    p.start();
    await p.stop();
    db.transaction(() => sale(1))();
    for (let i = 0; i < 10; i++) await turn();
    expect(link.acked.length + link.pending.length).toBe(0);
    db.close();
  });
});
