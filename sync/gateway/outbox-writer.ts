/**
 * Writing an outbox row. The ledger writes its rows inside its own transaction (the sale,
 * its idempotency record and its event commit together, DESIGN.md §7); this helper gives
 * every producer the same id, time and priority rules. Call it inside that transaction.
 */
import type { Database } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { eventDefinition } from '../schemas/events';

const nextUlid = monotonicFactory();

export interface OutboxEvent {
  type: string;
  data: unknown;
  subject?: string;
  /** Default: the priority registered for the type (business 0). */
  priority?: number;
  /** Only for non-business rows (presence detail): epoch ms after which the row may be dropped. */
  expiresAt?: number;
}

export interface OutboxWriter {
  /** Appends one row; returns its seq. `now` is epoch ms (the event's time). */
  append(ev: OutboxEvent, now: number): number;
}

export function createOutboxWriter(db: Database, opts: { businessMaxPriority?: number } = {}): OutboxWriter {
  const businessMax = opts.businessMaxPriority ?? 1;
  const insert = db.prepare(
    'INSERT INTO outbox (id, type, subject, time, data, priority, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    append(ev, now) {
      const def = eventDefinition(ev.type);
      const priority = ev.priority ?? def?.priority ?? 0;
      if (ev.expiresAt !== undefined && priority <= businessMax) {
        throw new Error(`outbox: a business event (${ev.type}, priority ${priority}) cannot expire`);
      }
      const r = insert.run(nextUlid(now), ev.type, ev.subject ?? null, new Date(now).toISOString(), JSON.stringify(ev.data), priority, ev.expiresAt ?? null);
      return Number(r.lastInsertRowid);
    },
  };
}
