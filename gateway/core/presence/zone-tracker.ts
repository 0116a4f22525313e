/**
 * The zone state machine of one device (DESIGN.md §4), pure: it is given each zone's
 * combined level (dBm, only zones heard in their window) and `now`, and says when the device
 * entered or left a zone.
 *
 * - No zone: the strongest zone at or above its enter level is entered once it leads the
 *   runner-up by half its margin for `enterTimeMs` (or stays strongest 3 × that in a tie).
 * - In zone C: another zone Z is entered (and C left) when Z, at or above its enter level,
 *   has led C by more than its margin for long enough: evidence accumulates as
 *   (lead − margin) × time and Z takes over at (margin / 2) × switchTime (so a lead of 1.5
 *   margins takes `switchTimeMs`; see `decide`). C is left for no zone when its level is below its exit
 *   level (or it is not heard) for its exit time. Absence (nothing heard from the device at
 *   all) is the engine's business: it calls `leave()`.
 * - Dwell runs from the entry to the confirmed exit.
 */
import type { ZoneParams } from './params';

/** The strongest level among zones other than `a` and `b` (-Infinity when none). */
function runnerUp(levels: ReadonlyMap<string, number>, a: string, b: string): number {
  let r = -Infinity;
  for (const [z, l] of levels) if (z !== a && z !== b && l > r) r = l;
  return r;
}

/** A gap between steps longer than this counts as this long (the engine was not running). */
const MAX_STEP_MS = 2000;

export type LeaveReason = 'switch' | 'exit' | 'absence' | 'visit-end' | 'evicted';

export type ZoneTransition =
  | { readonly type: 'entered'; readonly zone: string; readonly at: number }
  | { readonly type: 'left'; readonly zone: string; readonly enteredAt: number; readonly at: number; readonly reason: LeaveReason };

export class ZoneTracker {
  zone: string | null = null;
  enteredAt = 0;
  private candidate: string | null = null;
  private candidateSince = 0;
  private clearSince: number | null = null;
  private weakSince: number | null = null;
  private lastStep: number | null = null;
  /** Switch evidence per rival zone (dB·s). */
  private readonly evidence = new Map<string, number>();
  private marginScale = 1;

  constructor(private readonly paramsOf: (zone: string) => ZoneParams) {}

  /** `levels`: zone → combined level, for zones heard in their window. */
  /**
   * `marginScale`: the share of each zone's switch margin that applies now (the engine's
   * MotionParams: less while the device walks, all of it once it stands still).
   */
  step(levels: ReadonlyMap<string, number>, now: number, out: ZoneTransition[], marginScale = 1): void {
    try {
      this.marginScale = marginScale;
      this.decide(levels, now, out);
    } finally {
      this.lastStep = now;
    }
  }

  private decide(levels: ReadonlyMap<string, number>, now: number, out: ZoneTransition[]): void {
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
      const p = this.paramsOf(this.zone);
      const level = levels.get(this.zone);
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
        this.clearSince = null;
      }
      // Placing a device matters most: once placed, only a lead beyond the margin moves it.
      // So the strongest zone is entered once it stands clear of the runner-up by half its
      // margin for `enterTimeMs`, or, in a near tie, once it has simply stayed the strongest
      // for three times that.
      const p = this.paramsOf(best);
      if (bestLevel - runnerUp(levels, best, best) >= p.switchMarginDb / 2) this.clearSince ??= now;
      else this.clearSince = null;
      const held = now - this.candidateSince;
      if ((this.clearSince !== null && now - this.clearSince >= p.enterTimeMs) || held >= 3 * p.enterTimeMs) this.enter(best, now, out);
      return;
    }

    // Switching: per rival zone, evidence accumulates as (lead over the current zone − the
    // margin) × time (a CUSUM); the rival takes over at (margin / 2) × switchTime. So a lead
    // of 1.5 margins switches after `switchTimeMs`, 2 margins after half of it, a lead under
    // the margin never (standing still, noise alone does not carry a device across). Unlike
    // "held continuously", a noisy but persistent lead still wins; a flicker adds little.
    const current = this.zone;
    const currentLevel = levels.get(current) ?? this.paramsOf(current).exitLevelDbm;
    const dt = Math.min(MAX_STEP_MS, Math.max(0, now - (this.lastStep ?? now))) / 1000;
    let winner: string | null = null;
    for (const [zone, e] of this.evidence) {
      if (zone === current || levels.has(zone)) continue;
      // Not heard in its window: its evidence fades at its margin per second.
      const next = e - this.paramsOf(zone).switchMarginDb * dt;
      if (next <= 0) this.evidence.delete(zone);
      else this.evidence.set(zone, next);
    }
    for (const [zone, level] of levels) {
      if (zone === current) continue;
      const p = this.paramsOf(zone);
      const margin = p.switchMarginDb * this.marginScale;
      const gain = level < p.enterLevelDbm ? -margin : Math.min(level - currentLevel - margin, 2 * margin);
      const e = Math.max(0, (this.evidence.get(zone) ?? 0) + gain * dt);
      if (e === 0) {
        this.evidence.delete(zone);
        continue;
      }
      this.evidence.set(zone, e);
      // Only the strongest zone right now may take over, and only when it stands clear of
      // the other rivals by half its margin: walking past, a neighbouring zone often leads
      // the one being left for a while; switching to it would be a detour, not a move.
      const threshold = Math.max(1e-9, (margin / 2) * (p.switchTimeMs / 1000));
      // The clearance over the other rivals takes the whole margin even while the margin to
      // the current zone is eased (walking): all rivals' windows lag alike, so walking is no
      // reason to trust a narrower lead among them (a walk z5 → z6 took a detour into z2,
      // which led z6 by 1.2 dB for a step; presence-properties).
      if (zone === best && e >= threshold && level - runnerUp(levels, zone, current) >= p.switchMarginDb / 2) winner = zone;
    }
    if (winner !== null) {
      this.leave(now, 'switch', out);
      this.enter(winner, now, out);
    }
  }

  /** Leaves the current zone (if any) at `at` for `reason`: absence, visit end, eviction. */
  leave(at: number, reason: LeaveReason, out: ZoneTransition[]): void {
    if (this.zone === null) return;
    out.push({ type: 'left', zone: this.zone, enteredAt: this.enteredAt, at: Math.max(at, this.enteredAt), reason });
    this.zone = null;
    this.candidate = null;
    this.weakSince = null;
    this.evidence.clear();
  }

  private enter(zone: string, now: number, out: ZoneTransition[]): void {
    this.zone = zone;
    this.enteredAt = now;
    this.candidate = null;
    this.weakSince = null;
    this.evidence.clear();
    out.push({ type: 'entered', zone, at: now });
  }
}
