/**
 * "Rows were appended to the outbox": the writer says so, the publisher listens, so a sale
 * reaches HQ without waiting for the publisher's idle poll (measured before: sale → HQ ack
 * p50/p99 86/231 ms, mostly that 250 ms poll). Keyed by the Database object, because every
 * capability makes its own writer (./outbox-writer.ts) on the gateway's one connection.
 *
 * The writer appends inside the producer's transaction, which may still roll back, so
 * listeners are called later, on the next turn of the event loop (setImmediate), once per
 * turn however many rows were appended (a group commit of 32 sales is one wake). better-sqlite3
 * transactions are synchronous, so by then the transaction has committed or rolled back; if
 * the connection is somehow still inside one, the call waits another turn (a publisher on the
 * same connection would otherwise read rows that are not committed). A wake for a rolled-back
 * row costs one empty read. The publisher keeps its idle poll as the fallback: writes from
 * another connection or process are not signalled.
 */
import type { Database } from 'better-sqlite3';

interface Channel {
  listeners: Set<() => void>;
  scheduled: boolean;
}

const channels = new WeakMap<Database, Channel>();

function channel(db: Database): Channel {
  let c = channels.get(db);
  if (!c) {
    c = { listeners: new Set(), scheduled: false };
    channels.set(db, c);
  }
  return c;
}

/** Calls `listener` after rows were appended to `db`'s outbox (at most once per event-loop turn). Returns the unsubscribe. */
export function onOutboxAppended(db: Database, listener: () => void): () => void {
  const c = channel(db);
  c.listeners.add(listener);
  return () => c.listeners.delete(listener);
}

/** The outbox writer calls this after each append (inside the producer's transaction). */
export function signalOutboxAppended(db: Database): void {
  const c = channels.get(db);
  if (!c || !c.listeners.size || c.scheduled) return;
  c.scheduled = true;
  const fire = () => {
    if (db.open && db.inTransaction) {
      setImmediate(fire);
      return;
    }
    c.scheduled = false;
    for (const l of [...c.listeners]) l();
  };
  setImmediate(fire);
}
