/**
 * The ledger as the gateway runs it: the database opened for durability (open-database.ts)
 * plus the background checkpointer (checkpointer.ts). The writer's own automatic checkpoint
 * stays only as a fallback, at ~200 MB of WAL, should the worker stall.
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
  const db = openDatabase(path, { ...opts, ...(onDisk && { walAutocheckpointPages: 50_000 }) });
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
