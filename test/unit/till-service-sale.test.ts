import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createLedgerRepo } from '../../gateway/adapters/sqlite/ledger-repo';
import { makeTill, line, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function setup(rules = {}) {
  const tt = makeTill({ rules });
  tt.members.create({ number: 'M-100', name: 'Ada' });
  tt.members.create({ number: 'M-200', name: 'Bob' });
  t = tt;
  return tt;
}

const outboxRows = (tt: TestTill) =>
  (
    tt.db.prepare('SELECT seq, type, subject, data, priority FROM outbox ORDER BY seq').all() as {
      seq: number;
      type: string;
      subject: string;
      data: string;
      priority: number;
    }[]
  ).map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));

describe('till service: sale', () => {
  it('awards points and writes sale, entry, lot, balance, outbox and idempotency record together', () => {
    const tt = setup();
    const res = tt.send<'sale.ok'>(sale('R-1', [line(1299, 'food', 'a', 2), line(450, 'drinks'), line(5000, 'tobacco')], 'M-100'));
    expect(res).toEqual({
      v: 1,
      id: 'T000001',
      type: 'sale.ok',
      receipt: 'R-1',
      member: { number: 'M-100', name: 'Ada', balance: 17, tier: 'brons', tierName: 'Brons', benefits: [], spendable: 17 },
      pointsAwarded: 17,
    });
    const m = tt.member('M-100');
    expect(m.balance).toBe(17);
    const entries = createLedgerRepo(tt.db).entriesOf(m.id);
    expect(entries).toMatchObject([{ kind: 'earn', points: 17, key: expect.stringMatching(/^sale:\d+:earn$/) }]);
    const lots = createLedgerRepo(tt.db).openLots(m.id);
    expect(lots).toMatchObject([{ earned: 17, remaining: 17, expiresOn: '2025-06-15' }]);
    const saleRow = tt.db.prepare('SELECT business_date AS d, lines, points, eligible_cents AS e, total_cents AS tc FROM sales').get() as {
      d: string;
      lines: string;
      points: number;
      e: number;
      tc: number;
    };
    expect(saleRow).toMatchObject({ d: '2024-06-15', points: 17, e: 1749, tc: 6749 });
    expect(JSON.parse(saleRow.lines).map((l: { points: number }) => l.points)).toEqual([13, 4, 0]);
    const events = outboxRows(tt).filter((e) => e.type === 'trouw.sale.completed.v1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: 'R-1',
      priority: 0,
      data: { receipt: 'R-1', memberId: m.id, pointsAwarded: 17, balance: 17, entries: [{ id: entries[0]!.id, kind: 'earn', points: 17 }] },
    });
    expect(tt.count('till_requests')).toBe(1);
  });

  it('replays a resent request id (marked replayed) and applies the sale once', () => {
    const tt = setup();
    const body = JSON.stringify({ v: 1, id: 'SAME-1', ...sale('R-2', [line(2500)], 'M-100') });
    const first = tt.till.handleText(body, { lane: 'lane-1' });
    tt.clock.advance(5_000);
    // Same request, keys in another order: still the same request.
    const s = sale('R-2', [line(2500)], 'M-100');
    const reordered = JSON.stringify({ tenders: s.tenders, lines: s.lines, member: s.member, receipt: s.receipt, type: s.type, id: 'SAME-1', v: 1 });
    const replay = { ...JSON.parse(first), replayed: true };
    expect(JSON.parse(tt.till.handleText(body, { lane: 'lane-1' }))).toEqual(replay);
    expect(JSON.parse(tt.till.handleText(reordered, { lane: 'lane-1' }))).toEqual(replay);
    expect(tt.member('M-100').balance).toBe(25);
    expect(tt.count('ledger_entries')).toBe(1);
    expect(tt.count('sales')).toBe(1);
    expect(tt.count('outbox', "type = 'trouw.sale.completed.v1'")).toBe(1);
  });

  it('a replayed answer shows the balance as it is now, not as it was (issue 14)', () => {
    const tt = setup();
    const body = JSON.stringify({ v: 1, id: 'OLD-1', ...sale('R-OLD', [line(2500)], 'M-100') });
    const first = JSON.parse(tt.till.handleText(body, { lane: 'lane-1' }));
    expect(first).toMatchObject({ pointsAwarded: 25, member: { balance: 25 } });
    expect(first.replayed).toBeUndefined();
    tt.send(sale('R-NEW', [line(4000)], 'M-100'));
    expect(tt.member('M-100').balance).toBe(65);
    // The resent id (and the receipt under a new id) answers what the sale did, and the balance now.
    expect(JSON.parse(tt.till.handleText(body, { lane: 'lane-1' }))).toMatchObject({ id: 'OLD-1', replayed: true, pointsAwarded: 25, member: { balance: 65 } });
    expect(tt.send(sale('R-OLD', [line(2500)], 'M-100'))).toMatchObject({ replayed: true, pointsAwarded: 25, member: { balance: 65 } });
    expect(tt.member('M-100').balance).toBe(65);
  });

  it('keeps request ids per lane: the same id on another lane is another request', () => {
    const tt = setup();
    const a = tt.till.handleText(JSON.stringify({ v: 1, id: '1', ...sale('R-L1', [line(1000)], 'M-100') }), { lane: 'lane-1' });
    const b = tt.till.handleText(JSON.stringify({ v: 1, id: '1', ...sale('R-L2', [line(2000)], 'M-100') }), { lane: 'lane-2' });
    expect(JSON.parse(a)).toMatchObject({ type: 'sale.ok', pointsAwarded: 10 });
    expect(JSON.parse(b)).toMatchObject({ type: 'sale.ok', pointsAwarded: 20 });
  });

  it('answers conflict when a request id comes back with other content, and changes nothing', () => {
    const tt = setup();
    tt.till.handleText(JSON.stringify({ v: 1, id: 'X1', ...sale('R-3', [line(1000)], 'M-100') }), { lane: 'lane-1' });
    const res = JSON.parse(tt.till.handleText(JSON.stringify({ v: 1, id: 'X1', ...sale('R-3', [line(9000)], 'M-100') }), { lane: 'lane-1' }));
    expect(res).toMatchObject({ v: 1, id: 'X1', type: 'error', code: 'conflict' });
    expect(tt.member('M-100').balance).toBe(10);
    expect(tt.count('till_requests')).toBe(1);
  });

  it('answers a receipt resent under a new id (till failed open) with the stored answer', () => {
    const tt = setup();
    const first = tt.send<'sale.ok'>(sale('R-4', [line(3000)], 'M-100', { at: '2024-06-15T09:00:00+02:00' }));
    tt.clock.advance(60_000);
    const again = tt.send<'sale.ok'>(sale('R-4', [line(3000)], 'M-100', { at: '2024-06-15T09:00:00+02:00' }));
    expect(again).toEqual({ ...first, id: again.id, replayed: true });
    expect(again.id).not.toBe(first.id);
    expect(tt.member('M-100').balance).toBe(30);
    expect(tt.count('ledger_entries')).toBe(1);
    expect(tt.count('till_requests')).toBe(2);
  });

  it('answers conflict when a receipt comes back with different content', () => {
    const tt = setup();
    tt.send(sale('R-5', [line(3000)], 'M-100'));
    const res = tt.send(sale('R-5', [line(3001)], 'M-100'));
    expect(res).toMatchObject({ type: 'error', code: 'conflict', message: expect.stringContaining('R-5') });
    expect(tt.send(sale('R-5', [line(3000)], 'M-200'))).toMatchObject({ code: 'conflict' });
    expect(tt.member('M-100').balance).toBe(30);
    expect(tt.member('M-200').balance).toBe(0);
  });

  it('records the sale of an unknown member, earning nothing, and keeps the number for a later link', () => {
    const tt = setup();
    const res = tt.send(sale('R-6', [line(5000)], 'NOBODY-1'));
    expect(res).toEqual({ v: 1, id: res.id, type: 'sale.ok', receipt: 'R-6', member: null, pointsAwarded: 0, reason: 'unknown-member' });
    expect(tt.db.prepare('SELECT member_id AS m, member_number AS n, points FROM sales').get()).toEqual({ m: null, n: 'NOBODY-1', points: 0 });
    expect(tt.count('ledger_entries')).toBe(0);
    expect(tt.count('outbox', "type = 'trouw.sale.completed.v1'")).toBe(1);
  });

  it('records a sale without a member, and one below the minimum spend', () => {
    const tt = setup({ minimumSpendCents: 1000 });
    expect(tt.send(sale('R-7', [line(5000)]))).toMatchObject({ member: null, pointsAwarded: 0, reason: 'no-member' });
    expect(tt.send(sale('R-8', [line(999), line(5000, 'tobacco')], 'M-100'))).toMatchObject({
      member: { number: 'M-100', balance: 0 },
      pointsAwarded: 0,
      reason: 'below-minimum',
    });
    expect(tt.count('sales')).toBe(2);
    expect(tt.count('ledger_entries')).toBe(0);
  });

  it('dates a late sale by its own time, in the store zone (promotions and expiry follow)', () => {
    const tt = setup({ promotions: [{ id: 'june', from: '2024-06-01', to: '2024-06-30', factor: 2, bonusPoints: 0 }], expiryMonths: 1 });
    tt.clock.set(Date.UTC(2024, 6, 1, 8, 0)); // 1 July
    // 30 June 23:30 in Amsterdam = 21:30 UTC: still June for the store.
    const res = tt.send(sale('R-9', [line(1000)], 'M-100', { at: '2024-06-30T21:30:00Z' }));
    expect(res).toMatchObject({ pointsAwarded: 20 });
    const lots = createLedgerRepo(tt.db).openLots(tt.member('M-100').id);
    expect(lots[0]!.expiresOn).toBe('2024-07-30');
    expect(tt.send(sale('R-10', [line(1000)], 'M-100', { at: '2024-06-30T22:30:00Z' }))).toMatchObject({ pointsAwarded: 10 });
  });

  it('keeps balances equal to the sum of entries, with an outbox event for every entry', () => {
    const tt = setup();
    for (let i = 0; i < 20; i++) tt.send(sale(`R-A${i}`, [line(100 + i * 37), line(250, 'drinks')], i % 3 === 0 ? 'M-200' : 'M-100'));
    const audit = auditLedger(tt.db);
    expect(audit).toMatchObject({
      integrity: 'ok',
      foreignKeyViolations: 0,
      balancesMatchEntries: true,
      deficitsMatchEntries: true,
      lotsMatchBalances: true,
      salesMatchEntries: true,
      negativeBalances: 0,
      salesCount: 20,
    });
    const entryIds = new Set((tt.db.prepare('SELECT id FROM ledger_entries').all() as { id: string }[]).map((r) => r.id));
    const inEvents = new Set(outboxRows(tt).flatMap((e) => ((e.data.entries as { id: string }[] | undefined) ?? []).map((x) => x.id)));
    expect(inEvents).toEqual(entryIds);
  });

  it('keeps no program row for a member at the lowest tier; the sale that crosses a threshold writes it and its event', () => {
    const tt = setup();
    const completed = () =>
      outboxRows(tt)
        .filter((e) => e.type === 'trouw.sale.completed.v1')
        .map((e) => e.data.tier);
    expect(tt.send<'sale.ok'>(sale('T-1', [line(2500)], 'M-100')).member).toMatchObject({ tier: 'brons', balance: 25 });
    expect(tt.count('member_program')).toBe(0);
    // 500 points (the default Zilver threshold) with this sale: upgraded at once, earned at the old rate.
    const up = tt.send<'sale.ok'>(sale('T-2', [line(47500)], 'M-100'));
    expect(up).toMatchObject({ pointsAwarded: 475, member: { tier: 'zilver', balance: 500 } });
    expect(tt.db.prepare('SELECT tier, tier_since AS since FROM member_program').all()).toEqual([{ tier: 'zilver', since: '2024-06-15' }]);
    expect(tt.count('outbox', "type = 'trouw.member.tier-changed.v1'")).toBe(1);
    // The next sale earns at the new rate; the row is not written again.
    expect(tt.send<'sale.ok'>(sale('T-3', [line(1000)], 'M-100')).pointsAwarded).toBe(12);
    expect(completed()).toEqual(['brons', 'zilver', 'zilver']);
    expect(tt.count('outbox', "type = 'trouw.member.tier-changed.v1'")).toBe(1);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, salesMatchEntries: true });
  });
});

