import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createLedgerRepo } from '../../gateway/adapters/sqlite/ledger-repo';
import { createMembersRepo } from '../../gateway/adapters/sqlite/members-repo';
import { createLedgerWriter } from '../../gateway/app/loyalty/ledger-writer';
import { createIdFactory } from '../../gateway/app/shared/ids';
import { makeTill, line, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function setup() {
  const tt = makeTill();
  tt.members.create({ number: 'M-100', name: 'Ada' });
  t = tt;
  return tt;
}

/** Spends points the way a redemption will (redeem has no till message yet). */
function spend(tt: TestTill, number: string, points: number) {
  const members = createMembersRepo(tt.db);
  const writer = createLedgerWriter({ members, ledger: createLedgerRepo(tt.db), ids: createIdFactory(tt.clock) });
  const r = tt.db.transaction(() => writer.burn(members.byNumber(number)!, { points, key: `test-burn:${tt.nextId()}`, at: tt.clock.now() }))();
  if (!r.ok) throw new Error('spend refused');
}

const refund = (receipt: string, original: string, lines: { sku: string; qty: number; amountCents: number }[]) => ({
  type: 'refund',
  receipt,
  original,
  lines,
});

describe('till service: refund', () => {
  it('reverses per line, cumulatively, ending exactly at what the line earned', () => {
    const tt = setup();
    tt.send(sale('S-1', [line(1000, 'food', 'a', 3), line(500, 'drinks', 'b')], 'M-100'));
    expect(tt.member('M-100').balance).toBe(15);
    const r1 = tt.send(refund('F-1', 'S-1', [{ sku: 'a', qty: 1, amountCents: 333 }]));
    expect(r1).toEqual({
      v: 1,
      id: r1.id,
      type: 'refund.ok',
      receipt: 'F-1',
      member: { number: 'M-100', name: 'Ada', balance: 12, tier: 'brons', tierName: 'Brons', benefits: [], spendable: 12 },
      pointsReversed: 3,
      deficit: 0,
    });
    expect(
      tt.send(
        refund('F-2', 'S-1', [
          { sku: 'a', qty: 2, amountCents: 667 },
          { sku: 'b', qty: 1, amountCents: 500 },
        ]),
      ),
    ).toMatchObject({ pointsReversed: 12, deficit: 0 });
    expect(tt.member('M-100').balance).toBe(0);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, salesMatchEntries: true });
  });

  it('refuses to return more than was sold, with a clear message, and writes nothing', () => {
    const tt = setup();
    tt.send(sale('S-2', [line(1000, 'food', 'a', 2)], 'M-100'));
    tt.send(refund('F-3', 'S-2', [{ sku: 'a', qty: 1, amountCents: 500 }]));
    const before = tt.count('ledger_entries');
    const res = tt.send(refund('F-4', 'S-2', [{ sku: 'a', qty: 2, amountCents: 1000 }]));
    expect(res).toMatchObject({ type: 'error', code: 'bad-request', message: 'sku a: returning 2 would exceed the 2 sold (1 already returned)' });
    expect(tt.send(refund('F-5', 'S-2', [{ sku: 'zz', qty: 1, amountCents: 1 }]))).toMatchObject({
      code: 'bad-request',
      message: expect.stringContaining('not on the original sale'),
    });
    expect(tt.count('ledger_entries')).toBe(before);
    expect(tt.count('returns')).toBe(1);
    // An error is not recorded: the same id can succeed later.
    expect(tt.count('till_requests', 'response LIKE \'%"error"%\'')).toBe(0);
  });

  it('refuses a refund claiming more money than the sale line had, and writes nothing (issue 14)', () => {
    const tt = setup();
    tt.send(sale('S-9', [line(2000, 'food', 'a', 2)], 'M-100'));
    const balance = tt.member('M-100').balance;
    const before = { entries: tt.count('ledger_entries'), outbox: tt.count('outbox'), returns: tt.count('returns') };
    const huge = tt.send(refund('F-90', 'S-9', [{ sku: 'a', qty: 1, amountCents: 99_999_999 }]));
    expect(huge).toMatchObject({ type: 'error', code: 'refund-too-large', message: expect.stringContaining('(1000)') });
    expect(tt.send(refund('F-91', 'S-9', [{ sku: 'a', qty: 1, amountCents: 1001 }]))).toMatchObject({ code: 'refund-too-large' });
    expect({ entries: tt.count('ledger_entries'), outbox: tt.count('outbox'), returns: tt.count('returns') }).toEqual(before);
    expect(tt.member('M-100').balance).toBe(balance);
    // What the line had, in parts: 1000 then 1000; a third cent is refused (nothing is left).
    expect(tt.send(refund('F-92', 'S-9', [{ sku: 'a', qty: 1, amountCents: 1000 }]))).toMatchObject({ type: 'refund.ok' });
    expect(tt.send(refund('F-93', 'S-9', [{ sku: 'a', qty: 1, amountCents: 1001 }]))).toMatchObject({ code: 'refund-too-large' });
    expect(tt.send(refund('F-94', 'S-9', [{ sku: 'a', qty: 1, amountCents: 1000 }]))).toMatchObject({ type: 'refund.ok' });
    // A SKU on two lines (one free): the cap is what those lines had together.
    tt.send(sale('S-10', [line(1000, 'food', 'b', 1), line(0, 'food', 'b', 1)], 'M-100'));
    expect(tt.send(refund('F-95', 'S-10', [{ sku: 'b', qty: 2, amountCents: 1001 }]))).toMatchObject({ code: 'refund-too-large' });
    expect(tt.send(refund('F-96', 'S-10', [{ sku: 'b', qty: 2, amountCents: 1000 }]))).toMatchObject({ type: 'refund.ok' });
  });

  it('answers unknown-receipt for a sale it never saw, and succeeds on a retry once the sale is in', () => {
    const tt = setup();
    const body = JSON.stringify({ v: 1, id: 'RF-1', ...refund('F-6', 'S-LATE', [{ sku: 'a', qty: 1, amountCents: 100 }]) });
    expect(JSON.parse(tt.till.handleText(body, { lane: 'lane-1' }))).toMatchObject({ id: 'RF-1', code: 'unknown-receipt' });
    tt.send(sale('S-LATE', [line(1000, 'food', 'a')], 'M-100'));
    expect(JSON.parse(tt.till.handleText(body, { lane: 'lane-1' }))).toMatchObject({ id: 'RF-1', type: 'refund.ok', pointsReversed: 10 });
  });

  it('never takes the balance below zero: the rest is a deficit, settled by the next earnings first', () => {
    const tt = setup();
    tt.send(sale('S-3', [line(10_000, 'food', 'a')], 'M-100')); // 100 points
    spend(tt, 'M-100', 80);
    expect(tt.member('M-100').balance).toBe(20);
    const res = tt.send(refund('F-7', 'S-3', [{ sku: 'a', qty: 1, amountCents: 10_000 }]));
    expect(res).toMatchObject({ member: { balance: 0 }, pointsReversed: 100, deficit: 80 });
    expect(tt.member('M-100')).toMatchObject({ balance: 0, deficit: 80 });

    expect(tt.send(sale('S-4', [line(5000)], 'M-100'))).toMatchObject({ pointsAwarded: 50, member: { balance: 0 } });
    expect(tt.member('M-100')).toMatchObject({ balance: 0, deficit: 30 });
    expect(tt.send(sale('S-5', [line(4000)], 'M-100'))).toMatchObject({ pointsAwarded: 40, member: { balance: 10 } });
    expect(tt.member('M-100')).toMatchObject({ balance: 10, deficit: 0 });

    const m = tt.member('M-100');
    const entries = createLedgerRepo(tt.db).entriesOf(m.id);
    expect(entries.map((e) => [e.kind, e.points, e.deficitDelta])).toEqual([
      ['earn', 100, 0],
      ['burn', -80, 0],
      ['reverse', -20, 80],
      ['earn', 50, 0],
      ['adjust', -50, -50],
      ['earn', 40, 0],
      ['adjust', -30, -30],
    ]);
    expect(auditLedger(tt.db)).toMatchObject({
      balancesMatchEntries: true,
      deficitsMatchEntries: true,
      lotsMatchBalances: true,
      salesMatchEntries: true,
      negativeBalances: 0,
      totalDeficit: 0,
    });
  });

  it('takes a reversal from the sale’s own lot first, then the oldest-expiring', () => {
    const tt = setup();
    tt.send(sale('S-6', [line(1000, 'food', 'a')], 'M-100')); // lot A: 10
    tt.clock.advance(86_400_000 * 40);
    tt.send(sale('S-7', [line(2000, 'food', 'b')], 'M-100')); // lot B: 20
    spend(tt, 'M-100', 5); // from A (oldest-expiring): A 5, B 20
    tt.send(refund('F-8', 'S-7', [{ sku: 'b', qty: 1, amountCents: 2000 }])); // 20 from B
    const lots = createLedgerRepo(tt.db).openLots(tt.member('M-100').id);
    expect(lots.map((l) => [l.saleId !== null, l.remaining])).toEqual([[true, 5]]);
    tt.send(refund('F-9', 'S-6', [{ sku: 'a', qty: 1, amountCents: 1000 }])); // 10: 5 taken, 5 deficit
    expect(tt.member('M-100')).toMatchObject({ balance: 0, deficit: 5 });
  });

  it('replays a refund resent under a new id; the same refund receipt with other lines is a conflict', () => {
    const tt = setup();
    tt.send(sale('S-8', [line(1000, 'food', 'a', 2)], 'M-100'));
    const first = tt.send(refund('F-10', 'S-8', [{ sku: 'a', qty: 1, amountCents: 500 }]));
    const again = tt.send(refund('F-10', 'S-8', [{ sku: 'a', qty: 1, amountCents: 500 }]));
    expect(again).toEqual({ ...first, id: again.id, replayed: true });
    expect(tt.send(refund('F-10', 'S-8', [{ sku: 'a', qty: 2, amountCents: 1000 }]))).toMatchObject({ code: 'conflict' });
    expect(tt.member('M-100').balance).toBe(5);
    expect(tt.count('returns')).toBe(1);
  });

  it('records a refund of a sale without a member, reversing nothing', () => {
    const tt = setup();
    tt.send(sale('S-9', [line(1000, 'food', 'a')]));
    expect(tt.send(refund('F-11', 'S-9', [{ sku: 'a', qty: 1, amountCents: 1000 }]))).toMatchObject({
      type: 'refund.ok',
      member: null,
      pointsReversed: 0,
      deficit: 0,
    });
    expect(tt.count('ledger_entries')).toBe(0);
    expect(tt.count('outbox', "type = 'trouw.sale.refunded.v1'")).toBe(1);
  });
});

