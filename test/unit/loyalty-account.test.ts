import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { applyEarn, applyReverse, type Account } from '../../gateway/core/loyalty/account';
import { lotExpiry, lotsDue, takeFromLots, type Lot } from '../../gateway/core/loyalty/lots';

describe('account', () => {
  it('takes what a reversal can and records the rest as deficit, settled by the next earning first', () => {
    const r = applyReverse({ balance: 30, deficit: 0 }, 50);
    expect(r).toEqual({ taken: 30, deficitAdded: 20, account: { balance: 0, deficit: 20 } });
    const e = applyEarn(r.account, 15);
    expect(e).toEqual({ settled: 15, credited: 0, account: { balance: 0, deficit: 5 } });
    const e2 = applyEarn(e.account, 40);
    expect(e2).toEqual({ settled: 5, credited: 35, account: { balance: 35, deficit: 0 } });
  });

  it('refuses negative or fractional points', () => {
    expect(() => applyEarn({ balance: 0, deficit: 0 }, -1)).toThrow(RangeError);
    expect(() => applyReverse({ balance: 0, deficit: 0 }, 1.5)).toThrow(RangeError);
  });

  test.prop([fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 10_000 })), { maxLength: 60 })])(
    'balance never negative; balance − deficit = earned − reversed; never both positive',
    (ops) => {
      let acc: Account = { balance: 0, deficit: 0 };
      let net = 0;
      for (const [isEarn, n] of ops) {
        acc = isEarn ? applyEarn(acc, n).account : applyReverse(acc, n).account;
        net += isEarn ? n : -n;
        expect(acc.balance).toBeGreaterThanOrEqual(0);
        expect(acc.deficit).toBeGreaterThanOrEqual(0);
        expect(acc.balance - acc.deficit).toBe(net);
        expect(acc.balance === 0 || acc.deficit === 0).toBe(true);
      }
    },
  );
});

describe('lots', () => {
  const lots: Lot[] = [
    { id: 'L3', remaining: 10, expiresOn: '2025-03-01', saleId: 3 },
    { id: 'L1', remaining: 5, expiresOn: '2025-01-01', saleId: 1 },
    { id: 'L2', remaining: 0, expiresOn: '2024-12-01', saleId: 2 },
    { id: 'L4', remaining: 7, expiresOn: '2025-01-01', saleId: 4 },
  ];

  it('takes from the sale’s own lot first, then oldest-expiring', () => {
    expect(takeFromLots(lots, 12, 3)).toEqual({
      takes: [
        { lotId: 'L3', take: 10, remaining: 0 },
        { lotId: 'L1', take: 2, remaining: 3 },
      ],
      taken: 12,
    });
    expect(takeFromLots(lots, 6).takes).toEqual([
      { lotId: 'L1', take: 5, remaining: 0 },
      { lotId: 'L4', take: 1, remaining: 6 },
    ]);
    expect(takeFromLots(lots, 100).taken).toBe(22);
  });

  it('expires on sale date + months, clamped to month end', () => {
    expect(lotExpiry('2024-01-31', 1)).toBe('2024-02-29');
    expect(lotExpiry('2024-06-15', 12)).toBe('2025-06-15');
    expect(lotsDue(lots, '2025-01-01').map((l) => l.id)).toEqual(['L1', 'L4']);
  });

  test.prop([
    fc.array(
      fc.record({
        remaining: fc.integer({ min: 0, max: 100 }),
        expiresOn: fc.constantFrom('2025-01-01', '2025-02-01', '2025-03-01'),
        saleId: fc.integer({ min: 1, max: 4 }),
      }),
      { maxLength: 12 },
    ),
    fc.integer({ min: 0, max: 500 }),
    fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  ])('takes exactly min(amount, Σ remaining) and never more than a lot holds', (raw, amount, prefer) => {
    const ls = raw.map((l, i) => ({ ...l, id: `L${String(i).padStart(2, '0')}` }));
    const held = ls.reduce((a, l) => a + l.remaining, 0);
    const { takes, taken } = takeFromLots(ls, amount, prefer);
    expect(taken).toBe(Math.min(amount, held));
    expect(takes.reduce((a, t) => a + t.take, 0)).toBe(taken);
    for (const t of takes) {
      const lot = ls.find((l) => l.id === t.lotId)!;
      expect(t.take).toBeGreaterThan(0);
      expect(t.remaining).toBe(lot.remaining - t.take);
    }
  });
});
