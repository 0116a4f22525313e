/**
 * The zone state machine of one device (DESIGN.md §4), pure: it is given each zone's
 * combined level (dBm, only zones heard in their window) and `now`, and says when the device
 * entered or left a zone.
 *
 * - No zone: the strongest zone at or above its enter level, held `enterTimeMs`, is entered.
 * - In zone C: another zone Z is entered (and C left) when Z is at or above its enter level
 *   and above C by Z's switch margin, held Z's switch time. C is left for no zone when its
 *   level is below its exit level (or it is not heard) for its exit time. Absence (nothing
 *   heard from the device at all) is the engine's business: `absent()`.
 * - Dwell runs from the entry to the confirmed exit.
 */
import type { ZoneParams } from './params';

export type LeaveReason = 'switch' | 'exit' | 'absence' | 'visit-end' | 'evicted' | 'erased';

export type ZoneTransition =
  | { readonly type: 'entered'; readonly zone: string; readonly at: number }
  | { readonly type: 'left'; readonly zone: string; readonly enteredAt: number; readonly at: number; readonly reason: LeaveReason };

export class ZoneTracker {
  zone: string | null = null;
  enteredAt = 0;
  private candidate: string | null = null;
  private candidateSince = 0;
  private weakSince: number | null = null;

  constructor(private readonly paramsOf: (zone: string) => ZoneParams) {}

  /** `levels`: zone → combined level, for zones heard in their window. */
  step(levels: ReadonlyMap<string, number>, now: number, out: ZoneTransition[]): void {
    let best: string | null = null;
    let bestLevel = -Infinity;
    for (const [zone, level] of levels) {
      if (level < this.paramsOf(zone).enterLevelDbm) continue;
      if (level > bestLevel || (level === bestLevel && zone === this.zone)) {
        best = zone;
        bestLevel = level;
      }
    }

    if (this.zone !== null) {
      const current = this.zone;
      const p = this.paramsOf(current);
      const level = levels.get(current);
      if (level === undefined || level < p.exitLevelDbm) {
        this.weakSince ??= now;
        if (now - this.weakSince >= p.exitTimeMs) {
          this.leave(this.weakSince, 'exit', out);
          // fall through: the device may already qualify for another zone
        }
      } else {
        this.weakSince = null;
      }
    }

    if (this.zone === null) {
      if (best === null) {
        this.candidate = null;
        return;
      }
      if (this.candidate !== best) {
        this.candidate = best;
        this.candidateSince = now;
      }
      if (now - this.candidateSince >= this.paramsOf(best).enterTimeMs) this.enter(best, now, out);
      return;
    }

    const currentLevel = levels.get(this.zone) ?? -Infinity;
    if (best === null || best === this.zone || bestLevel < currentLevel + this.paramsOf(best).switchMarginDb) {
      this.candidate = null;
      return;
    }
    if (this.candidate !== best) {
      this.candidate = best;
      this.candidateSince = now;
    }
    if (now - this.candidateSince >= this.paramsOf(best).switchTimeMs) {
      this.leave(now, 'switch', out);
      this.enter(best, now, out);
    }
  }

  /** Leaves the current zone (if any) at `at` for `reason`: absence, visit end, eviction. */
  leave(at: number, reason: LeaveReason, out: ZoneTransition[]): void {
    if (this.zone === null) return;
    out.push({ type: 'left', zone: this.zone, enteredAt: this.enteredAt, at: Math.max(at, this.enteredAt), reason });
    this.zone = null;
    this.candidate = null;
    this.weakSince = null;
  }

  private enter(zone: string, now: number, out: ZoneTransition[]): void {
    this.zone = zone;
    this.enteredAt = now;
    this.candidate = null;
    this.weakSince = null;
    out.push({ type: 'entered', zone, at: now });
  }
}
