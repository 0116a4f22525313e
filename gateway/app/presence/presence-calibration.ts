/**
 * The calibration walk, recorded in the gateway (docs/presence.md, "Radio map"): store IT
 * names a configured tag as the reference beacon and labels the zone the installer is
 * walking now; every scanner report of THAT tag is kept with the label, in memory only,
 * until the walk is finished (presence-calibration-map.ts) or discarded.
 *
 * Privacy (DESIGN.md §9): an advert is kept only when its manufacturer data is the reference
 * tag's iBeacon (uuid, major and minor); members' phones and every other device are looked
 * at and dropped, never stored. Logs carry counts, the tag id and zone ids only.
 *
 * Expected failures (unknown tag or zone, no session, one already running) are values with
 * codes (STYLE.md §5); the routes turn them into 4xx answers.
 */
import type { Logger } from 'pino';
import { hasUuid, isIBeacon, majorMinor, uuidBytes } from '../../core/presence/ibeacon';
import type { SurveyRow } from '../../core/presence/radio-map-survey';
import type { Advert } from '../../ports/ble-scanner';
import type { Clock } from '../../ports/clock';

export interface CalibrationTag {
  readonly id: string;
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
}

export interface CalibrationOptions {
  clock: Clock;
  logger: Logger;
  /** The configured scanners (reports from any other are not kept) and zones. */
  scanners: readonly string[];
  zones: readonly string[];
  tags: readonly CalibrationTag[];
  /** Rows kept at most; the recording stops (and says so) when full. Default 500 000. */
  maxRows?: number;
  /** A session is discarded this long after it started. Default 2 h. */
  timeoutMs?: number;
  /** Called with true when a session starts and false when it ends (attach the advert tap). */
  onActive?: (active: boolean) => void;
}

export type CalibrationErrorCode = 'unknown-tag' | 'unknown-zone' | 'no-calibration' | 'calibration-running' | 'calibration-full';
export interface CalibrationError {
  readonly error: CalibrationErrorCode;
  readonly message: string;
}
export type CalibrationResult<T> = { ok: true; value: T } | { ok: false; error: CalibrationError };

export interface CalibrationStatus {
  readonly tag: string;
  /** The zone being walked now; null: between zones or a pause. */
  readonly zone: string | null;
  readonly startedAt: string;
  readonly elapsedMs: number;
  readonly expiresInMs: number;
  readonly rows: number;
  readonly maxRows: number;
  /** True when the row cap was reached: nothing more is recorded. */
  readonly full: boolean;
  /** Rows per labelled zone (every configured zone, 0 when not walked yet). */
  readonly rowsPerZone: Record<string, number>;
  /** Rows recorded with no zone (between zones, pauses): not used for the map. */
  readonly unlabelledRows: number;
  readonly rowsPerScanner: Record<string, number>;
}

export interface CalibrationRecorder {
  readonly active: boolean;
  start(tagId: string): CalibrationResult<CalibrationStatus>;
  setZone(zone: string | null): CalibrationResult<CalibrationStatus>;
  status(): CalibrationResult<CalibrationStatus>;
  /** Keeps the reports of the reference tag among `batch` (the presence service's tap). */
  record(batch: readonly Advert[]): void;
  /** The rows in recording order; `t` is ms from the start of the session. */
  rows(): CalibrationResult<{ tag: string; rows: SurveyRow[] }>;
  /** Rows as CSV (adapters/presence/rssi-csv.ts reads it back), in chunks. */
  csv(): CalibrationResult<Iterable<string>>;
  /** Ends the session and forgets its rows (discard, or after the map was written). */
  end(reason: 'discarded' | 'finished'): CalibrationResult<{ tag: string; rows: number }>;
}

export const DEFAULT_MAX_ROWS = 500_000;
export const DEFAULT_TIMEOUT_MS = 2 * 3_600_000;
export const CSV_HEADER = 'time_ms,scanner,rssi,zone';

