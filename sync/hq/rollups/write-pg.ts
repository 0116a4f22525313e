/**
 * Applies a batch's rollup deltas on PostgreSQL, on the client holding the ingest's
 * transaction (store-pg.ts): one statement per table, rows as arrays (unnest), sorted by key
 * so two ingest processes updating the same rows lock them in the same order (no deadlock).
 */
import type pg from 'pg';
import type { RollupDelta } from './rows';
import { COUNTED_DISTINCT, EXPOSURE_MERGE, MEMBER_MERGE } from './schema';

const sorted = <T>(m: Map<string, T>): T[] => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
const col = <T, K extends keyof T>(rows: T[], k: K) => rows.map((r) => r[k]);

export async function applyPgRollups(c: pg.PoolClient, d: RollupDelta): Promise<void> {
  if (d.daily.size) {
    const r = sorted(d.daily);
    await c.query(
      `INSERT INTO hq_r_daily (store, day, metric, dim, n, amount)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
       ON CONFLICT (metric, store, day, dim) DO UPDATE SET n = hq_r_daily.n + excluded.n, amount = hq_r_daily.amount + excluded.amount`,
      [col(r, 'store'), col(r, 'day'), col(r, 'metric'), col(r, 'dim'), col(r, 'n'), col(r, 'amount')],
    );
  }
  if (d.distinct.size) {
    const r = sorted(d.distinct);
    // New (cell, member) rows of counted metrics add to the cell's daily member count (schema.ts).
    await c.query(
      `WITH ins AS (
         INSERT INTO hq_r_distinct (store, day, metric, dim, member)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING
         RETURNING store, day, metric, dim
       )
       INSERT INTO hq_r_daily (store, day, metric, dim, n, amount)
       SELECT store, day, metric || '.members', dim, count(*), 0 FROM ins WHERE metric = ANY($6::text[])
       GROUP BY store, day, metric, dim ORDER BY metric, store, day, dim
       ON CONFLICT (metric, store, day, dim) DO UPDATE SET n = hq_r_daily.n + excluded.n`,
      [col(r, 'store'), col(r, 'day'), col(r, 'metric'), col(r, 'dim'), col(r, 'member'), [...COUNTED_DISTINCT]],
    );
  }
  if (d.members.size) {
    const r = sorted(d.members);
    await c.query(
      `INSERT INTO hq_r_members (member, joined_ms, joined_month, first_store, tier, tier_at, last_sale_ms, sales, spend_cents, points)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
       ON CONFLICT (member) DO UPDATE SET ${MEMBER_MERGE('greatest', 'least')}`,
      [
        col(r, 'member'),
        col(r, 'joinedMs'),
        col(r, 'joinedMonth'),
        col(r, 'firstStore'),
        col(r, 'tier'),
        col(r, 'tierAt'),
        col(r, 'lastSaleMs'),
        col(r, 'sales'),
        col(r, 'spendCents'),
        col(r, 'points'),
      ],
    );
  }
  if (d.memberStore.size) {
    const r = sorted(d.memberStore);
    await c.query(
      `INSERT INTO hq_r_member_store (member, store, points, sales, spend_cents)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
       ON CONFLICT (member, store) DO UPDATE SET points = hq_r_member_store.points + excluded.points, sales = hq_r_member_store.sales + excluded.sales,
         spend_cents = hq_r_member_store.spend_cents + excluded.spend_cents`,
      [col(r, 'member'), col(r, 'store'), col(r, 'points'), col(r, 'sales'), col(r, 'spendCents')],
    );
  }
  if (d.memberDay.size) {
    const r = sorted(d.memberDay);
    await c.query(
      `INSERT INTO hq_r_member_day (member, day, store, sales, spend_cents, touches)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
       ON CONFLICT (member, day, store) DO UPDATE SET sales = hq_r_member_day.sales + excluded.sales, spend_cents = hq_r_member_day.spend_cents + excluded.spend_cents,
         touches = hq_r_member_day.touches | excluded.touches`,
      [col(r, 'member'), col(r, 'day'), col(r, 'store'), col(r, 'sales'), col(r, 'spendCents'), col(r, 'touches')],
    );
  }
  if (d.exposure.size) {
    const r = sorted(d.exposure);
    await c.query(
      `INSERT INTO hq_r_exposure (campaign, member, grp, store, assigned_ms, assigned_day, window_end_day)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[])
       ON CONFLICT (campaign, member) DO UPDATE SET ${EXPOSURE_MERGE}`,
      [col(r, 'campaign'), col(r, 'member'), col(r, 'grp'), col(r, 'store'), col(r, 'assignedMs'), col(r, 'assignedDay'), col(r, 'windowEndDay')],
    );
  }
}
