/**
 * "Is a gateway running on this database?" — a pid file beside the database
 * (`<database>.pid`), written at start and removed at stop. A file left by a crash names a
 * process that no longer exists and does not count. `restore` refuses while one runs, and a
 * second `start` on the same database refuses too (two writers would both think they own the
 * outbox).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const pidFileOf = (databasePath: string) => `${databasePath}.pid`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else (the service user): running.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // On Linux, also: not a zombie, and a node process (a pid reused after a reboot is not us).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z /.test(stat)) return false;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|trouw/.test(cmd);
  } catch {
    return true;
  }
};

/** The pid of the gateway running on this database, or undefined. */
export function runningGateway(databasePath: string): number | undefined {
  const file = pidFileOf(databasePath);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

export class GatewayRunningError extends Error {
  readonly code = 'GATEWAY_RUNNING';
  constructor(
    readonly pid: number,
    databasePath: string,
    doing: string,
  ) {
    super(`a gateway (pid ${pid}) is running on ${databasePath}: stop it first (systemctl stop trouw-gateway), then ${doing}`);
    this.name = 'GatewayRunningError';
  }
}

/** Claims the database for this process; returns the release function. */
export function claimDatabase(databasePath: string): () => void {
  if (databasePath === ':memory:' || databasePath === '') return () => undefined;
  const other = runningGateway(databasePath);
  if (other !== undefined && other !== process.pid) throw new GatewayRunningError(other, databasePath, 'start this one');
  const file = pidFileOf(databasePath);
  // The claim comes before the database is opened: on a first start the data directory does
  // not exist yet. Created as openDatabase would (0700: it will hold personal data).
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}
