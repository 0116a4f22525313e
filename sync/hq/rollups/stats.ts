/** Difference of two means with a 95% confidence interval (Welch, normal approximation). */
export interface GroupSums {
  n: number;
  sum: number;
  sum2: number;
}
export interface MeanDiff {
  treated: number | null;
  control: number | null;
  diff: number | null;
  low: number | null;
  high: number | null;
  /** diff / control, when control > 0. */
  relative: number | null;
}

const mean = (g: GroupSums) => (g.n > 0 ? g.sum / g.n : null);
const variance = (g: GroupSums) => (g.n > 1 ? Math.max(0, (g.sum2 - (g.sum * g.sum) / g.n) / (g.n - 1)) : null);

export function meanDiff(t: GroupSums, c: GroupSums, z = 1.96): MeanDiff {
  const mt = mean(t);
  const mc = mean(c);
  if (mt === null || mc === null) return { treated: mt, control: mc, diff: null, low: null, high: null, relative: null };
  const diff = mt - mc;
  const vt = variance(t);
  const vc = variance(c);
  const se = vt === null || vc === null ? null : Math.sqrt(vt / t.n + vc / c.n);
  return {
    treated: mt,
    control: mc,
    diff,
    low: se === null ? null : diff - z * se,
    high: se === null ? null : diff + z * se,
    relative: mc > 0 ? diff / mc : null,
  };
}
