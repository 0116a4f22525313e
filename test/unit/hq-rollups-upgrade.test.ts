/**
 * A database rolled up by the earlier shape (touchpoints as hq_r_distinct rows, no chain rows)
 * is brought to the current one by migrate(), once: nothing lost, nothing counted twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import { rollupSchemaSql } from '../../sync/hq/rollups/schema';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function oldShape(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-rollup-up-'));
  dirs.push(dir);
  const path = join(dir, 'hq.db');
  const db = new Database(path);
  db.exec(rollupSchemaSql({ bigint: 'INTEGER' }).replace(/\s*touches INTEGER NOT NULL DEFAULT 0,/, ''));
  db.exec(`
    INSERT INTO hq_r_daily VALUES ('s1', '2025-01-01', 'sales', '', 2, 100), ('s2', '2025-01-01', 'sales', '', 1, 50),
      ('s1', '2025-01-01', 'zone.members', 'a|1', 3, 0), ('', '2025-01-01', 'zone.chain.members', 'a|1', 3, 0);
    INSERT INTO hq_r_distinct VALUES ('s1', '2025-01-01', 'touch', 'card-at-till', 'M1'), ('s1', '2025-01-01', 'touch', 'zone-visit', 'M1'),
      ('s2', '2025-01-02', 'touch', 'kiosk-tap', 'M2'), ('s1', '2025-01-01', 'active', '', 'M1'), ('s2', '2025-01-01', 'active', '', 'M1');
    INSERT INTO hq_r_member_day VALUES ('M1', '2025-01-01', 's1', 1, 100);`);
  db.close();
  return path;
}

const rows = (db: Database.Database, sql: string) => db.prepare(sql).all();

describe('rollup upgrade (SQLite)', () => {
  it('moves touchpoints into member-day bits, adds the chain rows, once', async () => {
    const path = oldShape();
    for (let i = 0; i < 2; i++) {
      const s = openSqliteHqStore(path);
      await s.migrate();
      await s.close();
    }
    const db = new Database(path, { readonly: true });
    expect(rows(db, `SELECT member, day, store, sales, spend_cents, touches FROM hq_r_member_day ORDER BY 1`)).toEqual([
      { member: 'M1', day: '2025-01-01', store: 's1', sales: 1, spend_cents: 100, touches: 1 | 8 },
      { member: 'M2', day: '2025-01-02', store: 's2', sales: 0, spend_cents: 0, touches: 2 },
    ]);
    expect(rows(db, `SELECT count(*) AS n FROM hq_r_distinct WHERE metric = 'touch'`)).toEqual([{ n: 0 }]);
    expect(rows(db, `SELECT store, member FROM hq_r_distinct WHERE metric = 'active' ORDER BY 1, 2`)).toEqual([
      { store: '', member: 'M1' },
      { store: 's1', member: 'M1' },
      { store: 's2', member: 'M1' },
    ]);
    expect(rows(db, `SELECT metric, dim, n, amount FROM hq_r_daily WHERE store = '' ORDER BY 1`)).toEqual([
      { metric: 'sales', dim: '', n: 3, amount: 150 },
      { metric: 'zone.chain.members', dim: 'a|1', n: 3, amount: 0 },
    ]);
    db.close();
  });
});