/** Rows as columns: 500 000 rows take ~6 MB instead of ~30 MB of objects. */
class Columns {
  t = new Float64Array(1024);
  rssi = new Int8Array(1024);
  scanner = new Uint16Array(1024);
  /** Zone index, -1: none. */
  zone = new Int16Array(1024);
  length = 0;

  push(t: number, scanner: number, rssi: number, zone: number): void {
    if (this.length === this.t.length) this.grow();
    const i = this.length++;
    this.t[i] = t;
    this.scanner[i] = scanner;
    this.rssi[i] = rssi;
    this.zone[i] = zone;
  }

  private grow(): void {
    const n = this.t.length * 2;
    const t = new Float64Array(n);
    const rssi = new Int8Array(n);
    const scanner = new Uint16Array(n);
    const zone = new Int16Array(n);
    t.set(this.t);
    rssi.set(this.rssi);
    scanner.set(this.scanner);
    zone.set(this.zone);
    Object.assign(this, { t, rssi, scanner, zone });
  }
}

interface Session {
  readonly tag: CalibrationTag;
  readonly uuid: Uint8Array;
  readonly majorMinor: number;
  readonly startedAt: number;
  zone: number;
  readonly cols: Columns;
  readonly perScanner: Uint32Array;
  /** Per zone index; the last entry counts rows without a zone. */
  readonly perZone: Uint32Array;
  full: boolean;
}

const fail = (error: CalibrationErrorCode, message: string): { ok: false; error: CalibrationError } => ({ ok: false, error: { error, message } });
const HOW_TO_START = 'POST /api/presence/calibration {"tag": "<presence.tags id>"} starts one';

