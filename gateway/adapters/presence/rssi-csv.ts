/**
 * RSSI recordings as CSV, the one parser for both uses: a calibration walk for
 * `trouw-gateway radio-map` and a recording replayed by the accuracy bench
 * (firmware-sim/store/replay.ts). A header, then one row per scanner report of one advert:
 * `time` (seconds; or `time_ms`), `scanner`, `rssi`, `zone` (or `true_zone`; empty: in no
 * zone) and optionally `device`; the public recordings' `t_seconds`, `scanner_id`,
 * `rssi_dbm` are read as they are. Times may be absolute (Unix seconds) or relative. Lines starting with `#` and blank lines are skipped. Rows
 * of a device with the same time are one advert heard by several scanners.
 */

export interface RssiRow {
  /** ms from the start of the recording. */
  readonly t: number;
  readonly device: string;
  readonly scanner: string;
  readonly rssi: number;
  /** The zone the device was in (the walk's label, a replay's truth); null: none. */
  readonly zone: string | null;
}

/** A recording that cannot be read: the message names the line and what is wrong. */
export class RssiCsvError extends Error {
  readonly code = 'RSSI_CSV';
}

/** Rows sorted by time. Throws RssiCsvError. */
export function parseRssiCsv(text: string): RssiRow[] {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ l, n: i + 1 }))
    .filter(({ l }) => l.trim() !== '' && !l.startsWith('#'));
  const head = lines.shift();
  if (!head) throw new RssiCsvError('empty file (expected a header line)');
  const header = head.l.split(',').map((h) => h.trim().toLowerCase());
  const col = (...names: string[]) => names.map((n) => header.indexOf(n)).find((i) => i >= 0) ?? -1;
  // The second names are the public recordings' (../shared/data/ble: t_seconds, scanner_id, rssi_dbm).
  const iT = col('time', 't', 'time_s', 't_seconds');
  const iMs = col('time_ms', 't_ms');
  const iScanner = col('scanner', 'receiver', 'scanner_id');
  const iRssi = col('rssi', 'rssi_dbm');
  const iZone = col('true_zone', 'zone', 'truth');
  const iDevice = col('device', 'beacon');
  if ((iT < 0 && iMs < 0) || iScanner < 0 || iRssi < 0 || iZone < 0) {
    throw new RssiCsvError(`line ${head.n}: need columns time (or time_ms), scanner, rssi, zone (or true_zone); got ${header.join(',')}`);
  }
  const rows: RssiRow[] = [];
  for (const { l, n } of lines) {
    const f = l.split(',').map((x) => x.trim());
    const t = iMs >= 0 ? Number(f[iMs]) : Number(f[iT]) * 1000;
    const rssi = Number(f[iRssi]);
    if (f[iMs >= 0 ? iMs : iT] === '' || !Number.isFinite(t)) throw new RssiCsvError(`line ${n}: bad time ${JSON.stringify(f[iMs >= 0 ? iMs : iT] ?? '')}`);
    if (f[iRssi] === '' || !Number.isFinite(rssi)) throw new RssiCsvError(`line ${n}: bad rssi ${JSON.stringify(f[iRssi] ?? '')}`);
    if (!f[iScanner]) throw new RssiCsvError(`line ${n}: no scanner`);
    rows.push({ t, device: (iDevice >= 0 && f[iDevice]) || 'device', scanner: f[iScanner]!, rssi, zone: f[iZone] ? f[iZone]! : null });
  }
  return rows.sort((a, b) => a.t - b.t);
}
