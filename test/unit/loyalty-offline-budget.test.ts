import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { checkSpend } from '../../gateway/core/loyalty/budget';
import { createMemberProgram } from '../../gateway/app/loyalty/member-program';
import { createSyncCommands } from '../../gateway/app/sync/sync-commands';
import { defaultProgram } from '../../gateway/app/loyalty/program';
import type { PresenceEvent } from '../../gateway/core/presence/events';
import { STORE } from './sqlite-helpers';
import { line, makeTill, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe('offline budget (pure)', () => {
  const base = { balance: 500, snapshot: null, spentToday: 0, dailyCap: 1000, withoutSnapshot: 'local' as const };
  it('allows the local balance without a snapshot, or nothing when so configured', () => {
    expect(checkSpend(base, 500).ok).toBe(true);
    expect(checkSpend(base, 501)).toMatchObject({ ok: false, error: { code: 'not-enough-points', available: 500 } });
    expect(checkSpend({ ...base, withoutSnapshot: 'refuse' }, 1)).toMatchObject({ ok: false, error: { code: 'no-hq-snapshot' } });
  });
  it('limits to snapshot + local net change, and to the daily cap', () => {
    expect(checkSpend({ ...base, snapshot: { balance: 100, netSince: 50 } }, 151)).toMatchObject({
      ok: false,
      error: { code: 'over-offline-budget', available: 150 },
    });
    expect(checkSpend({ ...base, spentToday: 900 }, 101)).toMatchObject({ ok: false, error: { code: 'over-daily-cap', available: 100 } });
  });
});

describe('points as tender at the till', () => {
  function setup(dailySpendCap = 5000) {
    const program = { ...defaultProgram(), offline: { dailySpendCap, withoutSnapshot: 'local' as const } };
    const tt = makeTill({ deps: { program } });
    t = tt;
    tt.members.create({ number: 'M-1', name: 'Ada' });
    tt.send(sale('S-1', [line(50000)], 'M-1')); // 500 points
    const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, program });
    // HQ's snapshot comes down as the member-snapshot command (the path the gateway uses).
    const cmds = createSyncCommands({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, expiryMonths: 12, program });
    let seq = 0;
    const snapshot = (member: string, balance: number, asOf: number) =>
      cmds['member-snapshot']!(
        { member, balance, asOf },
        { commandId: `01JSNAP${String(++seq).padStart(19, '0')}`, name: 'member-snapshot', now: tt.clock.now(), db: tt.db },
      );
    const pay = (receipt: string, cents: number, extra: Record<string, unknown> = {}) =>
      tt.send({ type: 'sale', receipt, member: 'M-1', lines: [line(cents)], tenders: [{ kind: 'points', amountCents: cents, member: 'M-1' }], ...extra });
    return { tt, mp, pay, snapshot };
  }

  it('within budget: burns points (100 = €1), writes the burn and its outbox row with the sale', () => {
    const { tt, pay } = setup();
    const r = pay('P-1', 250);
    expect(r).toMatchObject({ type: 'sale.ok', pointsSpent: 250, pointsAwarded: 2, member: { balance: 252 } });
    expect(tt.count('ledger_entries', "kind = 'burn' AND key = 'tender:P-1'")).toBe(1);
    expect(tt.count('outbox', "type = 'trouw.points.spent.v1'")).toBe(1);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, salesMatchEntries: true });
  });

  it('over the balance, over the HQ budget, over the daily cap: refused with the reason, nothing written', () => {
    const { tt, pay, mp, snapshot } = setup(300);
    const before = tt.count('outbox');
    expect(pay('P-2', 600)).toMatchObject({ type: 'error', code: 'points-refused', reason: 'over-daily-cap' });
    expect(tt.count('sales', "receipt = 'P-2'")).toBe(0);
    expect(tt.count('outbox')).toBe(before);
    // HQ confirms only 100 points as of now: 100 + nothing local since.
    expect(snapshot('M-1', 100, tt.clock.now())).toMatchObject({ ok: true, value: { applied: true } });
    expect(snapshot('M-1', 900, tt.clock.now() - 1)).toMatchObject({ ok: true, value: { applied: false } }); // older: ignored
    tt.clock.advance(1); // entries at the snapshot's own instant count as included in it
    expect(pay('P-3', 150)).toMatchObject({ type: 'error', code: 'points-refused', reason: 'over-offline-budget' });
    expect(pay('P-4', 100)).toMatchObject({ type: 'sale.ok', pointsSpent: 100 });
    expect(mp.spendable('M-1')).toMatchObject({ available: 1 }); // 100 − 100 + 1 earned on P-4
    tt.clock.advance(1);
    expect(snapshot('M-1', 10, tt.clock.now())).toMatchObject({ ok: true });
    expect(pay('P-5', 10_000)).toMatchObject({ type: 'error', code: 'points-refused', reason: 'over-offline-budget' });
  });

  it('a resent tender sale burns once', () => {
    const { tt } = setup();
    const body = { type: 'sale', receipt: 'P-9', member: 'M-1', lines: [line(100)], tenders: [{ kind: 'points', amountCents: 100 }] };
    const text = tt.till.handleText(JSON.stringify({ v: 1, id: 'Q-1', ...body }), { lane: 'lane-1' });
    expect(JSON.parse(tt.till.handleText(JSON.stringify({ v: 1, id: 'Q-1', ...body }), { lane: 'lane-1' }))).toEqual({ ...JSON.parse(text), replayed: true });
    expect(tt.count('ledger_entries', "kind = 'burn'")).toBe(1);
  });
});

