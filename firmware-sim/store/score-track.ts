/**
 * Scores recorded tracks as ../shared/data/ble/README.md says ("How figures are read"), so
 * figures on the public recordings mean what an outside evaluator's mean (issue 15):
 * - zone accuracy: share of scored time the predicted zone is the true zone; a track's
 *   first `warmupMs` (10 s) are not scored, and a track ends at its own last advert;
 * - entry delay: from a true entry into a zone (a visit of at least `minVisitMs`, 3 s, that
 *   starts after the track does) to the first moment the prediction shows that zone; an
 *   entry never shown (up to the visit's end) is missed and counts as infinite;
 * - false changes: predicted entries into a zone that no true visit explains; an entry is
 *   explained when it is the first into that zone from `beforeMs` (2 s) before a visit of
 *   that zone begins to the visit's end (the visit the track starts in included);
 * - stationary and moving figures are pooled over tracks by time (add the tracks' sums).
 * Unlike score.ts (the simulated store's, with its 30 s stays), nothing here depends on the
 * simulator.
 */
import { percentile } from './score';

export interface TrackScoreOptions {
  readonly warmupMs: number;
  readonly minVisitMs: number;
  readonly beforeMs: number;
}

export const README_SCORE: TrackScoreOptions = { warmupMs: 10_000, minVisitMs: 3000, beforeMs: 2000 };

/** A piecewise-constant timeline: the zone from each change's `t` until the next change. */
export interface ZoneChange {
  readonly t: number;
  readonly zone: string | null;
}

/** Sums over tracks; `summary` turns them into figures. */
export interface TrackTotals {
  tracks: number;
  scoredMs: number;
  correctMs: number;
  entries: number;
  missed: number;
  delaysMs: number[];
  predictedEntries: number;
  falseChanges: number;
}

export const emptyTotals = (): TrackTotals => ({
  tracks: 0,
  scoredMs: 0,
  correctMs: 0,
  entries: 0,
  missed: 0,
  delaysMs: [],
  predictedEntries: 0,
  falseChanges: 0,
});

interface Segment {
  t0: number;
  t1: number;
  zone: string | null;
}

function segments(changes: readonly ZoneChange[], end: number): Segment[] {
  const out: Segment[] = [];
  for (const [i, c] of changes.entries()) {
    const t1 = Math.min(end, changes[i + 1]?.t ?? end);
    if (t1 <= c.t) continue;
    const last = out[out.length - 1];
    if (last && last.zone === c.zone) last.t1 = t1;
    else out.push({ t0: c.t, t1, zone: c.zone });
  }
  return out;
}

/**
 * Adds one track to `totals`. `truth` and `predicted` are timelines from the track's start
 * `start` to its last advert `end` (ms, any origin).
 */
export function scoreTrack(
  totals: TrackTotals,
  truth: readonly ZoneChange[],
  predicted: readonly ZoneChange[],
  start: number,
  end: number,
  o: TrackScoreOptions = README_SCORE,
): void {
  totals.tracks++;
  const tv = segments(truth, end);
  const pv = segments(predicted, end);
  const from = start + o.warmupMs;
  // Accuracy over [from, end), where the truth is known.
  let j = 0;
  for (const s of tv) {
    if (s.zone === null) continue;
    const a = Math.max(s.t0, from);
    if (a >= s.t1) continue;
    totals.scoredMs += s.t1 - a;
    while (j < pv.length && pv[j]!.t1 <= a) j++;
    for (let k = j; k < pv.length && pv[k]!.t0 < s.t1; k++) {
      if (pv[k]!.zone === s.zone) totals.correctMs += Math.min(s.t1, pv[k]!.t1) - Math.max(a, pv[k]!.t0);
    }
  }
  // Entries: visits that begin after the track's start and last long enough.
  for (const s of tv) {
    if (s.zone === null || s.t0 <= start || s.t1 - s.t0 < o.minVisitMs) continue;
    totals.entries++;
    const hit = pv.find((p) => p.zone === s.zone && p.t1 > s.t0 - o.beforeMs && p.t0 < s.t1);
    if (!hit) {
      totals.missed++;
      totals.delaysMs.push(Infinity);
    } else totals.delaysMs.push(Math.max(0, hit.t0 - s.t0));
  }
  // False changes: each visit explains the first predicted entry into its zone in its span.
  const explained = new Set<number>();
  for (const s of tv) {
    if (s.zone === null) continue;
    const k = pv.findIndex((p) => p.zone === s.zone && p.t0 >= s.t0 - o.beforeMs && p.t0 <= s.t1);
    if (k >= 0) explained.add(k);
  }
  for (const [i, p] of pv.entries()) {
    if (p.zone === null) continue;
    totals.predictedEntries++;
    if (!explained.has(i)) totals.falseChanges++;
  }
}

export interface TrackSummary {
  tracks: number;
  scoredHours: number;
  accuracy: number;
  entries: number;
  missed: number;
  enterDelayP50S: number;
  enterDelayP90S: number;
  falseChanges: number;
  falseChangesPerHour: number;
}

export function summary(t: TrackTotals): TrackSummary {
  const hours = t.scoredMs / 3_600_000;
  return {
    tracks: t.tracks,
    scoredHours: hours,
    accuracy: t.scoredMs > 0 ? t.correctMs / t.scoredMs : NaN,
    entries: t.entries,
    missed: t.missed,
    enterDelayP50S: percentile(t.delaysMs, 0.5) / 1000,
    enterDelayP90S: percentile(t.delaysMs, 0.9) / 1000,
    falseChanges: t.falseChanges,
    falseChangesPerHour: hours > 0 ? t.falseChanges / hours : NaN,
  };
}
