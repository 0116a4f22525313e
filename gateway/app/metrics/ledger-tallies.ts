/**
 * Sales, points and returns per lane since this process started, read from the ledger at
 * scrape time: only committed rows count (a batch that rolled back never shows), and the till
 * path pays nothing. Each read looks only at rows after the last one seen (the INTEGER PRIMARY
 * KEY), so a scrape costs the sales since the previous scrape, not the ledger's size.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../adapters/sqlite/open-database';

export interface LaneTally {
  sales: number;
  points: number;
  refunds: number;
  voids: number;
  pointsReversed: number;
}

interface Row {
  lane: string;
  n: number;
  p: number;
  m: number;
}
interface ReturnRow extends Row {
  kind: 'refund' | 'void';
}

export interface LedgerTallies {
  /** Reads the rows committed since the last call; returns the running totals per lane. */
  read(): ReadonlyMap<string, LaneTally>;
}

export function createLedgerTallies(db: Db): LedgerTallies {
  const maxSale = db.prepare('SELECT coalesce(max(id), 0) AS m FROM sales') as Statement<[], { m: number }>;
  const maxReturn = db.prepare('SELECT coalesce(max(id), 0) AS m FROM returns') as Statement<[], { m: number }>;
  const newSales = db.prepare('SELECT lane, count(*) AS n, coalesce(sum(points), 0) AS p, max(id) AS m FROM sales WHERE id > ? GROUP BY lane') as Statement<
    [number],
    Row
  >;
  const newReturns = db.prepare(
    'SELECT lane, kind, count(*) AS n, coalesce(sum(points_reversed), 0) AS p, max(id) AS m FROM returns WHERE id > ? GROUP BY lane, kind',
  ) as Statement<[number], ReturnRow>;
  let saleSeen = maxSale.get()!.m;
  let returnSeen = maxReturn.get()!.m;
  const totals = new Map<string, LaneTally>();
  const lane = (id: string): LaneTally => {
    let t = totals.get(id);
    if (!t) totals.set(id, (t = { sales: 0, points: 0, refunds: 0, voids: 0, pointsReversed: 0 }));
    return t;
  };
  return {
    read() {
      if (!db.open) return totals;
      let sales = saleSeen;
      for (const r of newSales.all(saleSeen)) {
        const t = lane(r.lane);
        t.sales += r.n;
        t.points += r.p;
        sales = Math.max(sales, r.m);
      }
      saleSeen = sales;
      let returns = returnSeen;
      for (const r of newReturns.all(returnSeen)) {
        const t = lane(r.lane);
        if (r.kind === 'refund') t.refunds += r.n;
        else t.voids += r.n;
        t.pointsReversed += r.p;
        returns = Math.max(returns, r.m);
      }
      returnSeen = returns;
      return totals;
    },
  };
}
