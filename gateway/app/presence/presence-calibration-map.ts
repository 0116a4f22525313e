/**
 * Finishing a calibration walk recorded in the gateway (presence-calibration.ts): the rows
 * become a radio map (core/presence/radio-map-survey.ts, as `trouw-gateway radio-map` does),
 * the map is checked against the configured scanners and zones, written atomically (a
 * temporary file renamed over the old one, so a crash never leaves half a map for the next
 * start to stop on) and, when asked, put into the running engine.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { radioMapFileProblem, type RadioMapFile } from '../../config/radio-map-schema';
import { describeProblem } from '../../config/explain';
import type { FingerprintParams } from '../../core/presence/params';
import { fingerprintParams, radioMapProblem } from '../../core/presence/radio-map';
import type { SurveyRow } from '../../core/presence/radio-map-survey';
import type { PresenceRadioMapConfig } from '../../config/presence-schema';
import type { Logger } from 'pino';
import type { Clock } from '../../ports/clock';
import type { CalibrationError, CalibrationRecorder } from './presence-calibration';
import { radioMapFromRows, radioMapJson } from '../../config/radio-map-file';

export interface FinishInput {
  readonly tag: string;
  readonly rows: readonly SurveyRow[];
  readonly scanners: readonly string[];
  readonly zones: readonly string[];
  /** `presence.radioMap` (its file is where the map goes); undefined: not configured. */
  readonly radioMap: PresenceRadioMapConfig | undefined;
  /** `database.path`: the map goes next to it when `presence.radioMap` is not configured. */
  readonly databasePath: string;
  readonly now: number;
}

export interface BuiltCalibration {
  readonly map: RadioMapFile;
  readonly fingerprint: FingerprintParams;
  readonly file: string;
  /** True: the file is `presence.radioMap.file`, read again at the next start. */
  readonly configured: boolean;
  readonly pointsPerZone: Record<string, number>;
  /** Rows with a zone (used for the map) of all rows. */
  readonly used: number;
}

export type BuildProblem =
  | { readonly error: 'radio-map-incomplete'; readonly message: string; readonly missingZones: string[] }
  | { readonly error: 'radio-map-invalid'; readonly message: string };

export const DEFAULT_MAP_FILE = 'radio-map.json';

/** Where a finished walk's map is written. */
export function calibrationMapPath(radioMap: PresenceRadioMapConfig | undefined, databasePath: string): { file: string; configured: boolean } {
  if (radioMap) return { file: resolve(radioMap.file), configured: true };
  return { file: resolve(dirname(databasePath === ':memory:' ? '.' : databasePath), DEFAULT_MAP_FILE), configured: false };
}

/** The map from the rows, checked; a value naming what is missing when it cannot serve. */
export function buildCalibrationMap(i: FinishInput): { ok: true; value: BuiltCalibration } | { ok: false; error: BuildProblem } {
  // The same build as `trouw-gateway radio-map` (the rows are the tag's: one device).
  const built = radioMapFromRows(
    i.rows.map((r) => ({ ...r, device: i.tag })),
    {
      createdAt: new Date(i.now).toISOString(),
      source: `calibration walk recorded by the gateway (tag ${i.tag}, ${i.rows.length} rows)`,
    },
  );
  const { map } = built;
  const pointsPerZone = Object.fromEntries(i.zones.map((z) => [z, 0]));
  for (const p of map.points) pointsPerZone[p.zone] = (pointsPerZone[p.zone] ?? 0) + 1;
  const missingZones = i.zones.filter((z) => !pointsPerZone[z]);
  if (missingZones.length > 0) {
    return {
      ok: false,
      error: {
        error: 'radio-map-incomplete',
        message: `no points for zone(s) ${missingZones.join(', ')}: walk them (PUT /api/presence/calibration/zone) and finish again`,
        missingZones,
      },
    };
  }
  const problem = radioMapProblem(map, i.scanners, i.zones);
  if (problem) return { ok: false, error: { error: 'radio-map-invalid', message: problem } };
  const { file, configured } = calibrationMapPath(i.radioMap, i.databasePath);
  const fileProblem = radioMapFileProblem(map);
  if (fileProblem) return { ok: false, error: { error: 'radio-map-invalid', message: `radio map: ${describeProblem(fileProblem)}` } };
  const { file: _file, ...tuning } = i.radioMap ?? {};
  const fingerprint: FingerprintParams = fingerprintParams({ scanners: map.scanners, points: map.points }, tuning);
  return { ok: true, value: { map, fingerprint, file, configured, pointsPerZone, used: built.used } };
}

/** Writes `text` to `path` atomically: a temporary file beside it, flushed, renamed over it. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export const writeRadioMap = (path: string, map: RadioMapFile): void => writeFileAtomic(path, radioMapJson(map));

export interface FinishDeps {
  readonly recorder: CalibrationRecorder;
  readonly scanners: readonly string[];
  readonly zones: readonly string[];
  readonly radioMap: PresenceRadioMapConfig | undefined;
  readonly databasePath: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The running engine's radio map (PresenceService.applyRadioMap). */
  applyRadioMap(fp: FingerprintParams): void;
}

export interface Finished {
  readonly file: string;
  readonly configured: boolean;
  readonly applied: boolean;
  readonly points: number;
  readonly pointsPerZone: Record<string, number>;
  readonly scanners: string[];
  readonly rows: number;
  readonly used: number;
  readonly note: string;
}

export type FinishError = CalibrationError | BuildProblem | { readonly error: 'radio-map-not-written'; readonly message: string };

/**
 * Builds, checks and writes the map of the running session, applies it when asked, and ends
 * the session. A map that cannot serve (a zone not walked) or a file that cannot be written
 * leaves the session running, so the installer can walk on or fix the path and finish again.
 */
export function finishCalibration(d: FinishDeps, apply: boolean): { ok: true; value: Finished } | { ok: false; error: FinishError } {
  const log = d.logger.child({ component: 'presence-calibration' });
  const recorded = d.recorder.rows();
  if (!recorded.ok) return recorded;
  const { tag, rows } = recorded.value;
  const built = buildCalibrationMap({
    tag,
    rows,
    scanners: d.scanners,
    zones: d.zones,
    radioMap: d.radioMap,
    databasePath: d.databasePath,
    now: d.clock.now(),
  });
  if (!built.ok) {
    log.warn({ tag, rows: rows.length, error: built.error.error }, 'calibration not finished');
    return built;
  }
  const b = built.value;
  try {
    writeRadioMap(b.file, b.map);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    log.error({ tag, file: b.file, code: err.code }, 'radio map not written');
    return { ok: false, error: { error: 'radio-map-not-written', message: `cannot write ${b.file} (${err.code ?? err.message}); the recording is kept` } };
  }
  if (apply) d.applyRadioMap(b.fingerprint);
  d.recorder.end('finished');
  log.info({ tag, rows: rows.length, used: b.used, points: b.map.points.length, file: b.file, applied: apply }, 'calibration finished; radio map written');
  const note = [
    b.configured
      ? `written to presence.radioMap.file (${b.file}); the gateway reads it at every start`
      : `written to ${b.file} (next to the database: presence.radioMap is not configured); set presence.radioMap.file to it so the next start uses it`,
    apply ? 'in use now' : 'not in use until applied (finish with apply: true) or the next start',
  ].join('; ');
  return {
    ok: true,
    value: {
      file: b.file,
      configured: b.configured,
      applied: apply,
      points: b.map.points.length,
      pointsPerZone: b.pointsPerZone,
      scanners: b.map.scanners,
      rows: rows.length,
      used: b.used,
      note,
    },
  };
}
