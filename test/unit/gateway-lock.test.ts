/**
 * The database claim (adapters/sqlite/gateway-lock.ts) on a first start: the data directory
 * does not exist yet, and the claim comes before the database is opened.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { claimDatabase, pidFileOf, runningGateway } from '../../gateway/adapters/sqlite/gateway-lock';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

it('a first start creates the data directory 0700, writes its pid and removes it on release', () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-lock-'));
  const db = join(dir, 'data', 'nested', 'gateway.db');
  const release = claimDatabase(db);
  expect(statSync(join(dir, 'data', 'nested')).mode & 0o777).toBe(0o700);
  expect(readFileSync(pidFileOf(db), 'utf8').trim()).toBe(String(process.pid));
  expect(runningGateway(db)).toBe(process.pid);
  release();
  expect(existsSync(pidFileOf(db))).toBe(false);
});
