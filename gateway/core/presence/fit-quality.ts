/**
 * How well devices fit the radio map lately, pure: the median of the best zone misfit (dB)
 * of recent fits, from a histogram that forgets with a half-life. Why: a radio map goes stale
 * when shelves or scanners move, and then every device fits every zone worse; store IT sees
 * that as a median that has risen well above what it was after the walk (docs/presence.md).
 */

const BIN_DB = 0.25;
const BINS = 120; // 0–30 dB; a worse fit counts in the last bin

export class FitQuality {
  private readonly bins = new Float64Array(BINS);
  private total = 0;
  private lastDecay: number | null = null;

  constructor(private readonly halfLifeMs = 30 * 60_000) {}

  add(misfitDb: number): void {
    const i = Math.min(BINS - 1, Math.max(0, Math.floor(misfitDb / BIN_DB)));
    this.bins[i]! += 1;
    this.total += 1;
  }

  /** Forgets by the half-life since the last call (call with each evaluation's `now`). */
  decay(now: number): void {
    if (this.lastDecay !== null && now > this.lastDecay) {
      const f = Math.pow(0.5, (now - this.lastDecay) / this.halfLifeMs);
      for (let i = 0; i < BINS; i++) this.bins[i]! *= f;
      this.total *= f;
    }
    this.lastDecay = now;
  }

  /** Median best misfit (dB, to the bin's middle) and the weight behind it; null before any fit. */
  median(): { misfitDb: number; weight: number } | null {
    if (this.total < 1) return null;
    let acc = 0;
    for (let i = 0; i < BINS; i++) {
      acc += this.bins[i]!;
      if (acc >= this.total / 2) return { misfitDb: (i + 0.5) * BIN_DB, weight: this.total };
    }
    return { misfitDb: (BINS - 0.5) * BIN_DB, weight: this.total };
  }
}
