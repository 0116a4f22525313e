/**
 * Migration 009 (issue 18) on a database at version 8, whose sale records still hold their
 * content hash: after it, a sale's record leaves the hash to its sale, every record still
 * yields the same hash and answer, a resend replays and a reused id is still a conflict.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createIdempotencyRepo } from '../../gateway/adapters/sqlite/idempotency-repo';
import { migrate, schemaVersion } from '../../gateway/adapters/sqlite/migrate';
import { LATEST_VERSION, migrations } from '../../gateway/adapters/sqlite/migrations/index';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { createTillService } from '../../gateway/app/till/till-service';
import { createOutboxWriter } from '../../sync/gateway/outbox-writer';
import { SaleCompleted } from '../../sync/schemas/till-events';
import { defaultRules, STORE } from './sqlite-helpers';
import { line, makeTill, sale, type TestTill } from './till-service-helpers';
import { copyIntoVersion } from './sqlite-old-version';

let tt: TestTill | undefined;
afterEach(() => {
  tt?.cleanup();
  tt = undefined;
});

/** A version-8 database holding `src`'s rows, every idempotency record with its hash as version 8 wrote them. */
function asVersion8(srcPath: string, path: string): void {
  const db = copyIntoVersion(srcPath, path, 8, (db) => {
    db.exec(`INSERT INTO main.till_requests (lane, request_id, type, request_hash, response, sale_id, at)
    SELECT r.lane, r.request_id, r.type, coalesce(r.request_hash, s.request_hash), r.response, r.sale_id, r.at
      FROM src.till_requests r LEFT JOIN src.sales s ON s.id = r.sale_id`);
  });
  expect(db.prepare('SELECT count(*) FROM till_requests WHERE request_hash IS NULL').pluck().get()).toBe(0);
  db.exec('DETACH src');
  db.close();
}

describe('migration 009: a sale record without its own content hash', () => {
  it('converts a version-8 database: hashes and answers kept, sale records by reference, resend and conflict as before', () => {
    tt = makeTill();
    tt.members.create({ number: 'M-1', name: 'Ada' });
    const first = { v: 1, id: 'A1', ...sale('S-1', [line(1200, 'food', 'a', 2)], 'M-1') };
    tt.till.handleText(JSON.stringify(first), { lane: 'lane-1' });
    tt.till.handleText(JSON.stringify({ v: 1, id: 'A2', ...sale('S-2', [line(800)], 'M-1') }), { lane: 'lane-1' });
    // The same sale under a new id: a record with its own answer and hash.
    tt.till.handleText(JSON.stringify({ v: 1, id: 'A3', ...sale('S-2', [line(800)], 'M-1') }), { lane: 'lane-2' });
    tt.till.handleText(JSON.stringify({ v: 1, id: 'A4', type: 'refund', receipt: 'F-1', original: 'S-1', lines: [{ sku: 'a', qty: 1, amountCents: 600 }] }), {
      lane: 'lane-1',
    });
    const ids = [
      ['lane-1', 'A1'],
      ['lane-1', 'A2'],
      ['lane-2', 'A3'],
      ['lane-1', 'A4'],
    ] as const;
    const before = ids.map(([lane, id]) => createIdempotencyRepo(tt!.db).get(lane, id));
    expect(before.every((r) => r !== undefined && r.requestHash.length > 20)).toBe(true);
    tt.db.pragma('wal_checkpoint(TRUNCATE)');

    const path = join(tt.dir, 'v8.db');
    asVersion8(tt.path, path);
    const db = openDatabase(path);
    try {
      expect(schemaVersion(db)).toBe(LATEST_VERSION);
      const records = db
        .prepare('SELECT request_id AS id, request_hash IS NULL AS hashBySale, response IS NULL AS byRef FROM till_requests ORDER BY request_id')
        .all();
      expect(records).toEqual([
        { id: 'A1', hashBySale: 1, byRef: 1 },
        { id: 'A2', hashBySale: 1, byRef: 1 },
        { id: 'A3', hashBySale: 0, byRef: 0 },
        { id: 'A4', hashBySale: 0, byRef: 0 },
      ]);
      const repo = createIdempotencyRepo(db);
      expect(ids.map(([lane, id]) => repo.get(lane, id))).toEqual(before);
      expect(() => db.prepare("INSERT INTO till_requests (lane, request_id, type, at, response) VALUES ('l', 'x', 'identify', 0, '{}')").run()).toThrow(
        /CHECK/,
      );
      expect(auditLedger(db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, foreignKeyViolations: 0 });

      const till = createTillService({ db, rules: defaultRules(), store: STORE, clock: tt.clock });
      const entries = () => db.prepare('SELECT count(*) FROM ledger_entries').pluck().get() as number;
      const n = entries();
      expect(JSON.parse(till.handleText(JSON.stringify(first), { lane: 'lane-1' }))).toMatchObject({ id: 'A1', type: 'sale.ok', replayed: true });
      expect(JSON.parse(till.handleText(JSON.stringify({ ...first, receipt: 'S-9' }), { lane: 'lane-1' }))).toMatchObject({ type: 'error', code: 'conflict' });
      expect(entries()).toBe(n);
      // A new sale after the migration: its record holds neither answer nor hash, and it replays.
      const a5 = { v: 1, id: 'A5', ...sale('S-3', [line(500)], 'M-1') };
      expect(JSON.parse(till.handleText(JSON.stringify(a5), { lane: 'lane-1' }))).toMatchObject({ type: 'sale.ok' });
      expect(db.prepare("SELECT request_hash IS NULL AND response IS NULL AS bySale FROM till_requests WHERE request_id = 'A5'").pluck().get()).toBe(1);
      expect(JSON.parse(till.handleText(JSON.stringify(a5), { lane: 'lane-1' }))).toMatchObject({ id: 'A5', replayed: true });
      expect(JSON.parse(till.handleText(JSON.stringify({ ...a5, receipt: 'S-4' }), { lane: 'lane-1' }))).toMatchObject({ code: 'conflict' });
    } finally {
      db.close();
    }
  });
});

