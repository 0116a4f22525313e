/**
 * Replays recorded RSSI so real recordings are scored like simulated ones (issue 4): a CSV
 * with a header and columns `time` (seconds, or `time_ms`), `scanner`, `rssi`, `true_zone`
 * (empty: out of the store) and optionally `device`. Each row is one scanner's report of
 * one advert. Scanner → zone comes from the layout (the bench's --scanners, --scanner-zones or
 * config), never from the recording's truth (issue 15).
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
