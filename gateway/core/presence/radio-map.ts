/**
 * Zone fingerprints (a "radio map"), pure. Why: the shadowing of a store is fixed to the
 * place and the scanner (DESIGN.md §4), so some spots inside zone A hear zone B's scanners
 * louder than A's, however long one filters; an engine that compares zone levels is wrong
 * there for ever. A calibration walk (docs/presence.md, "Radio map") records what every
 * scanner hears from a reference beacon carried through each zone in turn. Each second of
 * that walk becomes a point: the zone it was in and the level each scanner heard. A device
 * is then placed by which zone's points its own levels resemble, across all scanners, so
 * the place's shadowing and the scanners' offsets are part of the reference instead of
 * errors.
 *
 * Resemblance is the spread of the per-scanner differences (dB, RMS) after removing their
 * mean: the mean is the device's own transmit power and the carrier's body, which the
 * reference beacon does not share. A zone's misfit is the mean of its `k` best points.
 */
import type { FingerprintParams } from './params';


/** Below this a scanner counts as not hearing (dBm); unheard and heard levels meet here. */
export const FLOOR_DBM = -100;

export interface RadioMapPoint {
  readonly zone: string;
  /** Per scanner, in the map's `scanners` order; null: not heard at that point. */
  readonly levels: ReadonlyArray<number | null>;
}

export interface RadioMap {
  readonly scanners: readonly string[];
  readonly points: readonly RadioMapPoint[];
}

export interface FingerprintOptions {
  /** A zone's misfit is the mean of its k best-fitting points. */
  readonly k: number;
}

export const DEFAULT_FINGERPRINT: FingerprintOptions = { k: 3 };

/**
 * dB of zone level per dB of worse fit (params.ts, FingerprintParams). Tuned on the tuning
 * layout, seed 1, with the 3 s window and crossed lanes (docs/presence.md): lower misses
 * stays, higher flaps; 6 balances both.
 */
export const DEFAULT_LEVEL_PER_MISFIT_DB = 6;

/** RSSI window while placing by the map (params.ts, FingerprintParams.windowMs). */
export const DEFAULT_FINGERPRINT_WINDOW_MS = 3000;

/** The engine's fingerprint parameters for `map`: the defaults above, then `o`. */
export function fingerprintParams(map: RadioMap, o: Partial<Omit<FingerprintParams, 'map'>> = {}): FingerprintParams {
  return { map, k: DEFAULT_FINGERPRINT.k, levelPerMisfitDb: DEFAULT_LEVEL_PER_MISFIT_DB, windowMs: DEFAULT_FINGERPRINT_WINDOW_MS, ...o };
}

/** Why a radio map cannot serve an engine: unknown scanner or zone, a zone without points. */
export function radioMapProblem(map: RadioMap, scanners: readonly string[], zones: readonly string[]): string | null {
  const known = new Set(scanners);
  for (const s of map.scanners) if (!known.has(s)) return `radio map: scanner ${s} is not configured`;
  const zoneSet = new Set(zones);
  const covered = new Set<string>();
  for (const [i, p] of map.points.entries()) {
    if (!zoneSet.has(p.zone)) return `radio map: point ${i} is in unknown zone ${p.zone}`;
    if (p.levels.length !== map.scanners.length) return `radio map: point ${i} has ${p.levels.length} levels for ${map.scanners.length} scanners`;
    covered.add(p.zone);
  }
  const missing = zones.filter((z) => !covered.has(z));
  if (missing.length > 0) return `radio map: no points for zone(s) ${missing.join(', ')} (walk them in the calibration)`;
  return null;
}

export class ZoneFingerprints {
  /** Point levels by engine scanner index, floored. */
  private readonly ref: Float64Array[];
  private readonly zoneOf: string[];
  /** Engine scanner indexes the map covers. */
  private readonly used: number[];
  private readonly best = new Map<string, number[]>();

  /**
   * `scanners`: the engine's scanner names, by index. Scanners the map does not cover are
   * ignored for fitting (a scanner added after the walk needs a new walk to count).
   */
  constructor(
    map: RadioMap,
    scanners: readonly string[],
    private readonly o: FingerprintOptions = DEFAULT_FINGERPRINT,
  ) {
    const col = map.scanners.map((s) => scanners.indexOf(s));
    this.used = col.filter((i) => i >= 0);
    this.ref = map.points.map((p) => {
      const v = new Float64Array(scanners.length).fill(FLOOR_DBM);
      p.levels.forEach((l, j) => {
        if (col[j]! >= 0 && l !== null) v[col[j]!] = Math.max(FLOOR_DBM, l);
      });
      return v;
    });
    this.zoneOf = map.points.map((p) => p.zone);
    for (const z of new Set(this.zoneOf)) this.best.set(z, []);
  }

  /**
   * Each zone's misfit (dB RMS, lower is closer) for a device's levels by engine scanner
   * index (NaN: not heard in its window). Writes into `out`; nothing when no mapped scanner
   * hears the device.
   */
  fit(levels: ArrayLike<number>, out: Map<string, number>): void {
    out.clear();
    const used = this.used;
    let heard = 0;
    for (const i of used) if (!Number.isNaN(levels[i]!)) heard++;
    if (heard === 0) return;
    for (const b of this.best.values()) b.length = 0;
    const n = used.length;
    for (let p = 0; p < this.ref.length; p++) {
      const ref = this.ref[p]!;
      let sum = 0;
      let sq = 0;
      for (const i of used) {
        const l = levels[i]!;
        const d = (Number.isNaN(l) ? FLOOR_DBM : Math.max(FLOOR_DBM, l)) - ref[i]!;
        sum += d;
        sq += d * d;
      }
      const mean = sum / n;
      const misfit = Math.sqrt(Math.max(0, sq / n - mean * mean));
      insertBest(this.best.get(this.zoneOf[p]!)!, misfit, this.o.k);
    }
    for (const [zone, b] of this.best) {
      let s = 0;
      for (const x of b) s += x;
      out.set(zone, s / b.length);
    }
  }
}

/** Keeps the k smallest values of `best` (ascending). */
function insertBest(best: number[], x: number, k: number): void {
  if (best.length === k && x >= best[k - 1]!) return;
  let i = best.length < k ? best.length : k - 1;
  if (best.length < k) best.push(x);
  while (i > 0 && best[i - 1]! > x) {
    best[i] = best[i - 1]!;
    i--;
  }
  best[i] = x;
}
