/** Shared by the ledger/sqlite/till-service tests: a real SQLite file in a temp dir, a settable clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EarningRulesConfig } from '../../gateway/config/schema';
import { openDatabase, type Db } from '../../gateway/adapters/sqlite/open-database';
import type { Clock } from '../../gateway/ports/clock';

export interface TempDb {
  db: Db;
  path: string;
  dir: string;
  cleanup(): void;
}

export function openTempDb(opts: { busyTimeoutMs?: number } = {}): TempDb {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-test-'));
  const path = join(dir, 'ledger.db');
  const db = openDatabase(path, { busyTimeoutMs: opts.busyTimeoutMs ?? 1000 });
  return {
    db,
    path,
    dir,
    cleanup: () => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2024, 5, 15, 10, 0)): TestClock {
  let t = start;
  return {
    now: () => t,
    monotonic: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

export const defaultRules = (over: Partial<EarningRulesConfig> = {}): EarningRulesConfig => ({
  pointsPerEuro: 1,
  rounding: 'floor',
  minimumSpendCents: 0,
  expiryMonths: 12,
  multipliers: [],
  exclusions: { categories: ['tobacco', 'gift-card'], skus: [] },
  promotions: [],
  ...over,
});

export const STORE = { id: 'store-1', gateway: 'gw-1', timeZone: 'Europe/Amsterdam' };
