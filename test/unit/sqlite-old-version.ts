import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { migrate, schemaVersion } from '../../gateway/adapters/sqlite/migrate';
import { migrations } from '../../gateway/adapters/sqlite/migrations/index';

const columns = (db: Database.Database, table: string, schema = 'main') =>
  (db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(table, schema) as { name: string }[]).map((r) => r.name);

/**
 * For migration tests: a database at schema `version` at `path`, holding the rows of the
 * current database at `srcPath` (written by the real till service), each table copied by the
 * columns both layouts have. `tillRequests` fills `main.till_requests` from `src` the way that
 * version wrote its idempotency records (the table the migrations under test reshape).
 */
export function copyIntoVersion(srcPath: string, path: string, version: number, tillRequests: (db: Database.Database) => void): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  migrate(
    db,
    migrations.filter((m) => m.version <= version),
  );
  expect(schemaVersion(db)).toBe(version);
  db.exec(`ATTACH '${srcPath}' AS src`);
  const tables = (db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map(
    (r) => r.name,
  );
  db.transaction(() => {
    for (const t of tables) {
      if (t === 'till_requests') continue;
      const cols = columns(db, t)
        .filter((c) => columns(db, t, 'src').includes(c))
        .join(', ');
      db.exec(`INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM src.${t}`);
    }
    tillRequests(db);
  })();
  return db;
}
