/**
 * Applies pending migrations at start, each in its own IMMEDIATE transaction together with
 * its `user_version` bump, so a crash leaves the database at a whole version. A database
 * written by newer code (user_version above what this code knows) is refused, not touched.
 */
import type { Database } from 'better-sqlite3';
import { LATEST_VERSION, migrations as all, type Migration } from './migrations/index';

export class DatabaseVersionError extends Error {
  readonly code = 'DB_TOO_NEW';
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(`database schema version ${found} is newer than this gateway supports (${supported}); upgrade the gateway`);
    this.name = 'DatabaseVersionError';
  }
}

export const schemaVersion = (db: Database): number => db.pragma('user_version', { simple: true }) as number;

export function migrate(db: Database, migrations: readonly Migration[] = all): { from: number; to: number } {
  const latest = migrations === all ? LATEST_VERSION : migrations.reduce((v, m) => Math.max(v, m.version), 0);
  const from = schemaVersion(db);
  if (from > latest) throw new DatabaseVersionError(from, latest);
  const pending = [...migrations].filter((m) => m.version > from).sort((a, b) => a.version - b.version);
  for (const m of pending) {
    db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      const now = schemaVersion(db);
      if (now >= m.version) return;
      if (now !== m.version - 1) throw new Error(`migration ${m.version} needs version ${m.version - 1}, found ${now}`);
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: schemaVersion(db) };
}
