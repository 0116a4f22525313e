/**
 * The presence engine's parameters, every one per zone (DESIGN.md §4). The config schema
 * (config/presence-schema.ts) fills them from `presence.defaults` and each zone's overrides;
 * the engine takes them as plain values and never reads config itself.
 */

import type { RadioMap } from './radio-map';

export interface ZoneParams {
  /** RSSI window per (device, scanner), ms. */
  readonly windowMs: number;
  /** Tukey fence factor of the robust mean. */
  readonly fenceK: number;
  /** Fewer samples in the window than this and the scanner does not count. */
  readonly minSamples: number;
  /** A zone can be entered only when its combined level is at least this (dBm). */
  readonly enterLevelDbm: number;
  /** …held this long (ms) when entering from no zone. */
  readonly enterTimeMs: number;
  /**
   * Switching into this zone: its lead over the current zone, less this margin (dB),
   * accumulates over time; it takes over at (margin / 2) × switchTime (zone-tracker.ts). A
   * lead of 1.5 margins takes `switchTimeMs`; a lead at or under the margin never switches.
   */
  readonly switchMarginDb: number;
  readonly switchTimeMs: number;
  /** Leaving this zone (to none) needs its level below this (dBm)… */
  readonly exitLevelDbm: number;
  /** …for this long (ms). */
  readonly exitTimeMs: number;
  /** A device not heard at all for this long (ms) has left the zone. */
  readonly absenceTimeoutMs: number;
}

export const DEFAULT_ZONE_PARAMS: ZoneParams = {
  windowMs: 5000,
  fenceK: 1.5,
  minSamples: 2,
  enterLevelDbm: -90,
  enterTimeMs: 2000,
  switchMarginDb: 4,
  switchTimeMs: 3000,
  exitLevelDbm: -95,
  exitTimeMs: 15_000,
  absenceTimeoutMs: 30_000,
};

export interface ZoneSpec {
  readonly id: string;
  readonly params: ZoneParams;
}

export interface ScannerSpec {
  readonly name: string;
  readonly zone: string;
  /** Added to every RSSI this scanner reports (calibration, dB). */
  readonly offsetDb: number;
}

export interface TagSpec {
  readonly id: string;
  /** Dashed UUID; the program UUID when the tag uses it. */
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
}

export type ZoneCombine = 'max' | 'mean';

/** How zones are told apart when a radio map (a calibration walk) is configured. */
export interface FingerprintParams {
  readonly map: RadioMap;
  /** A zone's misfit is the mean of its k best-fitting points of the map. */
  readonly k: number;
  /**
   * dB of zone level per dB of worse fit: the best-fitting zone gets the strongest zone
   * level heard, each other zone this much less per dB (RMS) it fits worse. So the zone
   * state machine and its margins work unchanged on fitted zones.
   */
  readonly levelPerMisfitDb: number;
  /**
   * RSSI window per (device, scanner) while placing by the map (ms), instead of the zones'
   * `windowMs`. A fit over all scanners is steadier than a zone's own level, so it can
   * follow a walking shopper with a shorter window (tuning layout, seed 1: 3 s vs 5 s).
   */
  readonly windowMs: number;
  /** Share of absolute loudness kept in the misfit (radio-map.ts FingerprintOptions.absoluteWeight). */
  readonly absoluteWeight?: number;
}

/**
 * Standing still or walking (issue 15): on real radio a fixed window and margin are either
 * stable and slow for a walker or quick and flapping at rest. The engine measures how much
 * a device's levels move (the last 4 s against the 4 s before, per scanner, in units of
 * their own noise) and slides between two settings: while it moves, the zones' (or the
 * map's) `windowMs` and (level mode) `movingMarginFactor` × `switchMarginDb`; the longer it
 * stands still, up to `stillWindowMs` and the full margin.
 */
export interface MotionParams {
  /** RSSI window once the device has stood still for `settleMs` (ms); ≤ windowMs: off. */
  readonly stillWindowMs: number;
  /**
   * Share of each zone's `switchMarginDb` that applies while the device moves (0–1), in
   * level mode (with a radio map the margin stays whole).
   */
  readonly movingMarginFactor: number;
  /** Stillness builds up over this long (ms); movement drops it at once. */
  readonly settleMs: number;
}

/**
 * On by default since issue 15 (was off): on the public recordings it follows walkers far
 * better at no cost at rest (docs/presence.md "Measured"). It had been left off because a
 * property test of the simulated store failed with it (a walk z5 → z6 took a detour into
 * z2): the eased margin also eased how clearly the new zone had to stand out among the
 * other rivals; that clearance now always takes the whole margin (zone-tracker.ts).
 */
export const DEFAULT_MOTION: MotionParams = { stillWindowMs: 12_000, movingMarginFactor: 0.5, settleMs: 10_000 };

/** The setting measured on the public recordings (issue 15): the default. */
export const REAL_ROOM_MOTION: MotionParams = DEFAULT_MOTION;

/** A fixed window and margin (the default before issue 15), for comparison and `presence.motion`. */
export const FIXED_MOTION: MotionParams = { stillWindowMs: 0, movingMarginFactor: 1, settleMs: 10_000 };

export interface EngineParams {
  readonly programUuid: string;
  readonly zones: readonly ZoneSpec[];
  readonly scanners: readonly ScannerSpec[];
  readonly tags: readonly TagSpec[];
  /** How a zone's scanners are combined into the zone's level. */
  readonly combine: ZoneCombine;
  /** A visit ends after the device has been unseen this long (ms). */
  readonly visitEndMs: number;
  /** Cap on tracked members and tags; the stalest is evicted (its stay and visit closed). */
  readonly maxTracked: number;
  /** Cap on anonymous (unresolved) devices counted; the stalest is forgotten. */
  readonly maxAnonymous: number;
  /** An anonymous device counts towards a zone's occupancy this long after it was heard (ms). */
  readonly anonymousWindowMs: number;
  /** Samples kept per (device, scanner) at most (a ring). */
  readonly maxSamples: number;
  /** Zones by fingerprint (a calibration walk) instead of by their own scanners' levels. */
  readonly fingerprint?: FingerprintParams;
  /** Window and margin by how still the device stands. */
  readonly motion: MotionParams;
}

export const DEFAULT_ENGINE = {
  combine: 'mean',
  visitEndMs: 600_000,
  maxTracked: 5000,
  maxAnonymous: 5000,
  anonymousWindowMs: 30_000,
  maxSamples: 48,
  motion: DEFAULT_MOTION,
} as const satisfies Partial<EngineParams>;
