/**
 * Helpers shared by the sync tests and the benchmark: a gateway database with an outbox
 * filled with valid events of several types, and polling for readiness (no sleeps in tests).
 */
import Database from 'better-sqlite3';
import { ensureOutboxTable, ensureSyncTables } from '../gateway/tables';
import { createOutboxWriter } from '../gateway/outbox-writer';
import { Priority, type EventDefinition } from '../schemas/catalogue';
import { CardTapped } from '../schemas/card-events';
import { SaleCompleted, SaleRefunded } from '../schemas/till-events';

export async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 45_000, everyMs = 25): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A gateway database as the gateway opens it (WAL, synchronous FULL) with the agreed outbox. */
export function openGatewayDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  ensureOutboxTable(db);
  ensureSyncTables(db);
  return db;
}

/** The i-th test event: mostly sales, some refunds and card taps (priority 1). */
export function testEvent(i: number): { event: EventDefinition; data: Record<string, unknown>; priority: number } {
  const member = `M-${i % 97}`;
  if (i % 10 === 7) return { event: CardTapped, data: { lane: 'lane-1', kind: 'mifare-classic-1k', memberNumber: member }, priority: Priority.card };
  if (i % 10 === 9)
    return { event: SaleRefunded, data: { receipt: `F${i}`, original: `S${i - 1}`, memberNumber: member, pointsReversed: 1 }, priority: Priority.business };
  return {
    event: SaleCompleted,
    data: { receipt: `S${i}`, lane: 'lane-1', memberNumber: member, totalCents: 1000 + i, eligibleCents: 1000 + i, pointsAwarded: 10 + (i % 5) },
    priority: Priority.business,
  };
}

/** Appends `n` events in transactions of 1000; returns their ids in order. */
export function fillOutbox(db: Database.Database, n: number, opts: { start?: number; now?: number } = {}): string[] {
  const writer = createOutboxWriter(db);
  const start = opts.start ?? 0;
  const now = opts.now ?? Date.now();
  const seqs: number[] = [];
  for (let from = 0; from < n; from += 1000) {
    db.transaction(() => {
      for (let i = from; i < Math.min(n, from + 1000); i++) {
        const e = testEvent(start + i);
        // One millisecond apart, the last one at `now` (never in the future: HQ computes lag from it).
        seqs.push(writer.append({ ...e, at: now - n + i + 1 }));
      }
    })();
  }
  const ids = db
    .prepare(`SELECT id FROM outbox WHERE seq >= ? ORDER BY seq`)
    .pluck()
    .all(seqs[0] ?? 0) as string[];
  return ids.slice(0, n);
}

export const outboxCount = (db: Database.Database): number => db.prepare('SELECT COUNT(*) FROM outbox').pluck().get() as number;