describe('visit bonus', () => {
  it('is awarded when presence places a member in the store (the gateway attaches it), once a day; tags ignored', () => {
    const program = { ...defaultProgram(), bonuses: { ...defaultProgram().bonuses, visitPoints: 5, visitMonthlyCap: 8, expiryMonths: 12 } };
    const tt = makeTill({ deps: { program } });
    t = tt;
    const m = tt.members.create({ number: 'M-1', name: 'Ada' });
    if (!m.ok) throw new Error('member');
    const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, program });
    let listener: ((events: readonly PresenceEvent[]) => void) | undefined;
    const detach = mp.attachVisits({ onEvents: (l) => ((listener = l), () => (listener = undefined)) });
    const at = tt.clock.now();
    listener!([
      { type: 'visit-started', visitId: 'V1', subject: { kind: 'member', id: 'M-1' }, at },
      { type: 'visit-started', visitId: 'V2', subject: { kind: 'tag', id: 'T-9' }, at },
      { type: 'visit-started', visitId: 'V3', subject: { kind: 'member', id: 'M-404' }, at },
    ]);
    listener!([{ type: 'visit-started', visitId: 'V4', subject: { kind: 'member', id: 'M-1' }, at: at + 60_000 }]);
    expect(tt.members.findById(m.value.id)?.balance).toBe(5);
    expect(tt.count('outbox', "type = 'trouw.points.bonus.v1'")).toBe(1);
    detach();
    expect(listener).toBeUndefined();
  });

  it('first visit of the day earns, once a day, capped per month', () => {
    const program = { ...defaultProgram(), bonuses: { ...defaultProgram().bonuses, visitPoints: 5, visitMonthlyCap: 2, expiryMonths: 12 } };
    const tt = makeTill({ deps: { program } });
    t = tt;
    const m = tt.members.create({ number: 'M-1', name: 'Ada' });
    if (!m.ok) throw new Error('member');
    const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, program });
    expect(mp.recordVisit(m.value.id, 'kiosk')).toMatchObject({ ok: true, value: { points: 5, balance: 5 } });
    expect(mp.recordVisit(m.value.id, 'presence')).toMatchObject({ ok: true, value: { points: 0, reason: 'not-first-today' } });
    expect(mp.recordVisit(m.value.id, 'presence', Date.UTC(2024, 5, 16, 10))).toMatchObject({ ok: true, value: { points: 5 } });
    expect(mp.recordVisit(m.value.id, 'presence', Date.UTC(2024, 5, 17, 10))).toMatchObject({ ok: true, value: { points: 0, reason: 'monthly-cap' } });
    expect(tt.count('outbox', "type = 'trouw.points.bonus.v1'")).toBe(2);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
  });
});