export function createCalibrationRecorder(o: CalibrationOptions): CalibrationRecorder {
  const log = o.logger.child({ component: 'presence-calibration' });
  const maxRows = o.maxRows ?? DEFAULT_MAX_ROWS;
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const scannerIndex = new Map(o.scanners.map((s, i) => [s, i]));
  let session: Session | null = null;
  /** Why the last session ended by itself (a timeout), told once to the next request. */
  let endedBecause: string | null = null;

  const close = (reason: string) => {
    const s = session!;
    session = null;
    o.onActive?.(false);
    log.info({ tag: s.tag.id, rows: s.cols.length, reason }, 'calibration session ended');
  };

  /** The running session, or null after ending one that outlived the timeout. */
  const current = (now = o.clock.now()): Session | null => {
    if (session && now - session.startedAt >= timeoutMs) {
      endedBecause = `the calibration with tag ${session.tag.id} timed out after ${Math.round(timeoutMs / 60_000)} min and its rows were discarded`;
      close('timeout');
    }
    return session;
  };

  const noSession = () => {
    const why = endedBecause;
    endedBecause = null;
    return fail('no-calibration', `${why ?? 'no calibration is being recorded'}; ${HOW_TO_START}`);
  };

  const statusOf = (s: Session): CalibrationStatus => {
    const now = o.clock.now();
    return {
      tag: s.tag.id,
      zone: s.zone < 0 ? null : o.zones[s.zone]!,
      startedAt: new Date(s.startedAt).toISOString(),
      elapsedMs: now - s.startedAt,
      expiresInMs: Math.max(0, s.startedAt + timeoutMs - now),
      rows: s.cols.length,
      maxRows,
      full: s.full,
      rowsPerZone: Object.fromEntries(o.zones.map((z, i) => [z, s.perZone[i]!])),
      unlabelledRows: s.perZone[o.zones.length]!,
      rowsPerScanner: Object.fromEntries(o.scanners.map((n, i) => [n, s.perScanner[i]!])),
    };
  };

  const withSession = <T>(f: (s: Session) => CalibrationResult<T>): CalibrationResult<T> => {
    const s = current();
    return s ? f(s) : noSession();
  };

  return {
    get active() {
      return current() !== null;
    },

    start(tagId) {
      const s = current();
      if (s) {
        return fail('calibration-running', `a calibration with tag ${s.tag.id} is running (${s.cols.length} rows); finish or DELETE it first`);
      }
      const tag = o.tags.find((t) => t.id === tagId);
      if (!tag) {
        return fail('unknown-tag', `tag ${tagId} is not configured (presence.tags: ${o.tags.map((t) => t.id).join(', ') || 'none'})`);
      }
      endedBecause = null;
      session = {
        tag,
        uuid: uuidBytes(tag.uuid),
        majorMinor: ((tag.major << 16) | tag.minor) >>> 0,
        startedAt: o.clock.now(),
        zone: -1,
        cols: new Columns(),
        perScanner: new Uint32Array(o.scanners.length),
        perZone: new Uint32Array(o.zones.length + 1),
        full: false,
      };
      o.onActive?.(true);
      log.info({ tag: tag.id, scanners: o.scanners.length, zones: o.zones.length }, 'calibration session started');
      return { ok: true, value: statusOf(session) };
    },

    setZone(zone) {
      return withSession((s) => {
        const i = zone === null ? -1 : o.zones.indexOf(zone);
        if (i < 0 && zone !== null) return fail('unknown-zone', `zone ${zone} is not configured (zones: ${o.zones.join(', ')})`);
        if (s.full) return fail('calibration-full', `the recording is full (${maxRows} rows); finish it, or DELETE it and walk again`);
        s.zone = i;
        log.info({ tag: s.tag.id, zone, rows: s.cols.length }, 'calibration zone');
        return { ok: true, value: statusOf(s) };
      });
    },

    status: () => withSession((s) => ({ ok: true, value: statusOf(s) })),

    record(batch) {
      const s = current();
      if (!s || s.full) return;
      for (const a of batch) {
        const md = a.manufacturerData;
        // The reference tag only: anything else (members' phones, strangers) is not kept.
        if (!isIBeacon(md) || !hasUuid(md, s.uuid) || majorMinor(md) !== s.majorMinor) continue;
        const si = scannerIndex.get(a.scanner);
        if (si === undefined) continue;
        if (s.cols.length >= maxRows) {
          s.full = true;
          log.warn({ tag: s.tag.id, rows: s.cols.length }, 'calibration recording full; nothing more is recorded');
          return;
        }
        s.cols.push(a.at - s.startedAt, si, a.rssi, s.zone);
        s.perScanner[si]!++;
        s.perZone[s.zone < 0 ? o.zones.length : s.zone]!++;
      }
    },

    rows: () =>
      withSession((s) => {
        const c = s.cols;
        const rows: SurveyRow[] = new Array(c.length);
        for (let i = 0; i < c.length; i++) {
          rows[i] = { t: c.t[i]!, scanner: o.scanners[c.scanner[i]!]!, rssi: c.rssi[i]!, zone: c.zone[i]! < 0 ? null : o.zones[c.zone[i]!]! };
        }
        return { ok: true, value: { tag: s.tag.id, rows } };
      }),

    csv: () =>
      withSession((s) => {
        // A copy of the columns as they are now: the walk goes on while the CSV is sent.
        const n = s.cols.length;
        const c = { t: s.cols.t.slice(0, n), rssi: s.cols.rssi.slice(0, n), scanner: s.cols.scanner.slice(0, n), zone: s.cols.zone.slice(0, n) };
        function* chunks(): Generator<string> {
          yield `${CSV_HEADER}\n`;
          for (let from = 0; from < n; from += 10_000) {
            const lines: string[] = [];
            for (let i = from; i < Math.min(n, from + 10_000); i++) {
              lines.push(`${c.t[i]},${o.scanners[c.scanner[i]!]},${c.rssi[i]},${c.zone[i]! < 0 ? '' : o.zones[c.zone[i]!]}\n`);
            }
            yield lines.join('');
          }
        }
        return { ok: true, value: chunks() };
      }),

    end: (reason) =>
      withSession((s) => {
        close(reason);
        return { ok: true, value: { tag: s.tag.id, rows: s.cols.length } };
      }),
  };
}