describe('till service: void', () => {
  it('reverses what is left of the sale; voiding twice is harmless; a refund after a void is refused', () => {
    const tt = setup();
    tt.send(sale('S-10', [line(1000, 'food', 'a', 3), line(2000, 'drinks', 'b')], 'M-100')); // 30
    tt.send(refund('F-12', 'S-10', [{ sku: 'a', qty: 1, amountCents: 333 }])); // 3
    const v1 = tt.send({ type: 'void', receipt: 'S-10' });
    expect(v1).toEqual({
      v: 1,
      id: v1.id,
      type: 'void.ok',
      receipt: 'S-10',
      member: { number: 'M-100', name: 'Ada', balance: 0, tier: 'brons', tierName: 'Brons', benefits: [], spendable: 0 },
      pointsReversed: 27,
      deficit: 0,
    });
    const v2 = tt.send({ type: 'void', receipt: 'S-10' });
    expect(v2).toEqual({ ...v1, id: v2.id, replayed: true });
    expect(tt.count('returns', "kind = 'void'")).toBe(1);
    expect(tt.count('outbox', "type = 'trouw.sale.voided.v1'")).toBe(1);
    expect(tt.send(refund('F-13', 'S-10', [{ sku: 'b', qty: 1, amountCents: 2000 }]))).toMatchObject({ code: 'bad-request' });
    expect(tt.send({ type: 'void', receipt: 'S-NONE' })).toMatchObject({ code: 'unknown-receipt' });
    expect(tt.db.prepare("SELECT voided_at AS v FROM sales WHERE receipt = 'S-10'").get()).toEqual({ v: tt.clock.now() });
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, salesMatchEntries: true, lotsMatchBalances: true });
  });
});
