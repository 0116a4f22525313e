/**
 * A/B/A/B blocks for benchmarks on a shared machine (HELPERS.md, issue 18).
 *
 * The machine runs other jobs: a raw baseline measured once and the measured path measured
 * once, minutes apart, compare the neighbours as much as the code (the till bench's raw
 * baseline moved from 708 to 3,230 tx/s between two runs). So a bench runs the baseline (A)
 * and the measured path (B) in alternating short blocks, takes one ratio per A/B pair, and
 * prints the ratio's spread across pairs: a narrow spread says the ratio can be trusted, a
 * wide one says the neighbours were busy. The ratio reported is the median of the pairs'.
 *
 * Each block returns one figure (a rate, a CPU share, a latency); `ratio(a, b)` turns a pair
 * into the ratio the issue names (default b / a: the measured path as a share of the raw
 * baseline's rate, 1.0 = as fast as raw).
 */

export interface InterleaveOptions {
  /** A/B pairs to run (default 5). */
  pairs?: number;
  /** The raw baseline's block: returns its figure. */
  a: (pair: number) => number | Promise<number>;
  /** The measured path's block: returns its figure. */
  b: (pair: number) => number | Promise<number>;
  /** A pair's ratio (default b / a). */
  ratio?: (a: number, b: number) => number;
  /** Called after each pair (progress lines). */
  onPair?: (p: { pair: number; a: number; b: number; ratio: number }) => void;
}

export interface Interleaved {
  /** Figures of the A blocks, in run order. */
  a: number[];
  /** Figures of the B blocks, in run order. */
  b: number[];
  /** One ratio per pair, in run order. */
  ratios: number[];
  /** Medians of the blocks' figures. */
  aMedian: number;
  bMedian: number;
  /** Median of the pairs' ratios, and their spread. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function interleave(o: InterleaveOptions): Promise<Interleaved> {
  const pairs = Math.max(1, Math.trunc(o.pairs ?? 5));
  const ratioOf = o.ratio ?? ((a: number, b: number) => b / a);
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const fa = await o.a(i);
    const fb = await o.b(i);
    const r = ratioOf(fa, fb);
    a.push(fa);
    b.push(fb);
    ratios.push(r);
    o.onPair?.({ pair: i, a: fa, b: fb, ratio: r });
  }
  return {
    a,
    b,
    ratios,
    aMedian: median(a),
    bMedian: median(b),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
  };
}

/** One line for the bench's output: "ratio 0.71 (min 0.64, max 0.78 over 5 A/B pairs)". */
export function spreadLine(r: Interleaved, digits = 3): string {
  return `ratio ${r.ratio.toFixed(digits)} (min ${r.ratioMin.toFixed(digits)}, max ${r.ratioMax.toFixed(digits)} over ${r.ratios.length} A/B pairs)`;
}
