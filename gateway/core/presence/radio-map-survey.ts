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
}

export interface SurveyOptions {
  /** One point per this much walking in one zone (ms). */
  readonly binMs: number;
  /** Fewer samples of a scanner in a bin and that scanner counts as not heard there. */
  readonly minSamples: number;
  readonly fenceK: number;
}

export const DEFAULT_SURVEY: SurveyOptions = { binMs: 2000, minSamples: 2, fenceK: 1.5 };

export function radioMapFromSurvey(rows: readonly SurveyRow[], o: SurveyOptions = DEFAULT_SURVEY): RadioMap {
  const scanners = [...new Set(rows.map((r) => r.scanner))].sort();
  const col = new Map(scanners.map((s, i) => [s, i]));
  const sorted = [...rows].sort((a, b) => a.t - b.t);
  const points: RadioMapPoint[] = [];
  let zone: string | null = null;
  let binStart = 0;
  let samples: number[][] = [];
  const flush = () => {
    if (zone === null || samples.every((s) => s.length === 0)) return;
    points.push({
      zone,
      levels: samples.map((s) => (s.length >= o.minSamples ? Math.round(robustMean(s, o.fenceK) * 10) / 10 : null)),
    });
  };
  for (const r of sorted) {
    if (r.zone !== zone || r.t - binStart >= o.binMs) {
      flush();
      zone = r.zone;
      binStart = r.t;
      samples = scanners.map(() => []);
    }
    if (zone !== null) samples[col.get(r.scanner)!]!.push(r.rssi);
  }
  flush();
  return { scanners, points };
}
