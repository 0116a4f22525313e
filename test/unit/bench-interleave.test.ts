import { describe, expect, it } from 'vitest';
import { interleave, median, spreadLine } from '../bench/support/interleave';

describe('bench interleave helper', () => {
  it('runs A then B per pair, in order, and reports the median ratio with its spread', async () => {
    const order: string[] = [];
    const as = [100, 200, 100];
    const bs = [70, 100, 90];
    const r = await interleave({
      pairs: 3,
      a: (i) => (order.push(`a${i}`), as[i]!),
      b: (i) => (order.push(`b${i}`), bs[i]!),
    });
    expect(order).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    expect(r.ratios).toEqual([0.7, 0.5, 0.9]);
    expect(r.ratio).toBe(0.7);
    expect(r.ratioMin).toBe(0.5);
    expect(r.ratioMax).toBe(0.9);
    expect(r.aMedian).toBe(100);
    expect(spreadLine(r, 2)).toBe('ratio 0.70 (min 0.50, max 0.90 over 3 A/B pairs)');
  });

  it('takes a custom ratio (CPU: baseline over measured) and async blocks', async () => {
    const r = await interleave({ pairs: 2, a: async () => 0.02, b: async () => 0.08, ratio: (a, b) => a / b });
    expect(r.ratio).toBeCloseTo(0.25);
  });

  it('median of an even count is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
