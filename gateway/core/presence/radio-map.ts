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
  /**
   * Share of the mean difference (absolute loudness) kept in the misfit, 0–1: 0 removes it
   * (the device's own power and body do not count), 1 keeps it whole. Where loudness carries
   * the zone (a vestibule between two receivers, both loud there) removing it all throws the
   * zone away (issue 15).
   */
  readonly absoluteWeight?: number;
}

export const DEFAULT_FINGERPRINT: FingerprintOptions = { k: 3 };

/** FingerprintOptions.absoluteWeight by default (docs/presence.md, issue 15). */
export const DEFAULT_ABSOLUTE_WEIGHT = 0;

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
  return {
    map,
    k: DEFAULT_FINGERPRINT.k,
    levelPerMisfitDb: DEFAULT_LEVEL_PER_MISFIT_DB,
    windowMs: DEFAULT_FINGERPRINT_WINDOW_MS,
    absoluteWeight: DEFAULT_ABSOLUTE_WEIGHT,
    ...o,
  };
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
  /** Point levels, floored: point p's level at mapped scanner j is ref[p * width + j]. */
  private readonly ref: Float64Array;
  /** Per point: the sum and the sum of squares of its levels (for the misfit's expansion). */
  private readonly refSum: Float64Array;
  private readonly refSq: Float64Array;
  private readonly zoneIndex: Int32Array;
  private readonly zones: string[];
  /** Engine scanner indexes the map covers, in map order. */
  private readonly used: number[];
  private readonly width: number;
  private readonly obs: Float64Array;
  private readonly best: number[][];

  /**
   * `scanners`: the engine's scanner names, by index. Scanners the map does not cover are
   * ignored for fitting (a scanner added after the walk needs a new walk to count).
   */
  constructor(
    map: RadioMap,
    scanners: readonly string[],
    private readonly o: FingerprintOptions = DEFAULT_FINGERPRINT,
  ) {
    const cols: number[] = [];
    this.used = [];
    map.scanners.forEach((name, j) => {
      const i = scanners.indexOf(name);
      if (i >= 0) {
        cols.push(j);
        this.used.push(i);
      }
    });
    const w = (this.width = this.used.length);
    const n = map.points.length;
    this.ref = new Float64Array(n * w);
    this.refSum = new Float64Array(n);
    this.refSq = new Float64Array(n);
    this.zones = [...new Set(map.points.map((p) => p.zone))];
    this.zoneIndex = Int32Array.from(map.points.map((p) => this.zones.indexOf(p.zone)));
    map.points.forEach((p, k) => {
      cols.forEach((j, c) => {
        const l = p.levels[j];
        const v = l === null || l === undefined ? FLOOR_DBM : Math.max(FLOOR_DBM, l);
        this.ref[k * w + c] = v;
        this.refSum[k]! += v;
        this.refSq[k]! += v * v;
      });
    });
    this.obs = new Float64Array(w);
    this.best = this.zones.map(() => []);
  }

  /**
   * Each zone's misfit (dB RMS, lower is closer) for a device's levels by engine scanner
   * index (NaN: not heard in its window). Writes into `out`; nothing when no mapped scanner
   * hears the device.
   *
   * Per point, Σd and Σd² of the differences d = obs − ref expand into sums over the point
   * (precomputed) and over the device (once) plus one dot product: one multiply-add per
   * scanner and point, which is what the fit costs (hundreds of points, every device,
   * every evaluation).
   */
  fit(levels: ArrayLike<number>, out: Map<string, number>): void {
    out.clear();
    const w = this.width;
    const obs = this.obs;
    let heard = 0;
    let obsSum = 0;
    let obsSq = 0;
    for (let c = 0; c < w; c++) {
      const l = levels[this.used[c]!]!;
      const v = Number.isNaN(l) ? FLOOR_DBM : Math.max(FLOOR_DBM, l);
      if (!Number.isNaN(l)) heard++;
      obs[c] = v;
      obsSum += v;
      obsSq += v * v;
    }
    if (heard === 0) return;
    for (const b of this.best) b.length = 0;
    const ref = this.ref;
    const k = this.o.k;
    const keep = 1 - (this.o.absoluteWeight ?? DEFAULT_ABSOLUTE_WEIGHT);
    for (let p = 0, base = 0; p < this.zoneIndex.length; p++, base += w) {
      let dot = 0;
      for (let c = 0; c < w; c++) dot += obs[c]! * ref[base + c]!;
      const mean = (obsSum - this.refSum[p]!) / w;
      const sq = obsSq - 2 * dot + this.refSq[p]!;
      const misfit = Math.sqrt(Math.max(0, sq / w - keep * mean * mean));
      insertBest(this.best[this.zoneIndex[p]!]!, misfit, k);
    }
    this.zones.forEach((zone, z) => {
      const b = this.best[z]!;
      let s = 0;
      for (const x of b) s += x;
      out.set(zone, s / b.length);
    });
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
