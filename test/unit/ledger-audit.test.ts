import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { makeTill, line, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe('auditLedger', () => {
  it('passes on a consistent ledger and reports the counts', () => {
    const tt = makeTill();
    t = tt;
    tt.members.create({ number: 'M-1', name: 'A' });
    tt.send(sale('A-1', [line(1234)], 'M-1'));
    tt.send(sale('A-2', [line(500)]));
    expect(auditLedger(tt.db)).toEqual({
      integrity: 'ok',
      foreignKeyViolations: 0,
      balancesMatchEntries: true,
      deficitsMatchEntries: true,
      lotsMatchBalances: true,
      salesMatchEntries: true,
      negativeBalances: 0,
      mismatchedMembers: [],
      members: 1,
      salesCount: 2,
      returnsCount: 0,
      entriesCount: 1,
      lotsCount: 1,
      outboxCount: 3,
      tillRequestsCount: 2,
      totalBalance: 12,
      totalDeficit: 0,
    });
  });

  it('catches a balance cache that drifted from the entries', () => {
    const tt = makeTill();
    t = tt;
    tt.members.create({ number: 'M-1', name: 'A' });
    tt.send(sale('A-1', [line(1234)], 'M-1'));
    tt.db.prepare("UPDATE members SET balance = balance + 1 WHERE number = 'M-1'").run();
    const a = auditLedger(tt.db);
    expect(a).toMatchObject({ balancesMatchEntries: false, lotsMatchBalances: false, deficitsMatchEntries: true, mismatchedMembers: [tt.member('M-1').id] });
  });
});
