import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { EarningRulesConfig } from '../../gateway/config/schema';
import { compileRules, computeEarning, type EarnLine } from '../../gateway/core/loyalty/earning';
import { largestRemainder } from '../../gateway/core/loyalty/attribution';
import { decimalOf, roundDecimal } from '../../gateway/core/loyalty/decimal';

const base: EarningRulesConfig = {
  pointsPerEuro: 1,
  rounding: 'floor',
  minimumSpendCents: 0,
  expiryMonths: 12,
  multipliers: [],
  exclusions: { categories: ['tobacco', 'gift-card'], skus: [] },
  promotions: [],
};
const rules = (over: Partial<EarningRulesConfig> = {}) => compileRules({ ...base, ...over });
const line = (amountCents: number, category = 'food', sku = `sku-${category}`, qty = 1): EarnLine => ({ sku, category, qty, amountCents });
const earn = (r: ReturnType<typeof rules>, lines: EarnLine[], date = '2024-06-15') => computeEarning(r, lines, date);

describe('earning rules v1', () => {
  it('gives points per whole euro with floor rounding', () => {
    expect(earn(rules(), [line(1999)]).points).toBe(19);
    expect(earn(rules(), [line(99)]).points).toBe(0);
    expect(earn(rules({ pointsPerEuro: 10 }), [line(1999)]).points).toBe(199);
  });

  it('rounds half-up when configured', () => {
    expect(earn(rules({ rounding: 'half-up' }), [line(1950)]).points).toBe(20);
    expect(earn(rules({ rounding: 'half-up' }), [line(1949)]).points).toBe(19);
  });

  it('rounds once on the sale total, not per line', () => {
    const r = earn(rules(), [line(150), line(150)]);
    expect(r.points).toBe(3);
    expect(r.linePoints.reduce((a, b) => a + b, 0)).toBe(3);
    expect([...r.linePoints].sort()).toEqual([1, 2]);
  });

  it('is exact with decimal factors where floats are not', () => {
    // 100 × 0.29 = 28.999999999999996 in floats; the rule must still give 29.
    const r = rules({ pointsPerEuro: 100, multipliers: [{ category: 'food', factor: 0.29 }] });
    expect(earn(r, [line(100)]).points).toBe(29);
    expect(earn(rules({ pointsPerEuro: 0.1 }), [line(3000)]).points).toBe(3);
  });

  it('excludes tobacco, gift cards and listed SKUs, and they do not count for the minimum', () => {
    const r = rules({ minimumSpendCents: 1000, exclusions: { categories: ['tobacco', 'gift-card'], skus: ['lottery'] } });
    const res = earn(r, [line(5000, 'tobacco'), line(2500, 'gift-card'), line(900, 'food'), line(700, 'misc', 'lottery')]);
    expect(res.eligibleCents).toBe(900);
    expect(res.belowMinimum).toBe(true);
    expect(res.points).toBe(0);
    expect(res.linePoints).toEqual([0, 0, 0, 0]);
    const ok = earn(r, [line(5000, 'tobacco'), line(1000, 'food')]);
    expect(ok.points).toBe(10);
    expect(ok.linePoints).toEqual([0, 10]);
  });

  it('lets a SKU multiplier beat the category multiplier', () => {
    const r = rules({
      multipliers: [
        { category: 'food', factor: 2 },
        { sku: 'coffee', factor: 3 },
      ],
    });
    const res = earn(r, [line(1000, 'food', 'coffee'), line(1000, 'food', 'bread')]);
    expect(res.linePoints).toEqual([30, 20]);
    expect(res.points).toBe(50);
  });

  it('multiplies matching category rules together', () => {
    const r = rules({ multipliers: [{ category: 'food', factor: 2 }, { factor: 1.5 }] });
    expect(earn(r, [line(1000, 'food')]).points).toBe(30);
    expect(earn(r, [line(1000, 'toys')]).points).toBe(15);
  });

  it('applies dated promotions on inclusive store-local dates, with a flat bonus', () => {
    const r = rules({
      promotions: [{ id: 'summer', from: '2024-06-01', to: '2024-06-30', factor: 2, categories: ['food'], bonusPoints: 50 }],
    });
    const lines = [line(1000, 'food'), line(1000, 'toys')];
    expect(earn(r, lines, '2024-05-31').points).toBe(20);
    const first = earn(r, lines, '2024-06-01');
    expect(first.points).toBe(20 + 10 + 50);
    expect(first.promotions).toEqual(['summer']);
    expect(first.linePoints).toEqual([70, 10]); // the bonus stays with the matching line
    expect(earn(r, lines, '2024-06-30').points).toBe(80);
    expect(earn(r, lines, '2024-07-01').points).toBe(20);
    // A sale with no matching line gets no bonus.
    expect(earn(r, [line(1000, 'toys')], '2024-06-15').points).toBe(10);
    // Excluded lines do not qualify for a promotion.
    const all = rules({ promotions: [{ id: 'all', from: '2024-01-01', to: '2024-12-31', factor: 1, bonusPoints: 5 }] });
    expect(earn(all, [line(1000, 'tobacco')]).points).toBe(0);
    expect(earn(all, [line(1000, 'food')]).points).toBe(15);
  });

  it('earns nothing below the minimum spend, bonus included', () => {
    const r = rules({
      minimumSpendCents: 500,
      promotions: [{ id: 'p', from: '2024-01-01', to: '2024-12-31', factor: 1, bonusPoints: 100 }],
    });
    expect(earn(r, [line(499)]).points).toBe(0);
    expect(earn(r, [line(500)]).points).toBe(105);
  });
});

