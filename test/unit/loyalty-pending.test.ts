import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createMemberProgram } from '../../gateway/app/loyalty/member-program';
import { defaultProgram } from '../../gateway/app/loyalty/program';
import { createRewards } from '../../gateway/app/loyalty/rewards';
import type { ProgramConfig } from '../../gateway/config/loyalty-program-schema';
import { STORE } from './sqlite-helpers';
import { line, makeTill, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe('pending points (return window)', () => {
  function setup(returnDays: number) {
    const program: ProgramConfig = { ...defaultProgram(), pending: { returnDays }, rewards: [{ id: 'koffie', name: 'Koffie', points: 100, voucherDays: 30 }] };
    const tt = makeTill({ deps: { program } });
    t = tt;
    tt.clock.set(Date.UTC(2024, 5, 15, 10));
    tt.members.create({ number: 'M-1', name: 'Ada' });
    const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, program });
    const rewards = createRewards({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, program });
    const pay = (receipt: string, cents: number) =>
      tt.send({
        type: 'sale',
        receipt,
        member: 'M-1',
        lines: [line(cents)],
        tenders: [{ kind: 'points', amountCents: cents, member: 'M-1' }],
      }) as unknown as Record<string, unknown>;
    return { tt, mp, rewards, pay };
  }

  it('off by default: a sale’s points are spendable at once', () => {
    const { tt, mp } = setup(0);
    tt.send(sale('S-1', [line(50000)], 'M-1'));
    expect(mp.pendingPoints('M-1')).toBe(0);
    expect(mp.spendable('M-1')).toMatchObject({ available: 500 });
  });

  it('points become spendable after the window; till and kiosk are refused before', () => {
    const { tt, mp, rewards, pay } = setup(14);
    tt.send(sale('S-1', [line(50000)], 'M-1')); // 500 points, 15 June
    expect(mp.pendingPoints('M-1')).toBe(500);
    expect(mp.spendable('M-1')).toMatchObject({ available: 0, limit: 'not-enough-points' });
    expect(pay('P-1', 100)).toMatchObject({ type: 'error', code: 'points-refused', reason: 'not-enough-points' });
    expect(rewards.redeemReward('M-1', 'koffie')).toMatchObject({ ok: false, error: { code: 'not-enough-points' } });
    // 28 June: still inside (sale date + 14 days = 29 June).
    tt.clock.set(Date.UTC(2024, 5, 28, 21, 30));
    expect(mp.pendingPoints('M-1')).toBe(500);
    tt.clock.set(Date.UTC(2024, 5, 29, 8));
    expect(mp.pendingPoints('M-1')).toBe(0);
    expect(mp.spendable('M-1')).toMatchObject({ available: 500 });
    expect(pay('P-2', 100)).toMatchObject({ type: 'sale.ok', pointsSpent: 100 });
  });

  it('a refund inside the window cancels the pending points, never leaving a deficit', () => {
    const { tt, mp, pay } = setup(14);
    tt.send(sale('S-0', [line(30000)], 'M-1')); // 300 points
    tt.clock.set(Date.UTC(2024, 6, 1, 10)); // S-0 is spendable now
    tt.send(sale('S-1', [line(50000)], 'M-1')); // 500 pending
    expect(mp.pendingPoints('M-1')).toBe(500);
    expect(pay('P-1', 300)).toMatchObject({ type: 'sale.ok', pointsSpent: 300 }); // earns 3, pending too
    expect(pay('P-2', 100)).toMatchObject({ type: 'error', code: 'points-refused' });
    tt.clock.advance(3 * 86_400_000);
    const r = tt.send({ type: 'refund', receipt: 'F-1', original: 'S-1', lines: [{ sku: 'sku-food', qty: 1, amountCents: 50000 }] }) as unknown as Record<
      string,
      unknown
    >;
    expect(r).toMatchObject({ type: 'refund.ok', pointsReversed: 500 });
    const m = tt.member('M-1');
    expect(m.deficit).toBe(0);
    expect(m.balance).toBe(3);
    expect(mp.pendingPoints('M-1')).toBe(3);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, deficitsMatchEntries: true });
  });
});
