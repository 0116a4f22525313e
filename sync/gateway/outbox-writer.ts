/**
 * The one way a row gets into the outbox (DESIGN.md §8). A producer names the event's
 * definition from sync/schemas/ and gives its data and the time of the change; the writer
 * builds the rest (ULID id, RFC 3339 time, the type's priority) and checks the data against
 * the type's schema before the row is written, so an event HQ would dead-letter fails at the
 * producer, inside its transaction, and the change it reports rolls back with it.
 *
 * Call it inside the transaction of the change (the sale, its idempotency record and its
 * event commit together, DESIGN.md §7).
 */
import type { Database } from 'better-sqlite3';
import type { Static, TSchema } from '@sinclair/typebox';
import { monotonicFactory } from 'ulid';
import { fault } from '../../gateway/core/faults';
import { check, describeProblems } from '../schemas/check';
import { isCatalogued, type EventDefinition } from '../schemas/catalogue';
import { signalOutboxAppended } from './outbox-signal';

/** Business rows (priority ≤ this) never expire and are never dropped (sync.outbox.businessMaxPriority). */
export const BUSINESS_MAX_PRIORITY = 1;

export interface OutboxEvent<S extends TSchema = TSchema> {
  event: EventDefinition<S>;
  /** Checked against `event.data`; schemas are open, so extra fields are allowed. */
  data: Static<S> & Record<string, unknown>;
  /** Epoch ms of the change: the event's `time`. */
  at: number;
  subject?: string | null | undefined;
  /** Default: the type's priority. */
  priority?: number | undefined;
  /** Only for non-business rows (presence detail): epoch ms after which the row may be dropped. */
  expiresAt?: number | null | undefined;
}

/** A row as the publisher reads it. */
export interface OutboxRow {
  seq: number;
  id: string;
  type: string;
  subject: string | null;
  time: string;
  /** JSON text. */
  data: string;
  priority: number;
  expiresAt: number | null;
}

export interface OutboxWriter {
  /** Appends one row; returns its seq. Throws a `Fault` when the event is not the catalogue's or its data fails the schema. */
  append<S extends TSchema>(e: OutboxEvent<S>): number;
}

export interface OutboxWriterOptions {
  /** The id of the next event. Default: a monotonic ULID at the event's time. */
  newId?: (() => string) | undefined;
  businessMaxPriority?: number | undefined;
}

const hasFloor = (db: Database): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox_floor'").get() !== undefined;

export function createOutboxWriter(db: Database, opts: OutboxWriterOptions = {}): OutboxWriter {
  const businessMax = opts.businessMaxPriority ?? BUSINESS_MAX_PRIORITY;
  const nextUlid = opts.newId ? undefined : monotonicFactory();
  const insert = db.prepare<[string, string, string | null, string, string, number, number | null]>(
    hasFloor(db)
      ? // Migration 009: no AUTOINCREMENT (its sqlite_sequence was one more page per sale); the
        // seq is still never reused: above every row's and above the floor of deleted newest rows.
        `INSERT INTO outbox (seq, id, type, subject, time, data, priority, expires_at)
         VALUES (max(coalesce((SELECT max(seq) FROM outbox), 0), coalesce((SELECT seq FROM outbox_floor WHERE k = 1), 0)) + 1, ?, ?, ?, ?, ?, ?, ?)`
      : // An outbox made by OUTBOX_DDL (tests, demo): AUTOINCREMENT gives the seq.
        'INSERT INTO outbox (id, type, subject, time, data, priority, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    append(e) {
      const def = e.event as unknown as EventDefinition;
      if (!isCatalogued(def)) throw fault('TROUW_OUTBOX_UNKNOWN_EVENT', def.type);
      const valid = check(def.data, e.data);
      if (!valid.ok) throw fault('TROUW_OUTBOX_EVENT_INVALID', `${def.type}: ${describeProblems(valid.problems)}`);
      const priority = e.priority ?? def.priority;
      const expiresAt = e.expiresAt ?? null;
      if (expiresAt !== null && priority <= businessMax) throw fault('TROUW_OUTBOX_BUSINESS_EXPIRY', `${def.type}, priority ${priority}`);
      const id = opts.newId ? opts.newId() : nextUlid!(e.at);
      const r = insert.run(id, def.type, e.subject ?? null, new Date(e.at).toISOString(), JSON.stringify(e.data), priority, expiresAt);
      // The publisher looks on the next turn, after this transaction ended (./outbox-signal.ts).
      signalOutboxAppended(db);
      return Number(r.lastInsertRowid);
    },
  };
}
