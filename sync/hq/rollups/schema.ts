/**
 * The rollup tables (rows.ts says what each holds), one DDL for SQLite and PostgreSQL.
 * Small next to hq_events: the dashboard reads only these. Few secondary indexes on purpose:
 * every one is paid on each ingest (the primary keys lead with metric, which every query
 * names). hq_r_distinct, the most written, has none: erasure (rare, by hand) scans it. On
 * SQLite the tables are WITHOUT ROWID: the primary key is the table, one B-tree per row
 * written instead of two (measured in docs/hq-insights.md).
 */
export function rollupSchemaSql(d: { bigint: string; withoutRowid?: boolean }): string {
  const wr = d.withoutRowid ? ' WITHOUT ROWID' : '';
  return `
    CREATE TABLE IF NOT EXISTS hq_r_daily (
      store TEXT NOT NULL, day TEXT NOT NULL, metric TEXT NOT NULL, dim TEXT NOT NULL,
      n ${d.bigint} NOT NULL, amount ${d.bigint} NOT NULL,
      PRIMARY KEY (metric, store, day, dim)
    )${wr};
    CREATE TABLE IF NOT EXISTS hq_r_distinct (
      store TEXT NOT NULL, day TEXT NOT NULL, metric TEXT NOT NULL, dim TEXT NOT NULL, member TEXT NOT NULL,
      PRIMARY KEY (metric, store, day, dim, member)
    )${wr};
    CREATE TABLE IF NOT EXISTS hq_r_members (
      member TEXT PRIMARY KEY, joined_ms ${d.bigint}, joined_month TEXT, first_store TEXT, tier TEXT, tier_at ${d.bigint},
      last_sale_ms ${d.bigint}, sales ${d.bigint} NOT NULL, spend_cents ${d.bigint} NOT NULL, points ${d.bigint} NOT NULL
    )${wr};
    CREATE TABLE IF NOT EXISTS hq_r_member_store (
      member TEXT NOT NULL, store TEXT NOT NULL, points ${d.bigint} NOT NULL, sales ${d.bigint} NOT NULL, spend_cents ${d.bigint} NOT NULL,
      PRIMARY KEY (member, store)
    )${wr};
    DROP INDEX IF EXISTS hq_r_distinct_member;
    CREATE INDEX IF NOT EXISTS hq_r_member_store_store ON hq_r_member_store (store);
    CREATE TABLE IF NOT EXISTS hq_r_member_day (
      member TEXT NOT NULL, day TEXT NOT NULL, store TEXT NOT NULL, sales ${d.bigint} NOT NULL, spend_cents ${d.bigint} NOT NULL,
      touches ${d.bigint} NOT NULL DEFAULT 0,
      PRIMARY KEY (member, day, store)
    )${wr};
    CREATE TABLE IF NOT EXISTS hq_r_exposure (
      campaign TEXT NOT NULL, member TEXT NOT NULL, grp TEXT NOT NULL, store TEXT NOT NULL,
      assigned_ms ${d.bigint} NOT NULL, assigned_day TEXT NOT NULL, window_end_day TEXT NOT NULL,
      PRIMARY KEY (campaign, member)
    )${wr};
    CREATE INDEX IF NOT EXISTS hq_r_exposure_member ON hq_r_exposure (member);`;
}

/** Upsert merges, per table (rows.ts `merge*`); `t` is the table name, `x` the new row. */
export const MEMBER_MERGE = (greatest: string, least: string) => `
  joined_month = CASE WHEN excluded.joined_ms IS NOT NULL AND (hq_r_members.joined_ms IS NULL OR excluded.joined_ms < hq_r_members.joined_ms) THEN excluded.joined_month ELSE hq_r_members.joined_month END,
  first_store = CASE WHEN excluded.joined_ms IS NOT NULL AND (hq_r_members.joined_ms IS NULL OR excluded.joined_ms < hq_r_members.joined_ms) THEN excluded.first_store ELSE hq_r_members.first_store END,
  joined_ms = coalesce(${least}(hq_r_members.joined_ms, excluded.joined_ms), hq_r_members.joined_ms, excluded.joined_ms),
  tier = CASE WHEN excluded.tier_at IS NOT NULL AND (hq_r_members.tier_at IS NULL OR excluded.tier_at > hq_r_members.tier_at) THEN excluded.tier ELSE hq_r_members.tier END,
  tier_at = coalesce(${greatest}(hq_r_members.tier_at, excluded.tier_at), hq_r_members.tier_at, excluded.tier_at),
  last_sale_ms = coalesce(${greatest}(hq_r_members.last_sale_ms, excluded.last_sale_ms), hq_r_members.last_sale_ms, excluded.last_sale_ms),
  sales = hq_r_members.sales + excluded.sales,
  spend_cents = hq_r_members.spend_cents + excluded.spend_cents,
  points = hq_r_members.points + excluded.points`;

