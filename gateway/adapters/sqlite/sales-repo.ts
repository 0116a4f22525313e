/** Sales and their returns (refunds, voids). Statements are prepared once per repo. */
import type { Db } from './open-database';

export interface StoredSaleLine {
  sku: string;
  category: string;
  qty: number;
  amountCents: number;
  points: number;
}

export interface SaleRow {
  id: number;
  receipt: string;
  memberId: string | null;
  memberNumber: string | null;
  lane: string;
  at: number;
  businessDate: string;
  totalCents: number;
  eligibleCents: number;
  points: number;
  /** JSON StoredSaleLine[] */
  lines: string;
  /** JSON number[] (returned qty per line) or null. */
  returned: string | null;
  voidedAt: number | null;
  requestHash: string;
  response: string;
  receivedAt: number;
}

export type NewSale = Omit<SaleRow, 'id' | 'returned' | 'voidedAt'>;

export type ReturnKind = 'refund' | 'void';

export interface ReturnRow {
  id: number;
  kind: ReturnKind;
  receipt: string;
  saleId: number;
  memberId: string | null;
  lane: string;
  at: number;
  businessDate: string;
  /** JSON */
  lines: string;
  pointsReversed: number;
  deficit: number;
  requestHash: string;
  response: string;
}

const SALE_COLS = `id, receipt, member_id AS memberId, member_number AS memberNumber, lane, at,
  business_date AS businessDate, total_cents AS totalCents, eligible_cents AS eligibleCents, points,
  lines, returned, voided_at AS voidedAt, request_hash AS requestHash, response, received_at AS receivedAt`;
const RETURN_COLS = `id, kind, receipt, sale_id AS saleId, member_id AS memberId, lane, at, business_date AS businessDate,
  lines, points_reversed AS pointsReversed, deficit, request_hash AS requestHash, response`;

export interface DayTotals {
  sales: number;
  refunds: number;
  pointsAwarded: number;
  pointsReversed: number;
}

export function createSalesRepo(db: Db) {
  const byReceipt = db.prepare<[string], SaleRow>(`SELECT ${SALE_COLS} FROM sales WHERE receipt = ?`);
  // Positional parameters: binding a named-parameter object costs more on every sale.
  const insert = db.prepare<[string, string | null, string | null, string, number, string, number, number, number, string, string, string, number]>(
    `INSERT INTO sales (receipt, member_id, member_number, lane, at, business_date, total_cents, eligible_cents, points,
       lines, request_hash, response, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const setReturned = db.prepare<[string, number | null, number]>('UPDATE sales SET returned = ?, voided_at = ? WHERE id = ?');
  const returnByKey = db.prepare<[string, string], ReturnRow>(`SELECT ${RETURN_COLS} FROM returns WHERE kind = ? AND receipt = ?`);
  const insertReturn = db.prepare<[string, string, number, string | null, string, number, string, string, number, number, string, string]>(
    `INSERT INTO returns (kind, receipt, sale_id, member_id, lane, at, business_date, lines, points_reversed, deficit,
       request_hash, response)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const salesOn = db.prepare<[string], { n: number; points: number | null }>('SELECT count(*) AS n, sum(points) AS points FROM sales WHERE business_date = ?');
  const returnsOn = db.prepare<[string], { n: number; points: number | null }>(
    'SELECT count(*) AS n, sum(points_reversed) AS points FROM returns WHERE business_date = ?',
  );

  return {
    byReceipt: (receipt: string): SaleRow | undefined => byReceipt.get(receipt),
    /** Inserts a sale; returns its id. */
    insert: (s: NewSale): number =>
      Number(
        insert.run(
          s.receipt,
          s.memberId,
          s.memberNumber,
          s.lane,
          s.at,
          s.businessDate,
          s.totalCents,
          s.eligibleCents,
          s.points,
          s.lines,
          s.requestHash,
          s.response,
          s.receivedAt,
        ).lastInsertRowid,
      ),
    setReturned: (id: number, returnedQty: readonly number[], voidedAt: number | null): void => {
      setReturned.run(JSON.stringify(returnedQty), voidedAt, id);
    },
    returnByKey: (kind: ReturnKind, receipt: string): ReturnRow | undefined => returnByKey.get(kind, receipt),
    insertReturn: (r: Omit<ReturnRow, 'id'>): number =>
      Number(
        insertReturn.run(r.kind, r.receipt, r.saleId, r.memberId, r.lane, r.at, r.businessDate, r.lines, r.pointsReversed, r.deficit, r.requestHash, r.response)
          .lastInsertRowid,
      ),
    /** Counts for one store-local business date (index on business_date). */
    dayTotals: (date: string): DayTotals => {
      const s = salesOn.get(date)!;
      const r = returnsOn.get(date)!;
      return { sales: s.n, refunds: r.n, pointsAwarded: s.points ?? 0, pointsReversed: r.points ?? 0 };
    },
  };
}
export type SalesRepo = ReturnType<typeof createSalesRepo>;
