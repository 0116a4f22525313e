/**
 * The till path's lookups stay index probes after migration 008 (issue 18): the ledger key
 * is found through the (member_id, key) primary key now that its own index is gone, a
 * sale's idempotency record joins its sale by rowid, and nothing on the path scans a table.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openTempDb, type TempDb } from './sqlite-helpers';

let t: TempDb | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const plan = (t: TempDb, sql: string) =>
  (t.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array((sql.match(/\?/g) ?? []).length).fill(1)) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('query plans of the till path', () => {
  it.each([
    [
      'a ledger key (idempotent entries, HQ command replays)',
      'SELECT 1 FROM ledger_entries WHERE member_id = ? AND key = ?',
      /USING PRIMARY KEY \(member_id=\? AND key=\?\)/,
    ],
    ["a member's entries", 'SELECT id FROM ledger_entries WHERE member_id = ? ORDER BY id', /USING PRIMARY KEY \(member_id=\?\)/],
    [
      "a sale's idempotency record and its answer",
      'SELECT coalesce(r.response, s.response) FROM till_requests r LEFT JOIN sales s ON r.response IS NULL AND s.id = r.sale_id WHERE r.lane = ? AND r.request_id = ?',
      /SEARCH r USING PRIMARY KEY \(lane=\? AND request_id=\?\) \| SEARCH s USING INTEGER PRIMARY KEY/,
    ],
    ['a receipt', 'SELECT id FROM sales WHERE receipt = ?', /USING (COVERING )?INDEX sqlite_autoindex_sales_1/],
    ['a business date', 'SELECT count(*) FROM sales WHERE business_date = ?', /USING (COVERING )?INDEX sales_business_date/],
  ])('%s', (_what, sql, expected) => {
    t = openTempDb();
    const p = plan(t, sql);
    expect(p).toMatch(expected);
    expect(p).not.toMatch(/\bSCAN\b/);
  });

  it('ledger_entries has no index besides its primary key', () => {
    t = openTempDb();
    expect(t.db.prepare("SELECT count(*) FROM pragma_index_list('ledger_entries')").pluck().get()).toBe(1);
  });
});
