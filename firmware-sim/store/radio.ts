/**
 * RSSI as real rooms produce it (DESIGN.md §4), so the engine is not flattered:
 * - log-distance path loss with an exponent near 1.5–2 (flat: distance separates poorly);
 * - shadowing fixed to the place and the scanner: a smooth random field per scanner
 *   (σ ≈ 4 dB, correlation length a few metres), so standing still does not average it away;
 * - per-scanner offsets up to ±5 dB (receivers differ);
 * - ≈ 3 dB noise per advert, ≈ 12 % of adverts lost per scanner;
 * - body blocking: a scanner behind the carrier loses up to `bodyLossDb`.
 */
import type { FloorPlan } from './floor-plan';
import type { Rng } from './prng';

export interface RadioParams {
  /** Path-loss exponent. */
  exponent: number;
  shadowSigmaDb: number;
  /** Distance (m) over which the shadowing decorrelates (Gaussian kernel length). */
  shadowCorrelationM: number;
  /** Scanner offsets are uniform in ±this (dB). */
  offsetSpreadDb: number;
  noiseSigmaDb: number;
  lossRate: number;
  /** Attenuation when the scanner is straight behind the carrier (dB). */
  bodyLossDb: number;
  /** Reports below this are never heard. */
  sensitivityDbm: number;
  /** Height of a phone in a pocket or hand (m). */
  phoneHeightM: number;
}

export const DEFAULT_RADIO: RadioParams = {
  exponent: 1.7,
  shadowSigmaDb: 4,
  shadowCorrelationM: 2.5,
  offsetSpreadDb: 5,
  noiseSigmaDb: 3,
  lossRate: 0.12,
  bodyLossDb: 8,
  sensitivityDbm: -100,
  phoneHeightM: 1.2,
};

const WAVES = 24;

/** A stationary Gaussian-like field with a squared-exponential covariance (random Fourier features). */
class ShadowField {
  private readonly kx = new Float64Array(WAVES);
  private readonly ky = new Float64Array(WAVES);
  private readonly ph = new Float64Array(WAVES);
  private readonly amp: number;

  constructor(sigma: number, length: number, rng: Rng) {
    for (let i = 0; i < WAVES; i++) {
      this.kx[i] = rng.normal(0, 1 / length);
      this.ky[i] = rng.normal(0, 1 / length);
      this.ph[i] = rng.uniform(0, 2 * Math.PI);
    }
    this.amp = sigma * Math.sqrt(2 / WAVES);
  }

  at(x: number, y: number): number {
    let s = 0;
    for (let i = 0; i < WAVES; i++) s += Math.cos(this.kx[i]! * x + this.ky[i]! * y + this.ph[i]!);
    return this.amp * s;
  }
}

export interface Reading {
  /** Index into plan.scanners. */
  readonly scanner: number;
  readonly rssi: number;
}

export class Radio {
  private readonly fields: ShadowField[];
  readonly offsets: number[];

  constructor(
    readonly plan: FloorPlan,
    readonly params: RadioParams,
    rng: Rng,
  ) {
    this.fields = plan.scanners.map(() => new ShadowField(params.shadowSigmaDb, params.shadowCorrelationM, rng));
    this.offsets = plan.scanners.map(() => rng.uniform(-params.offsetSpreadDb, params.offsetSpreadDb));
  }

  /** Mean level (no per-advert noise, no loss) at a spot: what a long average would converge to. */
  meanLevel(scanner: number, x: number, y: number, facing: number, txAt1m: number): number {
    const s = this.plan.scanners[scanner]!;
    const dx = s.x - x;
    const dy = s.y - y;
    const dz = s.z - this.params.phoneHeightM;
    const d = Math.max(0.5, Math.sqrt(dx * dx + dy * dy + dz * dz));
    const cos = (Math.cos(facing) * dx + Math.sin(facing) * dy) / Math.max(1e-9, Math.hypot(dx, dy));
    const body = (this.params.bodyLossDb * (1 - cos)) / 2;
    return txAt1m - 10 * this.params.exponent * Math.log10(d) + this.fields[scanner]!.at(x, y) + this.offsets[scanner]! - body;
  }

  /** What each scanner reports for one advert sent from (x, y), facing `facing` (radians). */
  hear(x: number, y: number, facing: number, txAt1m: number, rng: Rng, out: Reading[] = []): Reading[] {
    out.length = 0;
    for (let i = 0; i < this.plan.scanners.length; i++) {
      if (rng.chance(this.params.lossRate)) continue;
      const rssi = Math.round(this.meanLevel(i, x, y, facing, txAt1m) + rng.normal(0, this.params.noiseSigmaDb));
      if (rssi < this.params.sensitivityDbm) continue;
      out.push({ scanner: i, rssi: Math.min(20, rssi) });
    }
    return out;
  }
}
