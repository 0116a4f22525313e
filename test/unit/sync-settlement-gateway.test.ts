import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createMemberProgram } from '../../gateway/app/loyalty/member-program';
import { defaultProgram } from '../../gateway/app/loyalty/program';
import { createSyncCommands } from '../../gateway/app/sync/sync-commands';
import type { CommandContext } from '../../sync/gateway/downlink';
import { STORE } from './sqlite-helpers';
import { line, makeTill, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function setup() {
  const program = defaultProgram();
  const tt = makeTill({ deps: { program } });
  t = tt;
  tt.members.create({ number: 'M-1', name: 'Ada' });
  tt.send(sale('S-1', [line(50000)], 'M-1')); // 500 points
  const cmds = createSyncCommands({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, expiryMonths: 12, program });
  const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, program });
  const ctx = (commandId: string): CommandContext => ({ commandId, name: 'settle-member', now: tt.clock.now(), db: tt.db });
  const account = () => tt.db.prepare('SELECT balance, deficit FROM members WHERE number = ?').get('M-1') as { balance: number; deficit: number };
  return { tt, cmds, mp, ctx, account };
}

describe('settle-member at the gateway', () => {
  it('aligns the account to HQ (snapshot, balance, debt as deficit) with one audited entry; a replay or an older settlement changes nothing', () => {
    const { tt, cmds, mp, ctx, account } = setup();
    const settle = cmds['settle-member']!;
    const now = tt.clock.now();
    // HQ counted a spend made elsewhere: 300 left.
    expect(settle({ member: 'M-1', balance: 300, debt: 0, asOf: now - 1000 }, ctx('01JSETTLE0000000000000000A'))).toMatchObject({
      ok: true,
      value: { balance: 300, deficit: 0, points: -200 },
    });
    expect(account()).toEqual({ balance: 300, deficit: 0 });
    expect(mp.spendable('M-1')).toMatchObject({ available: 300 });
    // Offline stores overspent: debt 150.
    expect(settle({ member: 'M-1', balance: 0, debt: 150, asOf: now - 500 }, ctx('01JSETTLE0000000000000000B'))).toMatchObject({
      ok: true,
      value: { balance: 0, deficit: 150, points: -300, deficitDelta: 150 },
    });
    expect(account()).toEqual({ balance: 0, deficit: 150 });
    expect(tt.count('ledger_entries', "key = 'cmd:01JSETTLE0000000000000000B:settle' AND kind = 'adjust'")).toBe(1);
    // Replay: same id.
    expect(settle({ member: 'M-1', balance: 0, debt: 150, asOf: now - 500 }, ctx('01JSETTLE0000000000000000B'))).toMatchObject({
      ok: true,
      value: { replayed: true },
    });
    // Older than the snapshot held: ignored.
    expect(settle({ member: 'M-1', balance: 999, debt: 0, asOf: now - 2000 }, ctx('01JSETTLE0000000000000000C'))).toMatchObject({
      ok: true,
      value: { stale: true },
    });
    expect(account()).toEqual({ balance: 0, deficit: 150 });
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
    // The next earning pays the debt first.
    const r = tt.send(sale('S-2', [line(20000)], 'M-1')) as { pointsAwarded: number };
    expect(r.pointsAwarded).toBeGreaterThan(150);
    expect(account()).toEqual({ balance: r.pointsAwarded - 150, deficit: 0 });
  });

  it('credits points HQ knows of as a lot; member-snapshot touches only the snapshot; unknown member refused', () => {
    const { tt, cmds, mp, ctx, account } = setup();
    const now = tt.clock.now();
    expect(cmds['settle-member']!({ member: 'M-1', balance: 1200, debt: 0, asOf: now }, ctx('01JSETTLE0000000000000000D')).ok).toBe(true);
    expect(account()).toEqual({ balance: 1200, deficit: 0 });
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
    expect(cmds['member-snapshot']!({ member: 'M-1', balance: 100, asOf: now + 1 }, ctx('01JSETTLE0000000000000000E'))).toMatchObject({
      ok: true,
      value: { applied: true },
    });
    expect(account()).toEqual({ balance: 1200, deficit: 0 });
    expect(mp.spendable('M-1')).toMatchObject({ available: 100, limit: 'over-offline-budget' });
    expect(cmds['settle-member']!({ member: 'M-404', balance: 1, debt: 0, asOf: now }, ctx('01JSETTLE0000000000000000F'))).toMatchObject({
      ok: false,
      error: { code: 'unknown-member' },
    });
  });
});
