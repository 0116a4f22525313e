/**
 * Replays recorded RSSI so real recordings are scored like simulated ones (issue 4): a CSV
 * with a header and columns `time` (seconds, or `time_ms`), `scanner`, `rssi`, `true_zone`
 * (empty: out of the store) and optionally `device`. Each row is one scanner's report of
 * one advert. Rows of a device with the same time are one advert heard by several scanners.
 */
import { readFileSync } from 'node:fs';

export interface ReplayRow {
  /** ms from the start of the recording. */
  readonly t: number;
  readonly device: string;
  readonly scanner: string;
  readonly rssi: number;
  readonly trueZone: string | null;
}

export function parseReplayCsv(text: string): ReplayRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = lines.shift()?.split(',').map((h) => h.trim().toLowerCase());
  if (!header) throw new Error('replay: empty file');
  const col = (...names: string[]) => names.map((n) => header.indexOf(n)).find((i) => i >= 0) ?? -1;
  const iT = col('time', 't', 'time_s');
  const iMs = col('time_ms', 't_ms');
  const iScanner = col('scanner', 'receiver');
  const iRssi = col('rssi');
  const iZone = col('true_zone', 'zone', 'truth');
  const iDevice = col('device', 'beacon');
  if ((iT < 0 && iMs < 0) || iScanner < 0 || iRssi < 0 || iZone < 0) {
    throw new Error(`replay: need columns time (or time_ms), scanner, rssi, true_zone; got ${header.join(',')}`);
  }
  const rows: ReplayRow[] = [];
  for (const [n, line] of lines.entries()) {
    const f = line.split(',').map((x) => x.trim());
    const t = iMs >= 0 ? Number(f[iMs]) : Number(f[iT]) * 1000;
    const rssi = Number(f[iRssi]);
    if (!Number.isFinite(t) || !Number.isFinite(rssi)) throw new Error(`replay: line ${n + 2}: bad time or rssi`);
    rows.push({ t, device: iDevice >= 0 ? f[iDevice] || 'device' : 'device', scanner: f[iScanner]!, rssi, trueZone: f[iZone] ? f[iZone]! : null });
  }
  return rows.sort((a, b) => a.t - b.t);
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
