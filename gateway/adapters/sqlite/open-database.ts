/**
 * Opens the ledger database (better-sqlite3) with the durability the ledger needs
 * (STYLE.md §8): WAL, `synchronous = FULL` (a commit survives power loss once the till is
 * answered), a busy timeout, and foreign keys on. Then migrates to the code's schema, or
 * refuses a database from newer code (DatabaseVersionError, code DB_TOO_NEW).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** How long a writer waits for another connection's lock (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** SQLite page cache per connection, KiB. Default 32768. */
  cacheSizeKiB?: number;
  /** WAL pages between automatic checkpoints. Default 10000 (≈40 MB). */
  walAutocheckpointPages?: number;
  /** Skip migrations (read-only tools). Default false. */
  skipMigrations?: boolean;
}

/**
 * Names, numbers, card tokens and the outbox are in these files: the data directory is
 * created 0700 and the database 0600 before SQLite opens it (SQLite gives `-wal` and `-shm`
 * the database file's mode); files left wider by older versions are narrowed.
 */
function privateFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

export function openDatabase(path: string, opts: OpenDatabaseOptions = {}): Db {
  const memory = path === ':memory:' || path === '';
  if (!memory) privateFiles(path);
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (!memory && mode !== 'wal') throw new Error(`could not switch ${path} to WAL (journal_mode=${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // 32 MiB of page cache (default 2 MiB): with a million ledger entries the index pages a
    // sale touches stay in memory instead of being re-read from the OS on every sale.
    db.pragma(`cache_size = ${-(opts.cacheSizeKiB ?? 32 * 1024)}`);
    // Checkpoint every ~40 MB of WAL instead of the default ~4 MB. A sale dirties a few
    // random pages (its member, the member's ledger and lots), and each checkpoint writes
    // those back at random places and fsyncs the database file: ten times fewer checkpoints
    // moved the till's p99 from ~8 ms to under 1 ms with a million ledger entries. The
    // WAL file is truncated back to 64 MiB after a checkpoint if a burst grew it further.
    db.pragma(`wal_autocheckpoint = ${opts.walAutocheckpointPages ?? 10_000}`);
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    if (!opts.skipMigrations) migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
