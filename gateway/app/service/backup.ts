/**
 * Backup and restore of the ledger database (issue 16; README "Running a store").
 *
 * Backup: SQLite's online backup (better-sqlite3 `db.backup()`) from a second connection
 * while the gateway keeps selling. All pages are copied in one step, inside one read
 * transaction: under WAL that does not block the gateway's commits, and the copy is the
 * database as of one instant (a step-by-step copy restarts whenever the gateway commits in
 * between, and under steady sales might never finish). The copy is then checked (integrity,
 * ledger audit) before it is reported good; it is written 0600 (names, tokens).
 *
 * Restore: refused while a gateway runs on the database. The backup is checked first (it
 * opens, it is not from a newer gateway, the audit holds); the current database and its
 * `-wal`/`-shm` are moved aside (`<db>.before-restore-<time>`), never deleted, and the backup
 * is copied in place. The next `start` migrates it if it is from an older release.
 */
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { auditLedger, type LedgerAudit } from '../../adapters/sqlite/audit';
import { GatewayRunningError, runningGateway } from '../../adapters/sqlite/gateway-lock';
import { DatabaseVersionError, schemaVersion } from '../../adapters/sqlite/migrate';
import { LATEST_VERSION } from '../../adapters/sqlite/migrations/index';

export interface BackupReport {
  file: string;
  bytes: number;
  schemaVersion: number;
  ms: number;
  audit: LedgerAudit;
}

const auditHolds = (a: LedgerAudit) =>
  a.integrity === 'ok' &&
  a.foreignKeyViolations === 0 &&
  a.balancesMatchEntries &&
  a.deficitsMatchEntries &&
  a.lotsMatchBalances &&
  a.salesMatchEntries &&
  a.negativeBalances === 0;

export class BackupCheckError extends Error {
  readonly code = 'BACKUP_BAD';
}

/** Opens a copy read-only and checks it: integrity, schema version, ledger audit. */
export function checkBackupFile(file: string): { schemaVersion: number; audit: LedgerAudit } {
  if (!existsSync(file)) throw new BackupCheckError(`${file}: no such file`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new BackupCheckError(`${file}: not a database this gateway can open (${(e as Error).message})`);
  }
  try {
    const version = schemaVersion(db);
    if (version > LATEST_VERSION) throw new DatabaseVersionError(version, LATEST_VERSION);
    const audit = auditLedger(db);
    if (!auditHolds(audit))
      throw new BackupCheckError(`${file}: the ledger audit fails (integrity ${audit.integrity}, mismatched members ${audit.mismatchedMembers.length})`);
    return { schemaVersion: version, audit };
  } catch (e) {
    if (e instanceof BackupCheckError || e instanceof DatabaseVersionError) throw e;
    throw new BackupCheckError(`${file}: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}

export async function backupDatabase(databasePath: string, out: string, opts: { busyTimeoutMs?: number } = {}): Promise<BackupReport> {
  if (!existsSync(databasePath)) throw new BackupCheckError(`${databasePath}: no database to back up (database.path)`);
  if (existsSync(out)) throw new BackupCheckError(`${out} exists: choose a new file (a backup never overwrites)`);
  const t0 = performance.now();
  const src = new Database(databasePath, { fileMustExist: true });
  try {
    src.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    // 0x7fffffff pages per step after the first: everything in one step (see above).
    await src.backup(out, { progress: () => 0x7fffffff });
  } catch (e) {
    rmSync(out, { force: true });
    throw e;
  } finally {
    src.close();
  }
  chmodSync(out, 0o600);
  // A backup is one self-contained file: no WAL beside it.
  const copy = new Database(out);
  copy.pragma('journal_mode = DELETE');
  copy.close();
  const checked = checkBackupFile(out);
  return { file: out, bytes: statSync(out).size, schemaVersion: checked.schemaVersion, ms: Math.round(performance.now() - t0), audit: checked.audit };
}

export interface RestoreReport {
  restored: string;
  from: string;
  schemaVersion: number;
  /** Where the database it replaced was moved (undefined: there was none). */
  movedAside: string | undefined;
}

export function restoreDatabase(databasePath: string, from: string, now = Date.now()): RestoreReport {
  const pid = runningGateway(databasePath);
  if (pid !== undefined) throw new GatewayRunningError(pid, databasePath, 'restore');
  const checked = checkBackupFile(from);
  let movedAside: string | undefined;
  if (existsSync(databasePath)) {
    movedAside = `${databasePath}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(databasePath, movedAside);
    for (const ext of ['-wal', '-shm']) {
      if (existsSync(`${databasePath}${ext}`)) renameSync(`${databasePath}${ext}`, `${movedAside}${ext}`);
    }
  }
  const tmp = `${databasePath}.restoring`;
  copyFileSync(from, tmp);
  chmodSync(tmp, 0o600);
  renameSync(tmp, databasePath);
  return { restored: databasePath, from, schemaVersion: checked.schemaVersion, movedAside };
}
