import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { DatabaseVersionError, migrate, schemaVersion } from '../../gateway/adapters/sqlite/migrate';
import { LATEST_VERSION } from '../../gateway/adapters/sqlite/migrations/index';
import { openTempDb, type TempDb } from './sqlite-helpers';

let t: TempDb | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe('openDatabase', () => {
  it('creates the data directory 0700 and the database, -wal and -shm 0600 (whatever the umask)', () => {
    const root = mkdtempSync(join(tmpdir(), 'trouw-perm-'));
    const old = process.umask(0o002);
    try {
      const path = join(root, 'data', 'nested', 'g.db');
      const db = openDatabase(path);
      db.prepare("INSERT INTO members (id, number, name, created_at) VALUES ('m1', 'N1', 'A', 0)").run();
      const mode = (f: string) => statSync(f).mode & 0o777;
      expect(mode(join(root, 'data', 'nested'))).toBe(0o700);
      expect(mode(join(root, 'data'))).toBe(0o700);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(f), f).toBe(true);
        expect(mode(f).toString(8), f).toBe('600');
      }
      db.close();
      // A database an older version left world-readable is narrowed when opened again.
      chmodSync(path, 0o644);
      const again = openDatabase(path);
      expect(mode(path).toString(8)).toBe('600');
      again.close();
    } finally {
      process.umask(old);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('sets the durability pragmas and migrates to the latest version', () => {
    t = openTempDb({ busyTimeoutMs: 1234 });
    const { db } = t;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['members', 'cards', 'ledger_entries', 'point_lots', 'sales', 'returns', 'till_requests', 'outbox']));
  });

  it('reopens an existing database without re-running migrations', () => {
    t = openTempDb();
    t.db.prepare("INSERT INTO members (id, number, name, created_at) VALUES ('m1', 'N1', 'A', 0)").run();
    t.db.close();
    const again = openDatabase(t.path);
    expect(again.prepare('SELECT count(*) AS n FROM members').get()).toEqual({ n: 1 });
    again.close();
  });

  it('refuses a database written by newer code and leaves it untouched', () => {
    t = openTempDb();
    t.db.pragma(`user_version = ${LATEST_VERSION + 5}`);
    t.db.close();
    let caught: unknown;
    try {
      openDatabase(t.path);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DatabaseVersionError);
    expect((caught as DatabaseVersionError).code).toBe('DB_TOO_NEW');
    const raw = new Database(t.path);
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 5);
    raw.close();
  });

  it('applies each migration in a transaction: a failing one leaves the previous version whole', () => {
    const db = new Database(':memory:');
    const ms = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER); CREATE TABLE broken (;' },
    ];
    expect(() => migrate(db, ms)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    expect(migrate(db, ms.slice(0, 1))).toEqual({ from: 1, to: 1 });
    db.close();
  });

  it('keeps ledger entries append-only', () => {
    t = openTempDb();
    const { db } = t;
    db.prepare("INSERT INTO members (id, number, name, created_at) VALUES ('m1', 'N1', 'A', 0)").run();
    db.prepare("INSERT INTO ledger_entries (id, key, member_id, kind, points, at) VALUES ('e1', 'k1', 'm1', 'adjust', 0, 0)").run();
    expect(() => db.prepare("UPDATE ledger_entries SET points = 5 WHERE id = 'e1'").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM ledger_entries WHERE id = 'e1'").run()).toThrow(/append-only/);
    expect(() => db.prepare("INSERT INTO ledger_entries (id, key, member_id, kind, points, at) VALUES ('e2', 'k1', 'm1', 'adjust', 0, 0)").run()).toThrow(
      /UNIQUE/,
    );
    expect(() => db.prepare("INSERT INTO ledger_entries (id, key, member_id, kind, points, at) VALUES ('e3', 'k3', 'nobody', 'adjust', 0, 0)").run()).toThrow(
      /FOREIGN KEY/,
    );
    expect(() => db.prepare("UPDATE members SET balance = -1 WHERE id = 'm1'").run()).toThrow(/CHECK/);
  });
});
