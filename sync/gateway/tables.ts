/**
 * The sync subsystem's own tables in the gateway database, and a check of the outbox table
 * the ledger writes (its migration lives in gateway/adapters/sqlite). Idempotent: run at
 * every start, before the publisher or the downlink.
 */
import type { Database } from 'better-sqlite3';

const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      -- Commands from HQ already handled: a replay (same id) is acknowledged, not applied again.
      CREATE TABLE sync_applied_commands (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        applied_at  INTEGER NOT NULL,
        detail      TEXT
      ) WITHOUT ROWID;
      -- The running HQ config (one row): its version and document, for restart and for refusing older ones.
      CREATE TABLE sync_config_state (
        k           INTEGER PRIMARY KEY CHECK (k = 1),
        version     INTEGER NOT NULL,
        event_id    TEXT NOT NULL,
        applied_at  INTEGER NOT NULL,
        doc         TEXT NOT NULL
      );
      -- Counters that must survive restarts (rows dropped by TTL or cap, rows set aside).
      CREATE TABLE sync_counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- Outbox rows the broker refused for good (MQTT 5 reason code) or that cannot be sent
      -- (bad JSON, too large). Kept, not dropped: business events must not vanish silently.
      CREATE TABLE sync_outbox_rejected (
        seq         INTEGER PRIMARY KEY,
        id          TEXT NOT NULL,
        type        TEXT NOT NULL,
        subject     TEXT,
        time        TEXT NOT NULL,
        data        TEXT NOT NULL,
        priority    INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        rejected_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- What a handled command said (SHA-256 of its type and data): the same id with other
      -- content is refused as trouw.command.rejected.v1 (id-reused), not taken for a replay.
      ALTER TABLE sync_applied_commands ADD COLUMN digest TEXT;
    `,
  },
];

/** The columns the outbox must have (agreed with the ledger's migration). */
export const OUTBOX_COLUMNS = ['seq', 'id', 'type', 'subject', 'time', 'data', 'priority', 'expires_at'] as const;

/**
 * The outbox as agreed; used by tests, benchmarks and the standalone demo when the gateway's
 * own migration has not run. The gateway's migration is the owner of this table.
 */
export const OUTBOX_DDL = `
  CREATE TABLE IF NOT EXISTS outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL,
    type       TEXT NOT NULL,
    subject    TEXT,
    time       TEXT NOT NULL,
    data       TEXT NOT NULL,
    priority   INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER
  );`;

/**
 * Indexes the publisher's queries need: read in (priority, seq) order, sweep by expiry.
 * Created here too (IF NOT EXISTS) so a migration that lacks them is not a 1M-row scan.
 */
export const OUTBOX_INDEXES = `
  CREATE INDEX IF NOT EXISTS outbox_priority_seq ON outbox (priority, seq);
  CREATE INDEX IF NOT EXISTS outbox_expires_at ON outbox (expires_at) WHERE expires_at IS NOT NULL;`;

export function ensureSyncTables(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS sync_schema (version INTEGER NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS v FROM sync_schema').get() as { v: number | null };
  const current = row.v ?? 0;
  db.transaction(() => {
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO sync_schema (version) VALUES (?)').run(m.version);
    }
    if (hasTable(db, 'outbox')) db.exec(OUTBOX_INDEXES);
  })();
}

/** For tests, benchmarks and the standalone demo only (see OUTBOX_DDL). */
export function ensureOutboxTable(db: Database): void {
  db.exec(OUTBOX_DDL);
  db.exec(OUTBOX_INDEXES);
}

export function hasTable(db: Database, name: string): boolean {
  return !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name);
}

/** Throws a clear error when the outbox is missing or lacks a column the publisher reads. */
export function checkOutboxTable(db: Database): void {
  if (!hasTable(db, 'outbox')) throw new Error('sync: the database has no outbox table (run the gateway migrations first)');
  const cols = new Set((db.prepare(`PRAGMA table_info(outbox)`).all() as { name: string }[]).map((c) => c.name));
  const missing = OUTBOX_COLUMNS.filter((c) => !cols.has(c));
  if (missing.length) throw new Error(`sync: outbox table lacks column(s) ${missing.join(', ')}`);
}

export function readCounter(db: Database, name: string): number {
  const r = db.prepare('SELECT value FROM sync_counters WHERE name = ?').get(name) as { value: number } | undefined;
  return r?.value ?? 0;
}

export function addCounter(db: Database, name: string, by: number): void {
  if (by === 0) return;
  db.prepare('INSERT INTO sync_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value').run(name, by);
}
