/**
 * Erasure at HQ (issue 17's side of it): an erased member leaves the rollups as counts only.
 * Their points, sales and spend per store and day are folded into the anonymous member ''
 * (so liability and sales totals still add up to what the stores reported); their
 * chain-wide row, their campaign assignments and every "who was in this cell" row go. Cells
 * they were counted in keep their visit and dwell counts; the distinct-member count (and so
 * the k-anonymity check) no longer includes them.
 */
export const ANONYMOUS_MEMBER = '';

export const ERASE_MEMBER_SQL: readonly string[] = [
  `INSERT INTO hq_r_member_store (member, store, points, sales, spend_cents)
     SELECT '', store, points, sales, spend_cents FROM hq_r_member_store WHERE member = ?
     ON CONFLICT (member, store) DO UPDATE SET points = hq_r_member_store.points + excluded.points, sales = hq_r_member_store.sales + excluded.sales,
       spend_cents = hq_r_member_store.spend_cents + excluded.spend_cents`,
  `DELETE FROM hq_r_member_store WHERE member = ?`,
  `INSERT INTO hq_r_member_day (member, day, store, sales, spend_cents, touches)
     SELECT '', day, store, sales, spend_cents, touches FROM hq_r_member_day WHERE member = ?
     ON CONFLICT (member, day, store) DO UPDATE SET sales = hq_r_member_day.sales + excluded.sales, spend_cents = hq_r_member_day.spend_cents + excluded.spend_cents,
       touches = hq_r_member_day.touches | excluded.touches`,
  `DELETE FROM hq_r_member_day WHERE member = ?`,
  `DELETE FROM hq_r_members WHERE member = ?`,
  `DELETE FROM hq_r_exposure WHERE member = ?`,
  `DELETE FROM hq_r_distinct WHERE member = ?`,
];
