/** The RSSI window and its robust mean (DESIGN.md §4). */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { SampleWindow, robustMean } from '../../gateway/core/presence/window-filter';

describe('SampleWindow', () => {
  it('keeps the newest samples, oldest overwritten when full', () => {
    const w = new SampleWindow(4);
    for (let i = 1; i <= 6; i++) w.push(i * 100, -60 - i);
    const out: number[] = [];
    expect(w.collect(0, 1000, out)).toBe(4);
    expect(out).toEqual([-66, -65, -64, -63]);
    expect(w.newest).toBe(600);
  });

  it('collects only samples in (from, to]', () => {
    const w = new SampleWindow(10);
    for (let t = 0; t <= 5000; t += 1000) w.push(t, -t / 100);
    const out: number[] = [];
    expect(w.collect(2000, 4000, out)).toBe(2);
    expect(out.sort()).toEqual([-30, -40].sort());
  });
});

describe('robustMean', () => {
  it('ignores a reflection or a blocked advert outside the Tukey fence', () => {
    expect(robustMean([-70, -71, -69, -70, -72, -68, -40])).toBeCloseTo(-70, 5);
    expect(robustMean([-70, -71, -69, -70, -72, -68, -99])).toBeCloseTo(-70, 5);
  });

  it('is the median below four samples and NaN for none', () => {
    expect(robustMean([-80, -60, -70])).toBe(-70);
    expect(robustMean([-80])).toBe(-80);
    expect(robustMean([])).toBeNaN();
  });

  test.prop([fc.array(fc.integer({ min: -100, max: -30 }), { minLength: 1, maxLength: 48 }), fc.double({ min: 0, max: 3, noNaN: true })])(
    'lies between the smallest and largest sample',
    (xs, k) => {
      const m = robustMean([...xs], k);
      expect(m).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-9);
      expect(m).toBeLessThanOrEqual(Math.max(...xs) + 1e-9);
    },
  );
});
