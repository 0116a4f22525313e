import { afterEach, describe, expect, it } from 'vitest';
import { openTempDb, testClock, type TempDb } from './sqlite-helpers';
import { createProgramContext } from '../../gateway/app/loyalty/program-context';
import { FaultCodes, exitCodeOf, isFault } from '../../gateway/core/faults';

let tmp: TempDb | undefined;
afterEach(() => tmp?.cleanup());

describe('the one ledger writer', () => {
  it('every taking from lots checks Σ lots = balance and faults with a code when it does not hold', () => {
    tmp = openTempDb();
    const clock = testClock();
    const ctx = createProgramContext({ db: tmp.db, clock });
    ctx.members.insert({ id: 'm1', number: 'M-1', name: 'Ada', createdAt: clock.now() });
    ctx.writer.credit(ctx.members.byId('m1')!, { key: 'c1', reason: 'test', parts: [{ points: 50, expiresOn: '2030-01-01' }], now: clock.now() });
    // Corrupt the cache: the member row says 80, the lots hold 50.
    ctx.members.setAccount('m1', 80, 0);
    const corrupt = () => ctx.members.byId('m1')!;
    const faults: unknown[] = [];
    for (const take of [
      () => ctx.writer.burn(corrupt(), { points: 70, key: 'b1', at: clock.now() }),
      () => ctx.writer.debit(corrupt(), { points: 70, key: 'd1', reason: 'test', at: clock.now() }),
    ]) {
      try {
        take();
      } catch (e) {
        faults.push(e);
      }
    }
    expect(faults).toHaveLength(2);
    for (const f of faults) expect(isFault(f, 'TROUW_LEDGER_INCONSISTENT')).toBe(true);
    expect(exitCodeOf(faults[0])).toBe(FaultCodes.TROUW_LEDGER_INCONSISTENT.exitCode);
    expect(exitCodeOf(new Error('plain'))).toBe(1);
  });

  it('credit settles the deficit first, then the rest becomes lots (the program calls it)', () => {
    tmp = openTempDb();
    const clock = testClock();
    const ctx = createProgramContext({ db: tmp.db, clock });
    ctx.members.insert({ id: 'm1', number: 'M-1', name: 'Ada', createdAt: clock.now() });
    ctx.members.setAccount('m1', 0, 30);
    const r = ctx.program.credit(ctx.members.byId('m1')!, { key: 'k', reason: 'bonus', parts: [{ points: 100, expiresOn: '2030-01-01' }], now: clock.now() });
    expect(r.account).toEqual({ balance: 70, deficit: 0 });
    expect(r.entries.map((e) => [e.kind, e.points, e.deficitDelta])).toEqual([
      ['adjust', 100, 0],
      ['adjust', -30, -30],
    ]);
    expect(ctx.ledgerRepo.openLots('m1').map((l) => l.remaining)).toEqual([70]);
  });
});
