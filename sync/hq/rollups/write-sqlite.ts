/** Applies a batch's rollup deltas on SQLite, inside the ingest's transaction (store-sqlite.ts). */
import type Database from 'better-sqlite3';
import type { RollupDelta } from './rows';
import { COUNTED_DISTINCT, EXPOSURE_MERGE, MEMBER_MERGE } from './schema';

export function sqliteRollupWriter(db: Database.Database) {
  const st = {
    daily: db.prepare(
      `INSERT INTO hq_r_daily (store, day, metric, dim, n, amount) VALUES (@store, @day, @metric, @dim, @n, @amount)
       ON CONFLICT (metric, store, day, dim) DO UPDATE SET n = hq_r_daily.n + excluded.n, amount = hq_r_daily.amount + excluded.amount`,
    ),
    distinct: db.prepare(`INSERT INTO hq_r_distinct (store, day, metric, dim, member) VALUES (@store, @day, @metric, @dim, @member) ON CONFLICT DO NOTHING`),
    member: db.prepare(
      `INSERT INTO hq_r_members (member, joined_ms, joined_month, first_store, tier, tier_at, last_sale_ms, sales, spend_cents, points)
       VALUES (@member, @joinedMs, @joinedMonth, @firstStore, @tier, @tierAt, @lastSaleMs, @sales, @spendCents, @points)
       ON CONFLICT (member) DO UPDATE SET ${MEMBER_MERGE('max', 'min')}`,
    ),
    memberStore: db.prepare(
      `INSERT INTO hq_r_member_store (member, store, points, sales, spend_cents) VALUES (@member, @store, @points, @sales, @spendCents)
       ON CONFLICT (member, store) DO UPDATE SET points = hq_r_member_store.points + excluded.points, sales = hq_r_member_store.sales + excluded.sales,
         spend_cents = hq_r_member_store.spend_cents + excluded.spend_cents`,
    ),
    memberDay: db.prepare(
      `INSERT INTO hq_r_member_day (member, day, store, sales, spend_cents, touches) VALUES (@member, @day, @store, @sales, @spendCents, @touches)
       ON CONFLICT (member, day, store) DO UPDATE SET sales = hq_r_member_day.sales + excluded.sales, spend_cents = hq_r_member_day.spend_cents + excluded.spend_cents,
         touches = hq_r_member_day.touches | excluded.touches`,
    ),
    exposure: db.prepare(
      `INSERT INTO hq_r_exposure (campaign, member, grp, store, assigned_ms, assigned_day, window_end_day)
       VALUES (@campaign, @member, @grp, @store, @assignedMs, @assignedDay, @windowEndDay)
       ON CONFLICT (campaign, member) DO UPDATE SET ${EXPOSURE_MERGE}`,
    ),
  };
  return {
    /** Call inside the transaction that stored the events. */
    apply(d: RollupDelta): void {
      for (const r of d.daily.values()) st.daily.run(r);
      for (const r of d.distinct.values()) {
        // A member new to a movement cell that day: the cell's daily member count (insights.ts).
        if (st.distinct.run(r).changes > 0 && COUNTED_DISTINCT.has(r.metric))
          st.daily.run({ store: r.store, day: r.day, metric: `${r.metric}.members`, dim: r.dim, n: 1, amount: 0 });
      }
      for (const r of d.members.values()) st.member.run(r);
      for (const r of d.memberStore.values()) st.memberStore.run(r);
      for (const r of d.memberDay.values()) st.memberDay.run(r);
      for (const r of d.exposure.values()) st.exposure.run(r);
    },
  };
}
