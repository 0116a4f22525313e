/**
 * A consistency audit of the ledger, for crash tests and store IT: run it on a database
 * after a hard kill and every check must hold. Full scans; not for the till path.
 */
import type { Db } from './open-database';

export interface LedgerAudit {
  /** `PRAGMA integrity_check` → "ok" when the file is sound. */
  integrity: string;
  foreignKeyViolations: number;
  /** Every member's cached balance = Σ points of its ledger entries. */
  balancesMatchEntries: boolean;
  /** Every member's deficit = Σ deficit_delta of its ledger entries. */
  deficitsMatchEntries: boolean;
  /** Every member's balance = Σ remaining of its points lots. */
  lotsMatchBalances: boolean;
  /** Σ sales.points = Σ earn entries, and Σ returns.points_reversed = what reversals took plus added to deficit. */
  salesMatchEntries: boolean;
  negativeBalances: number;
  /** Up to 10 member ids that fail a check. */
  mismatchedMembers: string[];
  members: number;
  salesCount: number;
  returnsCount: number;
  entriesCount: number;
  lotsCount: number;
  outboxCount: number;
  tillRequestsCount: number;
  totalBalance: number;
  totalDeficit: number;
}

const one = <T>(db: Db, sql: string): T => db.prepare(sql).get() as T;

export function auditLedger(db: Db): LedgerAudit {
  const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  const foreignKeyViolations = (db.pragma('foreign_key_check') as unknown[]).length;

  const memberRows = db
    .prepare(
      `SELECT m.id, m.balance, m.deficit,
              coalesce(e.points, 0) AS entryPoints, coalesce(e.deficit, 0) AS entryDeficit,
              coalesce(l.remaining, 0) AS lotPoints
         FROM members m
         LEFT JOIN (SELECT member_id, sum(points) AS points, sum(deficit_delta) AS deficit
                      FROM ledger_entries GROUP BY member_id) e ON e.member_id = m.id
         LEFT JOIN (SELECT member_id, sum(remaining) AS remaining
                      FROM point_lots WHERE remaining > 0 GROUP BY member_id) l ON l.member_id = m.id`,
    )
    .all() as { id: string; balance: number; deficit: number; entryPoints: number; entryDeficit: number; lotPoints: number }[];

  let balancesMatchEntries = true;
  let deficitsMatchEntries = true;
  let lotsMatchBalances = true;
  let negativeBalances = 0;
  let totalBalance = 0;
  let totalDeficit = 0;
  const mismatched: string[] = [];
  for (const m of memberRows) {
    totalBalance += m.balance;
    totalDeficit += m.deficit;
    if (m.balance < 0) negativeBalances++;
    const b = m.balance === m.entryPoints;
    const d = m.deficit === m.entryDeficit;
    const l = m.balance === m.lotPoints;
    balancesMatchEntries &&= b;
    deficitsMatchEntries &&= d;
    lotsMatchBalances &&= l;
    if ((!b || !d || !l || m.balance < 0) && mismatched.length < 10) mismatched.push(m.id);
  }
  // Entries of members that no longer exist would escape the join above; foreign keys forbid them.

  const sales = one<{ n: number; points: number | null }>(db, 'SELECT count(*) AS n, sum(points) AS points FROM sales');
  const returns = one<{ n: number; points: number | null }>(db, 'SELECT count(*) AS n, sum(points_reversed) AS points FROM returns');
  const earned = one<{ p: number | null }>(db, "SELECT sum(points) AS p FROM ledger_entries WHERE kind = 'earn'");
  const reversed = one<{ p: number | null }>(db, "SELECT sum(deficit_delta - points) AS p FROM ledger_entries WHERE kind = 'reverse'");
  const salesMatchEntries = (sales.points ?? 0) === (earned.p ?? 0) && (returns.points ?? 0) === (reversed.p ?? 0);

  return {
    integrity,
    foreignKeyViolations,
    balancesMatchEntries,
    deficitsMatchEntries,
    lotsMatchBalances,
    salesMatchEntries,
    negativeBalances,
    mismatchedMembers: mismatched,
    members: memberRows.length,
    salesCount: sales.n,
    returnsCount: returns.n,
    entriesCount: one<{ n: number }>(db, 'SELECT count(*) AS n FROM ledger_entries').n,
    lotsCount: one<{ n: number }>(db, 'SELECT count(*) AS n FROM point_lots').n,
    outboxCount: one<{ n: number }>(db, 'SELECT count(*) AS n FROM outbox').n,
    tillRequestsCount: one<{ n: number }>(db, 'SELECT count(*) AS n FROM till_requests').n,
    totalBalance,
    totalDeficit,
  };
}
