import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { planReturn, planVoid, reversedSoFar, type SoldLine } from '../../gateway/core/loyalty/returns';

const sold = (lines: Array<[string, number, number]>): SoldLine[] => lines.map(([sku, qty, points]) => ({ sku, qty, points, returnedQty: 0 }));

const after = (lines: SoldLine[], returnedQty: readonly number[]): SoldLine[] => lines.map((l, i) => ({ ...l, returnedQty: returnedQty[i]! }));

describe('returns', () => {
  it('reverses cumulatively so partial returns add up to the line exactly', () => {
    let s = sold([['x', 3, 10]]);
    const steps: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = planReturn(s, [{ sku: 'x', qty: 1 }]);
      if (!r.ok) throw new Error('unexpected');
      steps.push(r.value.points);
      s = after(s, r.value.returnedQty);
    }
    expect(steps).toEqual([3, 3, 4]);
    expect(reversedSoFar(10, 3, 3)).toBe(10);
  });

  it('refuses to return more than was sold, counting earlier refunds', () => {
    const s = after(sold([['x', 2, 10]]), [1]);
    const r = planReturn(s, [{ sku: 'x', qty: 2 }]);
    expect(r).toEqual({ ok: false, error: { code: 'exceeds-sale', sku: 'x', sold: 2, alreadyReturned: 1, requested: 2 } });
    expect(planReturn(s, [{ sku: 'y', qty: 1 }])).toEqual({ ok: false, error: { code: 'not-in-sale', sku: 'y' } });
    // Two refund lines of the same SKU count together.
    expect(
      planReturn(sold([['x', 2, 10]]), [
        { sku: 'x', qty: 1 },
        { sku: 'x', qty: 2 },
      ]).ok,
    ).toBe(false);
  });

  it('takes a SKU sold on several lines from the first line that has units left', () => {
    const s = sold([
      ['x', 1, 5],
      ['y', 1, 7],
      ['x', 2, 8],
    ]);
    const r = planReturn(s, [{ sku: 'x', qty: 2 }]);
    expect(r.ok && r.value.lines).toEqual([
      { line: 0, qty: 1, points: 5 },
      { line: 2, qty: 1, points: 4 },
    ]);
    expect(r.ok && r.value.returnedQty).toEqual([1, 0, 1]);
  });

  it('voids what is left after partial refunds', () => {
    const s = after(
      sold([
        ['x', 3, 10],
        ['y', 1, 5],
      ]),
      [1, 0],
    );
    const v = planVoid(s);
    expect(v.points).toBe(10 - 3 + 5);
    expect(v.lines).toEqual([
      { line: 0, qty: 2, points: 7 },
      { line: 1, qty: 1, points: 5 },
    ]);
    expect(planVoid(after(s, [3, 1])).points).toBe(0);
  });

  const saleArb = fc.array(
    fc.record({ sku: fc.constantFrom('a', 'b', 'c', 'd'), qty: fc.integer({ min: 1, max: 12 }), points: fc.integer({ min: 0, max: 100_000 }) }),
    { minLength: 1, maxLength: 8 },
  );

  test.prop([saleArb, fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 40 }), fc.boolean()])(
    'any sequence of returns (then optionally a void) reverses at most, and finally exactly, the sale points',
    (lines, picks, voidAtEnd) => {
      let s: SoldLine[] = lines.map((l) => ({ ...l, returnedQty: 0 }));
      const total = lines.reduce((a, l) => a + l.points, 0);
      let reversed = 0;
      for (const p of picks) {
        const open = s.flatMap((l, i) => (l.qty > l.returnedQty ? [i] : []));
        if (open.length === 0) break;
        const i = open[p % open.length]!;
        const sku = s[i]!.sku;
        const left = s.filter((l) => l.sku === sku).reduce((a, l) => a + l.qty - l.returnedQty, 0);
        const r = planReturn(s, [{ sku, qty: 1 + (p % left) }]);
        if (!r.ok) throw new Error(`unexpected ${r.error.code}`);
        expect(r.value.points).toBeGreaterThanOrEqual(0);
        reversed += r.value.points;
        s = after(s, r.value.returnedQty);
        expect(reversed).toBeLessThanOrEqual(total);
      }
      if (voidAtEnd) {
        const v = planVoid(s);
        reversed += v.points;
        s = after(s, v.returnedQty);
      } else {
        for (const sku of new Set(s.map((l) => l.sku))) {
          const left = s.filter((l) => l.sku === sku).reduce((a, l) => a + l.qty - l.returnedQty, 0);
          if (left === 0) continue;
          const r = planReturn(s, [{ sku, qty: left }]);
          if (!r.ok) throw new Error('unexpected');
          reversed += r.value.points;
          s = after(s, r.value.returnedQty);
        }
      }
      expect(reversed).toBe(total);
      expect(planReturn(s, [{ sku: s[0]!.sku, qty: 1 }]).ok).toBe(false);
    },
  );
});
