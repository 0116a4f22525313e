/**
 * Replays recorded RSSI so real recordings are scored like simulated ones (issue 4): a CSV
 * with a header and columns `time` (seconds, or `time_ms`), `scanner`, `rssi`, `true_zone`
 * (empty: out of the store) and optionally `device`. Each row is one scanner's report of
 * one advert. Rows of a device with the same time are one advert heard by several scanners.
 * Parsed by the gateway's parser, the same one `trouw-gateway radio-map` reads a walk with.
 */
import { readFileSync } from 'node:fs';
import { parseRssiCsv } from '../../gateway/adapters/presence/rssi-csv';

export interface ReplayRow {
  /** ms from the start of the recording. */
  readonly t: number;
  readonly device: string;
  readonly scanner: string;
  readonly rssi: number;
  readonly trueZone: string | null;
}

/** The gateway's parser (gateway/adapters/presence/rssi-csv.ts), rows named for scoring. */
export function parseReplayCsv(text: string): ReplayRow[] {
  try {
    return parseRssiCsv(text).map((r) => ({ t: r.t, device: r.device, scanner: r.scanner, rssi: r.rssi, trueZone: r.zone }));
  } catch (e) {
    throw new Error(`replay: ${(e as Error).message}`, { cause: e });
  }
}

export const readReplayCsv = (path: string): ReplayRow[] => parseReplayCsv(readFileSync(path, 'utf8'));

/** Scanner → zone as the recording suggests: the true zone where the scanner is heard strongest on average. */
export function inferScannerZones(rows: readonly ReplayRow[]): Map<string, string> {
  const acc = new Map<string, Map<string, { s: number; n: number }>>();
  for (const r of rows) {
    if (r.trueZone === null) continue;
    const byZone = acc.get(r.scanner) ?? new Map<string, { s: number; n: number }>();
    const z = byZone.get(r.trueZone) ?? { s: 0, n: 0 };
    z.s += r.rssi;
    z.n++;
    byZone.set(r.trueZone, z);
    acc.set(r.scanner, byZone);
  }
  const out = new Map<string, string>();
  for (const [scanner, byZone] of acc) {
    let best = '';
    let level = -Infinity;
    for (const [zone, z] of byZone) if (z.s / z.n > level) [best, level] = [zone, z.s / z.n];
    out.set(scanner, best);
  }
  return out;
}
