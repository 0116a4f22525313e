/**
 * Migration 008 (issue 18) on a database at the schema before it (version 7), filled with
 * what the till really writes: sales, a resend under a new id, a refund, ledger entries,
 * lots, tier activity, outbox rows. The rows come from the till service on a current
 * database and are copied into a version-7 one in its layout (the idempotency record then
 * held every answer in full). After the migration every answer is still served, resends
 * replay instead of earning again, a reused id is still a conflict, and the ledger audits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createIdempotencyRepo } from '../../gateway/adapters/sqlite/idempotency-repo';
import { schemaVersion } from '../../gateway/adapters/sqlite/migrate';
import { LATEST_VERSION } from '../../gateway/adapters/sqlite/migrations/index';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { createTillService } from '../../gateway/app/till/till-service';
import { defaultRules, STORE } from './sqlite-helpers';
import { line, makeTill, sale, type TestTill } from './till-service-helpers';
import { copyIntoVersion } from './sqlite-old-version';

let tt: TestTill | undefined;
afterEach(() => {
  tt?.cleanup();
  tt = undefined;
});

/** A version-7 database holding `src`'s rows, till_requests with every answer in full as version 7 wrote them. */
function asVersion7(srcPath: string, path: string): void {
  const db = copyIntoVersion(srcPath, path, 7, (db) => {
    db.exec(`INSERT INTO main.till_requests (lane, request_id, type, request_hash, response, at)
    SELECT r.lane, r.request_id, r.type, coalesce(r.request_hash, s.request_hash), coalesce(r.response, s.response), r.at
      FROM src.till_requests r LEFT JOIN src.sales s ON s.id = r.sale_id`);
  });
  db.exec('DETACH src');
  db.close();
}

describe('migration 008: sale write path', () => {
  it('converts a version-7 database: answers kept, sale records by reference, ledger key unique per member', () => {
    tt = makeTill();
    tt.members.create({ number: 'M-1', name: 'Ada' });
    const first = { v: 1, id: 'A1', ...sale('S-1', [line(1200, 'food', 'a', 2)], 'M-1') };
    const firstText = tt.till.handleText(JSON.stringify(first), { lane: 'lane-1' });
    tt.till.handleText(JSON.stringify({ v: 1, id: 'A2', ...sale('S-2', [line(800)], 'M-1') }), { lane: 'lane-1' });
    // The same sale under a new id: recorded with its own answer (replayed: true, id A3).
    const resentText = tt.till.handleText(JSON.stringify({ v: 1, id: 'A3', ...sale('S-2', [line(800)], 'M-1') }), { lane: 'lane-2' });
    const refundText = tt.till.handleText(
      JSON.stringify({ v: 1, id: 'A4', type: 'refund', receipt: 'F-1', original: 'S-1', lines: [{ sku: 'a', qty: 1, amountCents: 600 }] }),
      { lane: 'lane-1' },
    );
    expect(JSON.parse(refundText)).toMatchObject({ type: 'refund.ok' });
    const before = {
      entries: tt.db.prepare('SELECT member_id, key, id, kind, points, deficit_delta, sale_id, reason, at FROM ledger_entries ORDER BY id').all(),
      answers: Object.fromEntries(
        (['A1', 'A2', 'A3', 'A4'] as const).map((id) => [id, createIdempotencyRepo(tt!.db).get(id === 'A3' ? 'lane-2' : 'lane-1', id)?.response]),
      ),
    };
    tt.db.pragma('wal_checkpoint(TRUNCATE)');

    const path = join(tt.dir, 'v7.db');
    asVersion7(tt.path, path);
    const db = openDatabase(path);
    try {
      expect(schemaVersion(db)).toBe(LATEST_VERSION);
      // Sale answers are the sale's own: now a reference. The resend's and the refund's stay.
      const records = db.prepare('SELECT request_id AS id, response IS NULL AS byRef, sale_id AS saleId FROM till_requests ORDER BY request_id').all();
      const saleId = (receipt: string) => (db.prepare('SELECT id FROM sales WHERE receipt = ?').get(receipt) as { id: number }).id;
      expect(records).toEqual([
        { id: 'A1', byRef: 1, saleId: saleId('S-1') },
        { id: 'A2', byRef: 1, saleId: saleId('S-2') },
        { id: 'A3', byRef: 0, saleId: null },
        { id: 'A4', byRef: 0, saleId: null },
      ]);
      const repo = createIdempotencyRepo(db);
      for (const id of ['A1', 'A2', 'A3', 'A4']) expect(repo.get(id === 'A3' ? 'lane-2' : 'lane-1', id)?.response, id).toBe(before.answers[id]);
      expect(before.answers.A3).toBe(resentText);
      expect(before.answers.A1).toBe(firstText);

      // The ledger: same rows, no separate key index, append-only, key unique per member.
      expect(db.prepare('SELECT member_id, key, id, kind, points, deficit_delta, sale_id, reason, at FROM ledger_entries ORDER BY id').all()).toEqual(
        before.entries,
      );
      const indexes = db.prepare("SELECT name FROM pragma_index_list('ledger_entries')").all();
      expect(indexes).toHaveLength(1); // the primary key (member_id, key) only
      expect(db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get('ledger_entries')).toMatch(/PRIMARY KEY \(member_id, key\)/);
      expect(() => db.prepare('UPDATE ledger_entries SET points = 0').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM ledger_entries').run()).toThrow(/append-only/);
      const e = before.entries[0] as { member_id: string; key: string };
      expect(() =>
        db.prepare("INSERT INTO ledger_entries (member_id, key, id, kind, points, at) VALUES (?, ?, 'x', 'adjust', 0, 0)").run(e.member_id, e.key),
      ).toThrow(/UNIQUE/);
      expect(auditLedger(db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, foreignKeyViolations: 0 });

      // The till on the migrated database: a resend replays (earns nothing), a reused id with other content is refused.
      const till = createTillService({ db, rules: defaultRules(), store: STORE, clock: tt.clock });
      const entries = () => db.prepare('SELECT count(*) FROM ledger_entries').pluck().get() as number;
      const n = entries();
      expect(JSON.parse(till.handleText(JSON.stringify(first), { lane: 'lane-1' }))).toMatchObject({
        id: 'A1',
        type: 'sale.ok',
        receipt: 'S-1',
        pointsAwarded: JSON.parse(firstText).pointsAwarded,
        replayed: true,
      });
      expect(JSON.parse(till.handleText(JSON.stringify({ ...first, receipt: 'S-9' }), { lane: 'lane-1' }))).toMatchObject({ type: 'error', code: 'conflict' });
      expect(entries()).toBe(n);
      // And a new sale after the migration is recorded by reference.
      const next = JSON.parse(till.handleText(JSON.stringify({ v: 1, id: 'A5', ...sale('S-3', [line(500)], 'M-1') }), { lane: 'lane-1' }));
      expect(next).toMatchObject({ type: 'sale.ok' });
      expect(db.prepare("SELECT response IS NULL AS byRef, sale_id IS NOT NULL AS hasSale FROM till_requests WHERE request_id = 'A5'").get()).toEqual({
        byRef: 1,
        hasSale: 1,
      });
    } finally {
      db.close();
    }
  });
});