describe('till service: group commit', () => {
  it('answers concurrent requests from several lanes, each once, in one commit', async () => {
    const tt = setup();
    const bodies = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ v: 1, id: `G${i}`, ...sale(`R-G${i}`, [line(1000 + i * 100)], i % 2 ? 'M-100' : 'M-200') }),
    );
    const answers = await Promise.all(bodies.map((b, i) => tt.till.handle(b, { lane: `lane-${i % 4}` })));
    answers.forEach((a, i) => expect(JSON.parse(a)).toMatchObject({ id: `G${i}`, type: 'sale.ok', pointsAwarded: 10 + i }));
    // The same id twice in one batch: the second is a replay, not a second sale.
    const [x, y] = await Promise.all([tt.till.handle(bodies[0]!, { lane: 'lane-0' }), tt.till.handle(bodies[0]!, { lane: 'lane-0' })]);
    expect(y).toBe(x);
    expect(JSON.parse(x)).toEqual({ ...JSON.parse(answers[0]!), replayed: true, member: expect.objectContaining({ balance: tt.member('M-200').balance }) });
    expect(tt.count('sales')).toBe(10);
    expect(auditLedger(tt.db).balancesMatchEntries).toBe(true);
  });

  it('isolates a failing request: it gets `internal`, the others in its batch are kept', async () => {
    const tt = setup();
    tt.db.exec("CREATE TRIGGER boom BEFORE INSERT ON sales WHEN NEW.receipt = 'R-BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    const res = await Promise.all(
      ['R-OK1', 'R-BOOM', 'R-OK2'].map((r, i) => tt.till.handle(JSON.stringify({ v: 1, id: `B${i}`, ...sale(r, [line(1000)], 'M-100') }), { lane: 'lane-1' })),
    );
    expect(res.map((r) => JSON.parse(r).type)).toEqual(['sale.ok', 'error', 'sale.ok']);
    expect(JSON.parse(res[1]!)).toMatchObject({ id: 'B1', code: 'internal' });
    expect(tt.faults).toHaveLength(1);
    expect(tt.count('sales')).toBe(2);
    expect(tt.count('till_requests')).toBe(2);
    expect(tt.member('M-100').balance).toBe(20);
    expect(auditLedger(tt.db).balancesMatchEntries).toBe(true);
  });

  it('with maxBatch 1 runs each request in its own transaction', async () => {
    const tt = makeTill({ deps: { maxBatch: 1 } });
    t = tt;
    tt.members.create({ number: 'M-1', name: 'One' });
    const res = await tt.till.handle(JSON.stringify({ v: 1, id: 'S1', ...sale('R-S1', [line(700)], 'M-1') }), { lane: 'lane-1' });
    expect(JSON.parse(res)).toMatchObject({ type: 'sale.ok', pointsAwarded: 7 });
  });
});