describe('attribution and decimals', () => {
  it('splits by largest remainder, ties to the earlier part', () => {
    expect(largestRemainder(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
    expect(largestRemainder(5n, [0n, 0n])).toEqual([0n, 0n]);
    expect(largestRemainder(7n, [0n, 2n, 5n])).toEqual([0n, 2n, 5n]);
  });

  test.prop([fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 30 })])(
    'parts add up to the total and each is within 1 of its exact share',
    (total, weights) => {
      const parts = largestRemainder(total, weights);
      const sum = weights.reduce((a, b) => a + b, 0n);
      if (sum === 0n) {
        // (not `return expect(…)`: a predicate that returns a falsy value fails the property)
        expect(parts.every((p) => p === 0n)).toBe(true);
        return;
      }
      expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
      parts.forEach((p, i) => {
        const lo = (total * weights[i]!) / sum;
        expect(p === lo || p === lo + 1n).toBe(true);
      });
    },
  );

  it('reads decimals from their shortest text', () => {
    expect(decimalOf(0.1)).toEqual({ units: 1n, scale: 1 });
    expect(decimalOf(1e-7)).toEqual({ units: 1n, scale: 7 });
    expect(decimalOf(1e21)).toEqual({ units: 10n ** 21n, scale: 0 });
    expect(roundDecimal({ units: 25n, scale: 1 }, 'half-up')).toBe(3n);
    expect(roundDecimal({ units: 25n, scale: 1 }, 'floor')).toBe(2n);
  });
});

const categories = ['food', 'toys', 'tobacco', 'gift-card', 'drinks'];
const lineArb = fc.record({
  sku: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  category: fc.constantFrom(...categories),
  qty: fc.integer({ min: 1, max: 20 }),
  amountCents: fc.integer({ min: 0, max: 500_000 }),
});
const rulesArb = fc.record({
  pointsPerEuro: fc.constantFrom(0, 0.5, 1, 2, 10, 0.1, 1.25),
  rounding: fc.constantFrom('floor' as const, 'half-up' as const),
  minimumSpendCents: fc.integer({ min: 0, max: 2000 }),
  multipliers: fc.array(
    fc.record({
      category: fc.option(fc.constantFrom(...categories), { nil: undefined }),
      sku: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
      factor: fc.constantFrom(0, 0.5, 1, 1.1, 2, 3, 0.29),
    }),
    { maxLength: 4 },
  ),
  promotions: fc.array(
    fc.record({
      id: fc.constantFrom('p1', 'p2', 'p3'),
      from: fc.constantFrom('2024-01-01', '2024-06-15'),
      to: fc.constantFrom('2024-06-15', '2024-12-31'),
      factor: fc.constantFrom(1, 1.5, 2),
      categories: fc.option(fc.subarray(categories), { nil: undefined }),
      skus: fc.option(fc.subarray(['a', 'b']), { nil: undefined }),
      bonusPoints: fc.integer({ min: 0, max: 100 }),
    }),
    { maxLength: 3 },
  ),
});

describe('earning properties', () => {
  test.prop([rulesArb, fc.array(lineArb, { minLength: 1, maxLength: 40 })])('Σ line points = total; excluded lines earn 0', (cfg, lines) => {
    const r = compileRules({ ...base, ...cfg });
    const res = computeEarning(r, lines, '2024-06-15');
    expect(res.linePoints.reduce((a, b) => a + b, 0)).toBe(res.points);
    expect(res.points).toBe(res.belowMinimum ? 0 : res.basePoints + res.bonusPoints);
    res.linePoints.forEach((p, i) => {
      expect(Number.isSafeInteger(p) && p >= 0).toBe(true);
      if (['tobacco', 'gift-card'].includes(lines[i]!.category)) expect(p).toBe(0);
    });
  });

  test.prop([fc.array(lineArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 50 })])(
    'with integer factors, base points = ⌊Σ cents × factor × ppe / 100⌋ (half-up ≥ floor)',
    (lines, ppe) => {
      const cfg = {
        ...base,
        pointsPerEuro: ppe,
        multipliers: [
          { category: 'food', factor: 3 },
          { sku: 'a', factor: 2 },
        ],
      };
      const floor = computeEarning(compileRules(cfg), lines, '2024-06-15');
      const half = computeEarning(compileRules({ ...cfg, rounding: 'half-up' }), lines, '2024-06-15');
      let w = 0;
      for (const l of lines) {
        if (l.category === 'tobacco' || l.category === 'gift-card') continue;
        w += l.amountCents * (l.sku === 'a' ? 2 : l.category === 'food' ? 3 : 1);
      }
      expect(floor.points).toBe(Math.floor((w * ppe) / 100));
      expect(half.points).toBe(Math.floor((w * ppe * 2 + 100) / 200));
      expect(half.points - floor.points === 0 || half.points - floor.points === 1).toBe(true);
    },
  );
});