export const EXPOSURE_MERGE = `
  grp = CASE WHEN excluded.assigned_ms < hq_r_exposure.assigned_ms THEN excluded.grp ELSE hq_r_exposure.grp END,
  store = CASE WHEN excluded.assigned_ms < hq_r_exposure.assigned_ms THEN excluded.store ELSE hq_r_exposure.store END,
  assigned_day = CASE WHEN excluded.assigned_ms < hq_r_exposure.assigned_ms THEN excluded.assigned_day ELSE hq_r_exposure.assigned_day END,
  window_end_day = CASE WHEN excluded.assigned_ms < hq_r_exposure.assigned_ms THEN excluded.window_end_day ELSE hq_r_exposure.window_end_day END,
  assigned_ms = CASE WHEN excluded.assigned_ms < hq_r_exposure.assigned_ms THEN excluded.assigned_ms ELSE hq_r_exposure.assigned_ms END`;

/**
 * Distinct metrics whose members per cell and day are also counted in hq_r_daily
 * (`<metric>.members`), when the member is new to the cell that day: the k-anonymity check
 * reads the largest daily count first, a lower bound of the members over any range, and
 * counts distinct members exactly only for the cells that bound leaves under k. The `.chain`
 * metrics (store '') do the same chain-wide, where one store's day is too small a bound.
 */
export const COUNTED_DISTINCT: ReadonlySet<string> = new Set(['zone', 'path', 'zone.chain', 'path.chain']);

/**
 * Bringing a database rolled up by an earlier shape to this one (run by migrate(), each step
 * once, when its check says it is needed; no rollup is lost, nothing counted twice):
 * - `touches`: touchpoints moved from hq_r_distinct ('touch' rows) into a bit per touchpoint
 *   on hq_r_member_day (rows.ts TOUCH_BITS); the chain's 'active' rows (store '') added;
 * - `chainDaily`: the chain's row (store '') of every hq_r_daily row (not the `.members`
 *   counts, which have their own chain metric).
 */
export function rollupUpgradeSql(d: { bigint: string }) {
  return {
    touches: [
      `ALTER TABLE hq_r_member_day ADD COLUMN touches ${d.bigint} NOT NULL DEFAULT 0`,
      `INSERT INTO hq_r_member_day (member, day, store, sales, spend_cents, touches)
         SELECT member, day, store, 0, 0,
                sum(CASE dim WHEN 'card-at-till' THEN 1 WHEN 'kiosk-tap' THEN 2 WHEN 'offer-opened' THEN 4 WHEN 'zone-visit' THEN 8 ELSE 0 END)
         FROM hq_r_distinct WHERE metric = 'touch' GROUP BY member, day, store
         ON CONFLICT (member, day, store) DO UPDATE SET touches = hq_r_member_day.touches | excluded.touches`,
      `DELETE FROM hq_r_distinct WHERE metric = 'touch'`,
      `INSERT INTO hq_r_distinct (store, day, metric, dim, member)
         SELECT DISTINCT '', day, metric, dim, member FROM hq_r_distinct WHERE metric = 'active' AND store <> ''
         ON CONFLICT DO NOTHING`,
    ],
    chainDailyNeeded: `SELECT 1 AS x FROM hq_r_daily WHERE store <> '' AND NOT EXISTS (SELECT 1 FROM hq_r_daily c WHERE c.store = '' AND c.metric NOT LIKE '%.members') LIMIT 1`,
    chainDaily: [
      `INSERT INTO hq_r_daily (store, day, metric, dim, n, amount)
         SELECT '', day, metric, dim, sum(n), sum(amount) FROM hq_r_daily WHERE store <> '' AND metric NOT LIKE '%.members' GROUP BY day, metric, dim
         ON CONFLICT (metric, store, day, dim) DO UPDATE SET n = hq_r_daily.n + excluded.n, amount = hq_r_daily.amount + excluded.amount`,
    ],
  };
}
