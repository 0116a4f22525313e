import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createLedgerRepo } from '../../gateway/adapters/sqlite/ledger-repo';
import { createPointsExpiry } from '../../gateway/app/loyalty/points-expiry';
import { makeTill, line, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe('points expiry', () => {
  it('expires lots on their date, in chunks, with entries and events; later lots stay', () => {
    const tt = makeTill({ rules: { expiryMonths: 1 } });
    t = tt;
    for (const n of ['M-1', 'M-2', 'M-3']) tt.members.create({ number: n, name: n });
    tt.clock.set(Date.UTC(2024, 0, 31, 12)); // lots expire on 2024-02-29
    tt.send(sale('X-1', [line(1000)], 'M-1'));
    tt.send(sale('X-2', [line(2000)], 'M-2'));
    tt.send(sale('X-3', [line(3000)], 'M-1'));
    tt.clock.set(Date.UTC(2024, 1, 10, 12)); // lot expires on 2024-03-10
    tt.send(sale('X-4', [line(4000)], 'M-3'));
    tt.send(sale('X-5', [line(500)], 'M-1'));

    const expiry = createPointsExpiry({ db: tt.db, clock: tt.clock, timeZone: 'Europe/Amsterdam', chunk: 2 });
    // The day before: nothing.
    expect(expiry.runAll(Date.UTC(2024, 1, 28, 12))).toMatchObject({ today: '2024-02-28', expiredLots: 0, scanned: 5, done: true });
    const run = expiry.runAll(Date.UTC(2024, 1, 29, 12));
    expect(run).toMatchObject({ today: '2024-02-29', expiredLots: 3, points: 60, done: true });
    expect(tt.member('M-1')).toMatchObject({ balance: 5 });
    expect(tt.member('M-2')).toMatchObject({ balance: 0 });
    expect(tt.member('M-3')).toMatchObject({ balance: 40 });
    expect(tt.count('ledger_entries', "kind = 'expire'")).toBe(3);
    expect(tt.count('outbox', "type = 'trouw.points.expired.v1'")).toBe(3);
    // Running again expires nothing more.
    expect(expiry.runAll(Date.UTC(2024, 1, 29, 13))).toMatchObject({ expiredLots: 0 });
    expect(
      createLedgerRepo(tt.db)
        .openLots(tt.member('M-1').id)
        .map((l) => l.remaining),
    ).toEqual([5]);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, deficitsMatchEntries: true });
  });
});
