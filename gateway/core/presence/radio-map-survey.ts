/**
 * From a calibration walk to a radio map (radio-map.ts), pure. The walk is a recording of
 * one reference beacon carried through each zone in turn: rows of (time, scanner, rssi,
 * zone). Every `binMs` of walking inside one zone becomes a point: per scanner, the robust
 * mean of what it heard in that bin (null when it heard fewer than `minSamples`). Rows
 * outside any zone (zone null: walking between zones, a pause) are not used.
 */
import type { RadioMap, RadioMapPoint } from './radio-map';
import { robustMean } from './window-filter';

export interface SurveyRow {
  /** ms */
  readonly t: number;
  readonly scanner: string;
  readonly rssi: number;
  readonly zone: string | null;
  /** Which beacon (several walked at once, or recordings pooled); absent: one. */
  readonly device?: string;
}

export interface SurveyOptions {
  /** One point per this much walking in one zone (ms). */
  readonly binMs: number;
  /**
   * Fewer samples of a scanner in a bin and the bins either side (same device, same zone)
   * count too (up to two either side); still fewer and that scanner counts as not heard there.
   */
  readonly minSamples: number;
  readonly fenceK: number;
}

export const DEFAULT_SURVEY: SurveyOptions = { binMs: 2000, minSamples: 2, fenceK: 1.5 };

/**
 * Each device is binned on its own (issue 15: walks by several tags at once, or pooled
 * recordings, were interleaved into one timeline and their bins mangled). A scanner heard
 * fewer than `minSamples` times in a bin borrows the samples of the neighbouring bins of the
 * same spell in the zone: a slow advertiser (0.6 adverts/s per scanner) left scanners
 * "unheard" (the floor, ≈ 30 dB off) in a fifth of its 2 s points.
 */
export function radioMapFromSurvey(rows: readonly SurveyRow[], o: SurveyOptions = DEFAULT_SURVEY): RadioMap {
  const scanners = [...new Set(rows.map((r) => r.scanner))].sort();
  const col = new Map(scanners.map((s, i) => [s, i]));
  const byDevice = new Map<string, SurveyRow[]>();
  for (const r of rows) {
    const d = r.device ?? '';
    const list = byDevice.get(d);
    if (list) list.push(r);
    else byDevice.set(d, [r]);
  }
  const points: RadioMapPoint[] = [];
  for (const list of byDevice.values()) {
    const sorted = [...list].sort((a, b) => a.t - b.t);
    // Spells inside one zone, each cut into bins: bins[k][scanner] = samples.
    let zone: string | null = null;
    let binStart = 0;
    let spell: number[][][] = [];
    const flushSpell = () => {
      if (zone !== null)
        for (const [k, bin] of spell.entries()) {
          if (bin.every((s) => s.length === 0)) continue;
          points.push({ zone, levels: bin.map((_, c) => level(spell, k, c, o)) });
        }
      spell = [];
    };
    for (const r of sorted) {
      if (r.zone !== zone) {
        flushSpell();
        zone = r.zone;
        binStart = r.t;
        spell.push(scanners.map(() => []));
      } else if (r.t - binStart >= o.binMs) {
        binStart = r.t;
        spell.push(scanners.map(() => []));
      }
      if (zone !== null) spell[spell.length - 1]![col.get(r.scanner)!]!.push(r.rssi);
    }
    flushSpell();
  }
  return { scanners, points };
}

/** Bins either side a thin bin may borrow from, at most. */
const BORROW_BINS = 2;

/** Bin k's level at scanner c; the nearest bins' samples count while it has too few. */
function level(spell: readonly number[][][], k: number, c: number, o: SurveyOptions): number | null {
  const s = [...spell[k]![c]!];
  for (let d = 1; d <= BORROW_BINS && s.length < o.minSamples; d++) s.push(...(spell[k - d]?.[c] ?? []), ...(spell[k + d]?.[c] ?? []));
  return s.length >= o.minSamples ? Math.round(robustMean(s, o.fenceK) * 10) / 10 : null;
}
