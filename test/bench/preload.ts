/**
 * Bulk preload for benchmarks: N members, M ledger entries (adjustments spread evenly), one
 * open points lot per member so balances, entries and lots agree (auditLedger stays green).
 */
import { monotonicFactory } from 'ulid';
import type { Db } from '../../gateway/adapters/sqlite/open-database';

export function preloadLedger(db: Db, opts: { members: number; entries: number; now: number }): string[] {
  const ulid = monotonicFactory();
  const perMember = Math.ceil(opts.entries / opts.members);
  const insMember = db.prepare('INSERT INTO members (id, number, name, created_at, balance, deficit) VALUES (?, ?, ?, ?, ?, 0)');
  const insEntry = db.prepare(
    "INSERT INTO ledger_entries (id, key, member_id, kind, points, deficit_delta, sale_id, reason, at) VALUES (?, ?, ?, 'adjust', ?, 0, NULL, 'preload', ?)",
  );
  const insLot = db.prepare('INSERT INTO point_lots (id, member_id, sale_id, earned, remaining, expires_on, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?)');
  const numbers: string[] = [];
  let written = 0;
  db.transaction(() => {
    for (let m = 0; m < opts.members; m++) {
      const id = ulid(opts.now);
      const number = `B-${String(m).padStart(7, '0')}`;
      const n = Math.min(perMember, opts.entries - written);
      insMember.run(id, number, `Bench Member ${m}`, opts.now, n * 5);
      for (let e = 0; e < n; e++) insEntry.run(ulid(opts.now), `preload:${m}:${e}`, id, 5, opts.now);
      if (n > 0) insLot.run(ulid(opts.now), id, n * 5, n * 5, '2099-12-31', opts.now);
      written += n;
      numbers.push(number);
    }
  })();
  return numbers;
}
