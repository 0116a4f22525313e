import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { nextLocalMidnight } from '../../gateway/core/loyalty/dates';
import { localDate } from '../../gateway/core/time/local-date';
import { createMemberProgram } from '../../gateway/app/loyalty/member-program';
import { defaultProgram } from '../../gateway/app/loyalty/program';
import { createProgramDaily } from '../../gateway/app/loyalty/program-daily';
import { line, makeTill, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});
const TZ = 'Europe/Amsterdam';

describe('store midnight across DST (Europe/Amsterdam)', () => {
  it('finds local midnight on the 23-hour and the 25-hour day', () => {
    // 2024-03-31: clocks go 02:00 → 03:00 CET→CEST. Midnight after is 2024-03-31T22:00Z.
    expect(new Date(nextLocalMidnight(Date.UTC(2024, 2, 30, 23, 30), TZ)).toISOString()).toBe('2024-03-31T22:00:00.000Z');
    // 2024-10-27: 03:00 → 02:00 CEST→CET. Midnight after is 2024-10-27T23:00Z.
    expect(new Date(nextLocalMidnight(Date.UTC(2024, 9, 26, 22, 30), TZ)).toISOString()).toBe('2024-10-27T23:00:00.000Z');
    // From just before midnight, to it exactly.
    expect(nextLocalMidnight(Date.UTC(2024, 5, 15, 21, 59, 59), TZ)).toBe(Date.UTC(2024, 5, 15, 22));
    for (let d = 0; d < 400; d += 7) {
      const now = Date.UTC(2024, 0, 1 + d, 13, 17);
      const m = nextLocalMidnight(now, TZ);
      expect(localDate(m, TZ)).not.toBe(localDate(m - 1, TZ));
      expect(localDate(m - 1, TZ)).toBe(localDate(now, TZ));
    }
  });
});

describe('daily program job', () => {
  function setup() {
    const program = { ...defaultProgram(), expiry: { soonDays: 30, noticeDays: 10 } };
    const tt = makeTill({ rules: { expiryMonths: 1 }, deps: { program } });
    t = tt;
    for (const n of ['M-1', 'M-2']) tt.members.create({ number: n, name: n });
    tt.clock.set(Date.UTC(2024, 0, 31, 12)); // lots expire 2024-02-29
    tt.send(sale('X-1', [line(1000)], 'M-1'));
    tt.clock.set(Date.UTC(2024, 1, 10, 12)); // expires 2024-03-10
    tt.send(sale('X-2', [line(2000)], 'M-2'));
    const daily = createProgramDaily({ db: tt.db, clock: tt.clock, timeZone: TZ, program, chunk: 1 });
    const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: TZ, program });
    return { tt, daily, mp };
  }

  it('sends one expiry notice per lot, expires once however often it runs', async () => {
    const { tt, daily, mp } = setup();
    expect(mp.expiringSoon('M-1', 30, Date.UTC(2024, 1, 10, 12))).toEqual({ total: 10, dates: [{ expiresOn: '2024-02-29', points: 10 }] });
    const at = Date.UTC(2024, 1, 20, 12); // 9 days before M-1's lot
    expect(await daily.runDay(at, false)).toMatchObject({ day: '2024-02-20', notices: 1, expiredLots: 0 });
    expect(await daily.runDay(at, false)).toMatchObject({ notices: 0 });
    expect(await daily.runDay(Date.UTC(2024, 1, 29, 0, 5), false)).toMatchObject({ day: '2024-02-29', expiredLots: 1, expiredPoints: 10, notices: 1 });
    expect(await daily.runDay(Date.UTC(2024, 1, 29, 22), false)).toMatchObject({ expiredLots: 0, notices: 0 });
    expect(tt.count('outbox', "type = 'trouw.points.expiring.v1'")).toBe(2);
    expect(tt.count('outbox', "type = 'trouw.points.expired.v1'")).toBe(1);
    expect(tt.member('M-1').balance).toBe(0);
  });

  it('after a month powered off, the first run catches up: each lot expires once', async () => {
    const { tt, daily } = setup();
    const s = await daily.runDay(Date.UTC(2024, 3, 15, 9), false);
    expect(s).toMatchObject({ expiredLots: 2, expiredPoints: 30, notices: 0 }); // no notice for what already expired
    expect(await daily.runDay(Date.UTC(2024, 3, 15, 9), false)).toMatchObject({ expiredLots: 0 });
    expect(tt.count('ledger_entries', "kind = 'expire'")).toBe(2);
    expect(daily.lastRunDay()).toBe('2024-04-15');
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
  });

  it('applies a tier downgrade that fell due without any sale', async () => {
    const program = { ...defaultProgram(), tiers: { ...defaultProgram().tiers, graceDays: 0 } };
    const tt = makeTill({ deps: { program } });
    t = tt;
    tt.members.create({ number: 'M-9', name: 'Gold' });
    tt.clock.set(Date.UTC(2024, 4, 1, 12));
    const r = tt.send<'sale.ok'>(sale('G-1', [line(250000)], 'M-9'));
    expect(r.member).toMatchObject({ tier: 'goud', tierName: 'Goud' });
    // The sale after the upgrade earns ×1.5.
    expect(tt.send<'sale.ok'>(sale('G-2', [line(1000)], 'M-9')).pointsAwarded).toBe(15);
    const daily = createProgramDaily({ db: tt.db, clock: tt.clock, timeZone: TZ, program });
    expect(await daily.runDay(Date.UTC(2025, 5, 1, 12), false)).toMatchObject({ tiersChanged: 0 }); // held through 2025
    expect(await daily.runDay(Date.UTC(2026, 0, 1, 12), false)).toMatchObject({ tiersChanged: 1 });
    expect(tt.count('outbox', "type = 'trouw.member.tier-changed.v1'")).toBe(2); // up, then down
  });
});
