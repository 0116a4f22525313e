/**
 * The RSSI filter per (device, scanner) (DESIGN.md §4): a short window of samples (seconds)
 * and a robust mean: the mean of the samples inside the Tukey fence [Q1 − k·IQR, Q3 + k·IQR].
 * A lost advert is simply absent; an outlier (a reflection, a body in the way for one
 * advert) falls outside the fence and does not drag the mean.
 */

/** A ring of (time, rssi) samples; the oldest is overwritten when full. */
export class SampleWindow {
  private readonly t: Float64Array;
  private readonly v: Float32Array;
  private head = 0;
  private n = 0;

  constructor(readonly capacity = 48) {
    this.t = new Float64Array(capacity);
    this.v = new Float32Array(capacity);
  }

  push(at: number, rssi: number): void {
    this.t[this.head] = at;
    this.v[this.head] = rssi;
    this.head = (this.head + 1) % this.capacity;
    if (this.n < this.capacity) this.n++;
  }

  get size(): number {
    return this.n;
  }

  /** Time of the newest sample, or -Infinity. */
  get newest(): number {
    return this.n === 0 ? -Infinity : this.t[(this.head - 1 + this.capacity) % this.capacity]!;
  }

  /**
   * Sums and counts of the samples in (now − 2·span, now − span] and (now − span, now]:
   * `out` = [sum before, n before, sum last, n last, sum of squares of both]. One pass,
   * newest first.
   */
  halves(now: number, span: number, out: Float64Array): void {
    out.fill(0);
    for (let i = 0; i < this.n; i++) {
      const k = (this.head - 1 - i + this.capacity) % this.capacity;
      const at = this.t[k]!;
      if (at <= now - 2 * span) break;
      if (at > now) continue;
      const j = at > now - span ? 2 : 0;
      const v = this.v[k]!;
      out[j]! += v;
      out[j + 1]!++;
      out[4]! += v * v;
    }
  }

  /** Copies the values of samples with `from < at ≤ to` into `out`; returns how many. */
  collect(from: number, to: number, out: number[]): number {
    out.length = 0;
    for (let i = 0; i < this.n; i++) {
      const k = (this.head - 1 - i + this.capacity) % this.capacity;
      const at = this.t[k]!;
      if (at <= from) break; // older ones are older still
      if (at <= to) out.push(this.v[k]!);
    }
    return out.length;
  }
}

/** Quantile of sorted values, linear interpolation. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Mean of the values inside the Tukey fence with factor `k` (1.5 is Tukey's). Sorts `values`
 * in place. NaN for no values; with fewer than 4 values the median (a fence needs quartiles).
 */
export function robustMean(values: number[], k = 1.5): number {
  const n = values.length;
  if (n === 0) return NaN;
  values.sort((a, b) => a - b);
  if (n < 4) return quantile(values, 0.5);
  const q1 = quantile(values, 0.25);
  const q3 = quantile(values, 0.75);
  const lo = q1 - k * (q3 - q1);
  const hi = q3 + k * (q3 - q1);
  let sum = 0;
  let m = 0;
  for (const x of values) {
    if (x >= lo && x <= hi) {
      sum += x;
      m++;
    }
  }
  return m > 0 ? sum / m : quantile(values, 0.5);
}
