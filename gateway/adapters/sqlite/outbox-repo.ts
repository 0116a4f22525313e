/**
 * The outbox (DESIGN.md §8). Rows are appended in the transaction of the change they report;
 * the publisher reads them in `seq` order and deletes a row only after the broker's PUBACK.
 */
import type { Db } from './open-database';

/** Priority 0 is for business events (sales, points); higher numbers are less important. */
export const PRIORITY_BUSINESS = 0;

export interface OutboxEvent {
  /** CloudEvents id (ULID). */
  id: string;
  /** `trouw.{noun}.{verb}.v1` */
  type: string;
  subject: string | null;
  /** RFC 3339 time of the change. */
  time: string;
  data: unknown;
  priority?: number;
  /** Epoch ms after which the event may be dropped unsent (telemetry); null keeps it. */
  expiresAt?: number | null;
}

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

const COLS = 'seq, id, type, subject, time, data, priority, expires_at AS expiresAt';

export function createOutboxRepo(db: Db) {
  const insert = db.prepare<[string, string, string | null, string, string, number, number | null]>(
    'INSERT INTO outbox (id, type, subject, time, data, priority, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const after = db.prepare<[number, number], OutboxRow>(`SELECT ${COLS} FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`);
  const remove = db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?');
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox');

  return {
    /** Appends an event; returns its seq. Call inside the transaction of the change. */
    append: (e: OutboxEvent): number =>
      Number(
        insert.run(e.id, e.type, e.subject, e.time, JSON.stringify(e.data), e.priority ?? PRIORITY_BUSINESS, e.expiresAt ?? null)
          .lastInsertRowid,
      ),
    /** Rows after `seq`, in order (the publisher's read). */
    after: (seq: number, limit: number): OutboxRow[] => after.all(seq, limit),
    remove: (seq: number): void => {
      remove.run(seq);
    },
    count: (): number => count.get()!.n,
  };
}
export type OutboxRepo = ReturnType<typeof createOutboxRepo>;
