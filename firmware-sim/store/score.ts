/**
 * Scores a zone timeline against the ground truth (issue 4):
 * - zone accuracy: share of in-store time the predicted zone is the true one;
 * - entry delay: for each true stay of at least `minStayMs`, the time from the true entry
 *   to the first moment the prediction shows that zone (a stay never shown is "missed" and
 *   counts as an infinite delay in the percentiles, so misses cannot flatter them);
 * - false changes: predicted entries into a zone that no true stay in that zone explains
 *   (each true stay explains at most one entry made from `beforeMs` before it begins to
 *   `afterMs` after it ends), per in-store hour.
 * Timelines are piecewise constant, recorded as changes.
 */

export interface ScoreOptions {
  minStayMs: number;
  beforeMs: number;
  afterMs: number;
}

export const DEFAULT_SCORE: ScoreOptions = { minStayMs: 30_000, beforeMs: 5000, afterMs: 15_000 };

interface Change {
  t: number;
  zone: string | null;
}

class Timeline {
  readonly changes: Change[] = [];
  observe(t: number, zone: string | null): void {
    const last = this.changes[this.changes.length - 1];
    if (!last || last.zone !== zone) this.changes.push({ t, zone });
  }
  /** Segments [t0, t1) with their zone, up to `end`. */
  segments(end: number): Array<{ t0: number; t1: number; zone: string | null }> {
    return this.changes.map((c, i) => ({ t0: c.t, t1: this.changes[i + 1]?.t ?? end, zone: c.zone }));
  }
}

export interface Score {
  subjects: number;
  inStoreHours: number;
  zoneAccuracy: number;
  stays: number;
  missedStays: number;
  enterDelayP50S: number;
  enterDelayP90S: number;
  predictedEntries: number;
  falseChanges: number;
  falseChangesPerHour: number;
}

export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export class Scorer {
  private readonly truth = new Map<string, Timeline>();
  private readonly predicted = new Map<string, Timeline>();
  /** Each subject's last observation: its timelines end there, not at the run's end (issue 15). */
  private readonly lastAt = new Map<string, number>();
  private end = 0;

  constructor(private readonly o: ScoreOptions = DEFAULT_SCORE) {}

  /** Records both timelines of `subject` at `t` (call at a fixed step, in time order). */
  observe(subject: string, t: number, truth: string | null, predicted: string | null): void {
    let tt = this.truth.get(subject);
    if (!tt) {
      this.truth.set(subject, (tt = new Timeline()));
      this.predicted.set(subject, new Timeline());
    }
    tt.observe(t, truth);
    this.predicted.get(subject)!.observe(t, predicted);
    this.lastAt.set(subject, t);
    if (t > this.end) this.end = t;
  }

  result(end = this.end): Score {
    let inStore = 0;
    let correct = 0;
    let stays = 0;
    let missed = 0;
    const delays: number[] = [];
    let entries = 0;
    let falseChanges = 0;
    for (const [subject, truthLine] of this.truth) {
      // A subject's timelines end at its last observation, not at the run's end (which
      // stretched short replayed tracks: moving 0.583 reported as 0.785, issue 15).
      const own = Math.min(end, this.lastAt.get(subject)!);
      const truth = truthLine.segments(own);
      const pred = this.predicted.get(subject)!.segments(own);
      // Accuracy: overlap of equal zones while in the store.
      let j = 0;
      for (const s of truth) {
        if (s.zone === null) continue;
        inStore += s.t1 - s.t0;
        while (j < pred.length && pred[j]!.t1 <= s.t0) j++;
        for (let k = j; k < pred.length && pred[k]!.t0 < s.t1; k++) {
          if (pred[k]!.zone === s.zone) correct += Math.min(s.t1, pred[k]!.t1) - Math.max(s.t0, pred[k]!.t0);
        }
      }
      // Entry delays for stays long enough to matter.
      for (const s of truth) {
        if (s.zone === null || s.t1 - s.t0 < this.o.minStayMs) continue;
        stays++;
        const hit = pred.find((p) => p.zone === s.zone && p.t1 > s.t0 && p.t0 < s.t1);
        if (!hit) {
          missed++;
          delays.push(Infinity);
        } else delays.push(Math.max(0, hit.t0 - s.t0));
      }
      // False changes: predicted entries no true stay explains.
      const used = new Set<number>();
      for (const p of pred) {
        if (p.zone === null) continue;
        entries++;
        const k = truth.findIndex((s, i) => !used.has(i) && s.zone === p.zone && p.t0 >= s.t0 - this.o.beforeMs && p.t0 <= s.t1 + this.o.afterMs);
        if (k >= 0) used.add(k);
        else falseChanges++;
      }
    }
    const hours = inStore / 3_600_000;
    return {
      subjects: this.truth.size,
      inStoreHours: hours,
      zoneAccuracy: inStore > 0 ? correct / inStore : NaN,
      stays,
      missedStays: missed,
      enterDelayP50S: percentile(delays, 0.5) / 1000,
      enterDelayP90S: percentile(delays, 0.9) / 1000,
      predictedEntries: entries,
      falseChanges,
      falseChangesPerHour: hours > 0 ? falseChanges / hours : NaN,
    };
  }
}
