/**
 * Tiers (issue 6), a pure function of a member's qualifying activity and the date.
 *
 * Activity is kept per store-local calendar month: points awarded and eligible cents, both
 * net of returns (a return counts in the month it happens). `basis` picks which one counts.
 *
 * Periods. `calendar`: periods of `periodMonths` months from 1 January; the window is the
 * current period so far. `rolling`: the window is the current month and the
 * `periodMonths − 1` before it, and the review is monthly. A review on the first day of a
 * period (calendar) or month (rolling) evaluates the window that just ended.
 *
 * The tier on date d is the highest of:
 *   1. the tier the current window qualifies for (upgrade at once, by the sale that crosses);
 *   2. the tier the last review gave (held until the next review: downgrade only at a
 *      period end);
 *   3. during the first `graceDays` after the last review, the tier the review before
 *      gave (the downgrade due at that review waits for the grace).
 * Because a return reduces the window, a return can take back an upgrade that the returned
 * goods bought: status is never for sale on approval. That is the one mid-period drop.
 */
import type { TiersConfig, TierLevel } from '../../config/loyalty-program-schema';
import type { IsoDate } from '../time/calendar';
import { largestRemainder } from './attribution';
import { decimalOf, fromInteger, mul, roundDecimal } from './decimal';
import { addDays, firstOfMonth, monthIndex, monthKey } from './dates';

export interface MonthActivity {
  readonly points: number;
  readonly cents: number;
}

/** Activity by `YYYY-MM`; months absent are zero. */
export type Activity = ReadonlyMap<string, MonthActivity>;

export interface TierStatus {
  readonly tier: TierLevel;
  /** Qualifying total of the current window. */
  readonly qualifying: number;
  /** The next tier up and what the window still needs for it; absent at the top. */
  readonly next?: { readonly id: string; readonly name: string; readonly needed: number };
  /** The next date the tier is reconsidered without further activity: the next review, or the end of a running grace. */
  readonly reviewOn: IsoDate;
}

// Month keys by month index, built once: tierAt runs three times per sale over up to three
// windows of months, and building each key afresh was a third of a sale's allocations
// (issue 18: each sale's garbage brings the next scavenge, a till's p99, closer). Bounded:
// only the months of the windows in use are ever asked for.
const monthKeys = new Map<number, string>();
function key(index: number): string {
  let k = monthKeys.get(index);
  if (k === undefined) {
    if (monthKeys.size >= 4096) monthKeys.clear();
    k = monthKey(index);
    monthKeys.set(index, k);
  }
  return k;
}

function sum(activity: Activity, basis: TiersConfig['basis'], from: number, to: number): number {
  let total = 0;
  for (let m = from; m <= to; m++) {
    const a = activity.get(key(m));
    if (a) total += basis === 'points' ? a.points : a.cents;
  }
  return total;
}

/** Rank of the highest level whose threshold the total reaches (0: the lowest level). */
export function qualifiedRank(levels: readonly TierLevel[], total: number): number {
  let rank = 0;
  levels.forEach((l, i) => {
    if (total >= l.threshold) rank = i;
  });
  return rank;
}

export function tierAt(cfg: TiersConfig, activity: Activity, date: IsoDate): TierStatus {
  const levels = cfg.levels;
  const mi = monthIndex(date);
  const p = cfg.periodMonths;
  let window: [number, number];
  let lastReview: number; // month index of the last review
  let step: number; // months between reviews
  let evalWindow: (review: number) => [number, number];
  if (cfg.period === 'calendar') {
    const start = Math.floor(mi / p) * p;
    window = [start, mi];
    lastReview = start;
    step = p;
    evalWindow = (r) => [r - p, r - 1];
  } else {
    window = [mi - p + 1, mi];
    lastReview = mi;
    step = 1;
    evalWindow = (r) => [r - p, r - 1];
  }
  const qualifying = sum(activity, cfg.basis, window[0], window[1]);
  const running = qualifiedRank(levels, qualifying);
  const [a0, a1] = evalWindow(lastReview);
  const reviewed = qualifiedRank(levels, sum(activity, cfg.basis, a0, a1));
  const graceEnds = addDays(firstOfMonth(lastReview), cfg.graceDays);
  const [b0, b1] = evalWindow(lastReview - step);
  const held = date < graceEnds ? qualifiedRank(levels, sum(activity, cfg.basis, b0, b1)) : 0;
  const rank = Math.max(running, reviewed, held);

  // When a held tier runs on grace, that is when it is next looked at; otherwise the next review.
  const reviewOn = held > Math.max(running, reviewed) ? graceEnds : firstOfMonth(lastReview + step);

  const up = levels[rank + 1];
  return {
    tier: levels[rank]!,
    qualifying,
    ...(up ? { next: { id: up.id, name: up.name, needed: Math.max(0, up.threshold - qualifying) } } : {}),
    reviewOn,
  };
}

/** Adds a sale's or a return's contribution to the month of `date` (a new map; the input is not changed). */
export function addActivity(activity: Activity, date: IsoDate, delta: MonthActivity): Map<string, MonthActivity> {
  const out = new Map(activity);
  const k = date.slice(0, 7);
  const a = out.get(k) ?? { points: 0, cents: 0 };
  out.set(k, { points: a.points + delta.points, cents: a.cents + delta.cents });
  return out;
}

/**
 * Applies a tier's earning multiplier to a sale's points: floor(points × multiplier), exact
 * (decimal.ts), re-attributed to the lines by largest remainder so Σ lines = total still
 * holds and a refund reverses exactly what each line earned.
 */
export function applyTierMultiplier(points: number, linePoints: readonly number[], multiplier: number): { points: number; linePoints: number[] } {
  if (multiplier === 1 || points === 0) return { points, linePoints: [...linePoints] };
  const total = roundDecimal(mul(fromInteger(points), decimalOf(multiplier)), 'floor');
  const parts = largestRemainder(
    total,
    linePoints.map((p) => BigInt(p)),
  );
  return { points: Number(total), linePoints: parts.map(Number) };
}
