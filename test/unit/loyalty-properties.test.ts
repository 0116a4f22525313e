/**
 * Ledger invariants of the loyalty program under random operation sequences (issue 6), on a
 * real database through the real services: sales (earning with tier multipliers), refunds,
 * voids, vouchers issued / cancelled / redeemed at the till, points as tender, the daily job
 * (expiry and tiers) after random jumps in time, and bonus adjustments. After every step:
 * - each member's balance equals the sum of their entries and of their lots' remainders;
 * - no lot is spent beyond its size (0 ≤ remaining ≤ earned);
 * - expiry takes exactly what the due lots still held, nothing spent and nothing not due;
 * - a refund or void never creates points (balance and balance − deficit never go up);
 * - the tier is a pure function of history and time: it equals `tierAt` over the activity
 *   the test itself derives from the answers it got, at the date, whatever the order of
 *   evaluation, and the daily job's cached tier agrees.
 * (ledger-properties.test.ts covers resends and exact reversal of the till path.)
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createMemberProgram } from '../../gateway/app/loyalty/member-program';
import { defaultProgram } from '../../gateway/app/loyalty/program';
import { createProgramDaily } from '../../gateway/app/loyalty/program-daily';
import { createRewards } from '../../gateway/app/loyalty/rewards';
import type { ProgramConfig } from '../../gateway/config/loyalty-program-schema';
import { addDays } from '../../gateway/core/loyalty/dates';
import { tierAt, type MonthActivity } from '../../gateway/core/loyalty/tiers';
import { localDate } from '../../gateway/core/time/local-date';
import { STORE } from './sqlite-helpers';
import { makeTill } from './till-service-helpers';

const MEMBERS = ['M-1', 'M-2', 'M-3'];
const TZ = STORE.timeZone;
const DAY = 86_400_000;

const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('sale' as const), member: fc.constantFrom(...MEMBERS), cents: fc.integer({ min: 0, max: 15_000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refund' as const), pick: fc.nat(), qty: fc.constantFrom(1, 2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('void' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('issue' as const), member: fc.constantFrom(...MEMBERS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('redeem' as const), pick: fc.nat(), lane: fc.constantFrom('lane-1', 'lane-2') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tender' as const), member: fc.constantFrom(...MEMBERS), cents: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('days' as const), days: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('visit' as const), member: fc.constantFrom(...MEMBERS) }) },
);

const program: ProgramConfig = {
  ...defaultProgram(),
  tiers: {
    levels: [
      { id: 'brons', name: 'Brons', threshold: 0, multiplier: 1, benefits: [] },
      { id: 'zilver', name: 'Zilver', threshold: 60, multiplier: 1.25, benefits: [] },
      { id: 'goud', name: 'Goud', threshold: 200, multiplier: 1.5, benefits: [] },
    ],
    basis: 'points',
    period: 'calendar',
    periodMonths: 3,
    graceDays: 10,
  },
  rewards: [{ id: 'koffie', name: 'Koffie', points: 30, voucherDays: 20 }],
  offline: { dailySpendCap: 400, withoutSnapshot: 'local' },
  pending: { returnDays: 3 },
  bonuses: { ...defaultProgram().bonuses, visitPoints: 5, visitMonthlyCap: 3, expiryMonths: 2 },
};

interface LotRow {
  memberId: string;
  id: string;
  earned: number;
  remaining: number;
  expiresOn: string;
}

describe('loyalty program ledger properties', () => {
  test.prop([fc.array(opArb, { minLength: 15, maxLength: 60 })], { numRuns: 25 })(
    'balances, lots, expiry, refunds and tiers stay consistent',
    async (ops) => {
      const tt = makeTill({ rules: { expiryMonths: 1 }, deps: { program } });
      try {
        tt.clock.set(Date.UTC(2024, 0, 20, 10));
        for (const m of MEMBERS) tt.members.create({ number: m, name: m });
        const rewards = createRewards({ db: tt.db, clock: tt.clock, timeZone: TZ, program });
        const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: TZ, program });
        const daily = createProgramDaily({ db: tt.db, clock: tt.clock, timeZone: TZ, program, chunk: 3 });
        const idOf = new Map(MEMBERS.map((n) => [n, tt.member(n).id]));
        const numberOf = new Map(MEMBERS.map((n) => [tt.member(n).id, n]));
        // History as the test saw it: net points per member per month (the tier basis).
        const activity = new Map<string, Map<string, MonthActivity>>(MEMBERS.map((n) => [n, new Map()]));
        const addAct = (member: string, points: number) => {
          const month = localDate(tt.clock.now(), TZ).slice(0, 7);
          const a = activity.get(member)!;
          const cur = a.get(month) ?? { points: 0, cents: 0 };
          a.set(month, { points: cur.points + points, cents: 0 });
        };
        const sales: { receipt: string; member: string; left: number }[] = [];
        const vouchers: string[] = [];
        let n = 0;
        const account = (number: string) => {
          const r = tt.db.prepare('SELECT balance, deficit FROM members WHERE number = ?').get(number) as { balance: number; deficit: number };
          return r;
        };
        const lots = () => tt.db.prepare('SELECT member_id AS memberId, id, earned, remaining, expires_on AS expiresOn FROM point_lots').all() as LotRow[];
        const today = () => localDate(tt.clock.now(), TZ);

        const check = () => {
          const a = auditLedger(tt.db);
          expect(a).toMatchObject({ balancesMatchEntries: true, deficitsMatchEntries: true, lotsMatchBalances: true, negativeBalances: 0 });
          for (const l of lots()) {
            expect(l.remaining).toBeGreaterThanOrEqual(0);
            expect(l.remaining).toBeLessThanOrEqual(l.earned);
          }
          const d = today();
          for (const m of MEMBERS) {
            const pure = tierAt(program.tiers, activity.get(m)!, d);
            expect(mp.tierStatus(m)!.tier.id).toBe(pure.tier.id);
            expect(mp.tierStatus(m)!.qualifying).toBe(pure.qualifying);
          }
        };

        for (const op of ops) {
          tt.clock.advance(60_000);
          if (op.op === 'sale' || op.op === 'tender') {
            const receipt = `S${++n}`;
            const cents = op.op === 'sale' ? op.cents : op.cents + 100;
            const tenders = op.op === 'tender' ? [{ kind: 'points', amountCents: op.cents, member: op.member }] : [];
            const r = tt.send({
              type: 'sale',
              receipt,
              member: op.member,
              lines: [{ sku: 'a', category: 'food', qty: 2, amountCents: cents }],
              tenders,
            }) as unknown as Record<string, unknown>;
            if (r.type === 'error') {
              expect(op.op).toBe('tender');
              expect(r.code).toBe('points-refused');
              continue;
            }
            expect(r.type).toBe('sale.ok');
            addAct(op.member, r.pointsAwarded as number);
            sales.push({ receipt, member: op.member, left: 2 });
          } else if ((op.op === 'refund' || op.op === 'void') && sales.length > 0) {
            const s = sales[op.pick % sales.length]!;
            if (s.left === 0) continue;
            const before = account(s.member);
            const qty = op.op === 'refund' ? Math.min(op.qty, s.left) : s.left;
            const r = (op.op === 'refund'
              ? tt.send({ type: 'refund', receipt: `F${++n}`, original: s.receipt, lines: [{ sku: 'a', qty, amountCents: 0 }] }) // money is capped per line (issue 14)
              : tt.send({ type: 'void', receipt: s.receipt })) as unknown as Record<string, unknown>;
            expect(r.type).toBe(op.op === 'refund' ? 'refund.ok' : 'void.ok');
            s.left -= qty;
            const reversed = r.pointsReversed as number;
            expect(reversed).toBeGreaterThanOrEqual(0);
            addAct(s.member, -reversed);
            const after = account(s.member);
            // A refund never creates points.
            expect(after.balance).toBeLessThanOrEqual(before.balance);
            expect(after.balance - after.deficit).toBe(before.balance - before.deficit - reversed);
          } else if (op.op === 'issue') {
            const r = rewards.redeemReward(op.member, 'koffie');
            if (r.ok) vouchers.push(r.value.code);
          } else if (op.op === 'cancel' && vouchers.length > 0) {
            rewards.cancelVoucher(vouchers[op.pick % vouchers.length]!);
          } else if (op.op === 'redeem' && vouchers.length > 0) {
            const r = tt.send({ type: 'redeem', voucher: vouchers[op.pick % vouchers.length]! }, op.lane) as unknown as Record<string, unknown>;
            expect(r.type).toBe('redeem.ok');
          } else if (op.op === 'visit') {
            expect(mp.recordVisit(idOf.get(op.member)!, 'kiosk').ok).toBe(true);
          } else if (op.op === 'days') {
            tt.clock.advance(op.days * DAY);
            const d = today();
            const held = lots();
            const summary = await daily.runDay(tt.clock.now(), false);
            const due = held.filter((l) => l.remaining > 0 && l.expiresOn <= d);
            expect(summary.expiredLots).toBe(due.length);
            expect(summary.expiredPoints).toBe(due.reduce((a, l) => a + l.remaining, 0));
            const now = new Map(lots().map((l) => [l.id, l]));
            for (const l of held) {
              const after = now.get(l.id)!;
              if (due.includes(l)) {
                expect(after.remaining).toBe(0);
                // Expiry takes what the lot still held, never points already spent.
                const e = tt.db.prepare('SELECT points FROM ledger_entries WHERE key = ?').get(`lot:${l.id}:expire`) as { points: number };
                expect(e.points).toBe(-l.remaining);
              } else {
                expect(after.remaining).toBe(l.remaining);
              }
            }
            // A second run the same day changes nothing.
            expect((await daily.runDay(tt.clock.now(), false)).expiredLots).toBe(0);
            // The cached tier the job keeps agrees with the pure function.
            for (const row of tt.db.prepare('SELECT member_id AS id, tier FROM member_program').all() as { id: string; tier: string }[]) {
              expect(row.tier).toBe(tierAt(program.tiers, activity.get(numberOf.get(row.id)!)!, d).tier.id);
            }
          }
          check();
        }

        // Tiers depend on history and the date only: evaluating dates forwards or backwards agrees.
        const start = today();
        const dates = Array.from({ length: 12 }, (_, i) => addDays(start, i * 17));
        for (const m of MEMBERS) {
          const fwd = dates.map((d) => mp.tierStatus(m, Date.parse(`${d}T10:00:00Z`))!.tier.id);
          const back = [...dates]
            .reverse()
            .map((d) => mp.tierStatus(m, Date.parse(`${d}T10:00:00Z`))!.tier.id)
            .reverse();
          expect(back).toEqual(fwd);
          expect(fwd).toEqual(dates.map((d) => tierAt(program.tiers, activity.get(m)!, d).tier.id));
        }
        expect(tt.faults).toEqual([]);
      } finally {
        tt.cleanup();
      }
    },
    120_000,
  );
});