describe('migration 009: outbox seqs without AUTOINCREMENT', () => {
  const appendRows = (db: Database.Database, n: number) => {
    const w = createOutboxWriter(db);
    const seqs: number[] = [];
    db.transaction(() => {
      for (let i = 0; i < n; i++)
        seqs.push(w.append({ event: SaleCompleted, subject: `R${i}`, at: 1_767_603_600_000, data: { receipt: `R${i}`, pointsAwarded: 1 } }));
    })();
    return seqs;
  };

  it('keeps the seqs, drops sqlite_sequence, and never gives a seq again that was given before the migration', () => {
    tt = makeTill();
    const path = join(tt.dir, 'v8-outbox.db');
    const v8 = new Database(path);
    migrate(
      v8,
      migrations.filter((m) => m.version <= 8),
    );
    expect(appendRows(v8, 5)).toEqual([1, 2, 3, 4, 5]);
    v8.prepare('DELETE FROM outbox WHERE seq >= 4').run(); // AUTOINCREMENT remembers 5
    v8.close();
    const db = openDatabase(path);
    try {
      expect(db.prepare('SELECT seq FROM outbox ORDER BY seq').pluck().all()).toEqual([1, 2, 3]);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'outbox'").pluck().get()).not.toMatch(/AUTOINCREMENT/i);
      expect(appendRows(db, 1)).toEqual([6]);
      // The newest rows deleted (all of them, as when the publisher drains): the next seq still goes up.
      db.prepare('DELETE FROM outbox').run();
      expect(appendRows(db, 2)).toEqual([7, 8]);
      // A delete below the newest row frees nothing: no floor write, the next is newest + 1.
      db.prepare('DELETE FROM outbox WHERE seq = 7').run();
      expect(db.prepare('SELECT seq FROM outbox_floor').pluck().get()).toBe(6);
      expect(appendRows(db, 1)).toEqual([9]);
    } finally {
      db.close();
    }
  });

  it('a sale appends its event without a sqlite_sequence row or a floor write', () => {
    tt = makeTill();
    tt.members.create({ number: 'M-1', name: 'Ada' });
    const pages = () => tt!.db.prepare('SELECT name FROM sqlite_sequence').pluck().all();
    tt.till.handleText(JSON.stringify({ v: 1, id: 'B1', ...sale('S-1', [line(1200)], 'M-1') }), { lane: 'lane-1' });
    expect(pages()).toEqual([]);
    expect(tt.db.prepare('SELECT seq FROM outbox_floor').pluck().get()).toBe(0);
    // The member's event and the sale's, seqs 1 and 2.
    expect(tt.db.prepare('SELECT seq FROM outbox ORDER BY seq').pluck().all()).toEqual([1, 2]);
  });
});
