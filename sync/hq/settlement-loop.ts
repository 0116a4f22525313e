/**
 * Settlement as the HQ process runs it (the `ingest` command and the demo HQ): the settlement
 * service, the member-snapshot feeder and the scheduler that drives both, over a broker link
 * and settlement database the caller owns (and closes after `stop()`).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { BrokerLink } from '../gateway/broker-link';
import type { HqStore } from './store';
import { createSettlementService } from './settlement-service';
import { createSnapshotFeeder } from './settlement-snapshots';
import { createSettlementScheduler, type SettlementScheduler } from './settlement-scheduler';

export interface HqSettlementLoop {
  readonly scheduler: SettlementScheduler;
  stop(): Promise<void>;
}

/** The settlement database; the scheduler and a `cli.ts settle` may use it at once, so they wait for each other's write lock. */
export function openSettlementDb(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  return db;
}

export function startHqSettlement(o: {
  store: HqStore;
  db: Database.Database;
  link: BrokerLink;
  clock: () => number;
  logger: Logger;
  intervalMs?: number;
}): HqSettlementLoop {
  const settlement = createSettlementService({ store: o.store, db: o.db, link: o.link, clock: o.clock });
  // The feeder starts at the present: from the first stored event it would send a snapshot
  // for every (member, gateway) in HQ's history on each restart.
  const snapshots = createSnapshotFeeder({ store: o.store, settlement, clock: o.clock, after: { timeMs: o.clock(), source: '', id: '' } });
  const scheduler = createSettlementScheduler({
    store: o.store,
    db: o.db,
    settlement,
    snapshots,
    clock: o.clock,
    logger: o.logger,
    ready: () => o.link.state === 'up',
    ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
  });
  scheduler.start();
  return {
    scheduler,
    async stop() {
      await scheduler.stop();
      await snapshots.stop();
    },
  };
}
