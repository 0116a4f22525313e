/**
 * The ledger as the gateway runs it: the database opened for durability (open-database.ts)
 * plus the background checkpointer (checkpointer.ts), which copies WAL frames into the
 * database off the till's path.
 *
 * The writer keeps its own automatic checkpoint at 4,000 pages (~16 MB). The worker alone
 * cannot bound the WAL under steady till load: SQLite starts the WAL over only when a write
 * transaction begins with every frame already copied, and while sales keep coming each
 * worker checkpoint ends behind the newest frames. With the old 50,000-page fallback the
 * WAL grew to ~200 MB under the benchmark's sales, every commit lengthened the file (a
 * costlier fsync: the file size changes), and the fallback checkpoint, when it came, held a
 * sale for 45–60 ms. At 4,000 pages the writer's checkpoint copies only what the worker has
 * not, the next write starts the WAL over, and commits rewrite the same file space.
 * Measured (docs/till-link.md, "Write path cost"): commit p50 ~0.74 → ~0.55 ms.
 */
import { openDatabase, type Db } from './open-database';
import { startCheckpointer, type Checkpointer } from './checkpointer';

export interface Ledger {
  db: Db;
  checkpointer: Checkpointer | undefined;
  close(): Promise<void>;
}

export function openLedger(path: string, opts: { busyTimeoutMs?: number } = {}): Ledger {
  const onDisk = path !== ':memory:' && path !== '';
  const db = openDatabase(path, { ...opts, ...(onDisk && { walAutocheckpointPages: 4_000 }) });
  const checkpointer = onDisk ? startCheckpointer(path) : undefined;
  return {
    db,
    checkpointer,
    close: async () => {
      await checkpointer?.stop();
      db.close();
    },
  };
}
