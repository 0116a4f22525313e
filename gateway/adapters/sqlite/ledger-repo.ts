/** Ledger entries (append-only) and points lots. Statements are prepared once per repo. */
import type { Db } from './open-database';

export type EntryKind = 'earn' | 'burn' | 'expire' | 'adjust' | 'reverse';

export interface LedgerEntry {
  id: string;
  /** Idempotency key, unique per member (primary key with the member, migration 008), e.g. `sale:42:earn`. */
  key: string;
  memberId: string;
  kind: EntryKind;
  /** Signed change of the balance. */
  points: number;
  /** Signed change of the deficit. */
  deficitDelta: number;
  saleId: number | null;
  reason: string | null;
  at: number;
}

export interface LotRow {
  id: string;
  memberId: string;
  saleId: number | null;
  earned: number;
  remaining: number;
  expiresOn: string;
  createdAt: number;
}

const LOT_COLS = 'id, member_id AS memberId, sale_id AS saleId, earned, remaining, expires_on AS expiresOn, created_at AS createdAt';

export function createLedgerRepo(db: Db) {
  const insertEntry = db.prepare<[string, string, string, string, number, number, number | null, string | null, number]>(
    `INSERT INTO ledger_entries (member_id, id, key, kind, points, deficit_delta, sale_id, reason, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertLot = db.prepare<[string, string, number | null, number, number, string, number]>(
    'INSERT INTO point_lots (member_id, id, sale_id, earned, remaining, expires_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const openLots = db.prepare<[string], LotRow>(`SELECT ${LOT_COLS} FROM point_lots WHERE member_id = ? AND remaining > 0 ORDER BY expires_on, id`);
  const setRemaining = db.prepare<[number, string, string]>('UPDATE point_lots SET remaining = ? WHERE member_id = ? AND id = ?');
  const lotsAfter = db.prepare<[string, string, number], LotRow>(
    `SELECT ${LOT_COLS} FROM point_lots WHERE (member_id, id) > (?, ?) ORDER BY member_id, id LIMIT ?`,
  );
  const entriesOf = db.prepare<[string], LedgerEntry>(
    `SELECT id, key, member_id AS memberId, kind, points, deficit_delta AS deficitDelta, sale_id AS saleId, reason, at
       FROM ledger_entries WHERE member_id = ? ORDER BY id`,
  );
  const keyExists = db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM ledger_entries WHERE member_id = ? AND key = ?');

  return {
    insertEntry: (e: LedgerEntry): void => {
      insertEntry.run(e.memberId, e.id, e.key, e.kind, e.points, e.deficitDelta, e.saleId, e.reason, e.at);
    },
    insertLot: (l: LotRow): void => {
      insertLot.run(l.memberId, l.id, l.saleId, l.earned, l.remaining, l.expiresOn, l.createdAt);
    },
    /** A member's lots that still hold points, oldest-expiring first (one primary-key range). */
    openLots: (memberId: string): LotRow[] => openLots.all(memberId),
    setLotRemaining: (memberId: string, lotId: string, remaining: number): void => {
      setRemaining.run(remaining, memberId, lotId);
    },
    /** Up to `limit` lots after (memberId, lotId) in primary-key order: a resumable walk for batch jobs. */
    lotsAfter: (memberId: string, lotId: string, limit: number): LotRow[] => lotsAfter.all(memberId, lotId, limit),
    entriesOf: (memberId: string): LedgerEntry[] => entriesOf.all(memberId),
    hasKey: (memberId: string, key: string): boolean => keyExists.get(memberId, key) !== undefined,
  };
}
export type LedgerRepo = ReturnType<typeof createLedgerRepo>;
