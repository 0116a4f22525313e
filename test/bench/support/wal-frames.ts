/**
 * Pages a workload writes, counted in the WAL (issue 18): every page a transaction changes is
 * one frame appended to the WAL at its commit, so frames / transactions is the pages per
 * transaction, and each frame's page number, looked up in `dbstat`, says which B-tree (table
 * or index) it belongs to. Run the workload on a connection whose automatic checkpoint is off
 * (`wal_autocheckpoint = 0`) and with no other checkpointer, after `wal_checkpoint(TRUNCATE)`,
 * so the WAL holds exactly the workload's frames.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import type { Db } from '../../../gateway/adapters/sqlite/open-database';

export interface WalFrames {
  frames: number;
  commits: number;
  /** Frames per B-tree name (dbstat); `(new)` for pages past the file's end that dbstat no longer lists. */
  byTree: Map<string, number>;
}

/** Reads the WAL file's frame headers (valid frames only: those carrying the header's salts). */
export function readWalFrames(walPath: string): { pageSize: number; pages: number[]; commits: number } {
  const fd = openSync(walPath, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 32) return { pageSize: 0, pages: [], commits: 0 };
    const header = Buffer.alloc(32);
    readSync(fd, header, 0, 32, 0);
    const pageSize = header.readUInt32BE(8);
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    const pages: number[] = [];
    let commits = 0;
    const fh = Buffer.alloc(24);
    for (let off = 32; off + 24 + pageSize <= size; off += 24 + pageSize) {
      readSync(fd, fh, 0, 24, off);
      if (fh.readUInt32BE(8) !== salt1 || fh.readUInt32BE(12) !== salt2) break;
      pages.push(fh.readUInt32BE(0));
      if (fh.readUInt32BE(4) !== 0) commits++;
    }
    return { pageSize, pages, commits };
  } finally {
    closeSync(fd);
  }
}

/** Starts a count: checkpoints and truncates the WAL, and turns the automatic checkpoint off. */
export function startFrameCount(db: Db): void {
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** Frames written since startFrameCount, attributed to their B-trees. */
export function countFrames(db: Db, dbPath: string): WalFrames {
  const { pages, commits } = readWalFrames(`${dbPath}-wal`);
  const owner = new Map<number, string>();
  for (const r of db.prepare('SELECT name, pageno FROM dbstat').iterate() as Iterable<{ name: string; pageno: number }>) owner.set(r.pageno, r.name);
  const byTree = new Map<string, number>();
  for (const p of pages) {
    const name = owner.get(p) ?? '(new)';
    byTree.set(name, (byTree.get(name) ?? 0) + 1);
  }
  return { frames: pages.length, commits, byTree };
}

/** "sales 1.00, ledger_entries 0.98, …" per unit, largest first. */
export function perUnit(byTree: Map<string, number>, units: number, digits = 2): string {
  return [...byTree.entries()]
    .sort((x, y) => y[1] - x[1])
    .map(([name, n]) => `${name} ${(n / units).toFixed(digits)}`)
    .join(', ');
}
