/**
 * The radio map file (config/radio-map-schema.ts): read and checked where the gateway starts
 * (and by `check-config`), and built from a calibration walk's CSV (`trouw-gateway
 * radio-map`, the simulated store's cli). A file that is missing, not JSON, of the wrong
 * shape or not matching the configured scanners and zones stops the start with one line
 * naming the file and the problem (STYLE.md §6), as a ConfigError (exit 2).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './load';
import { describeProblem } from './explain';
import { presenceActive, zoneIds, type PresenceConfig } from './presence-schema';
import { RADIO_MAP_VERSION, radioMapFileProblem, type RadioMapFile } from './radio-map-schema';
import type { FingerprintParams } from '../core/presence/params';
import { fingerprintParams, radioMapProblem } from '../core/presence/radio-map';
import { DEFAULT_SURVEY, radioMapFromSurvey } from '../core/presence/radio-map-survey';
import { parseRssiCsv, type RssiRow } from '../adapters/presence/rssi-csv';

const KEY = 'presence.radioMap.file';

function fail(path: string, problem: string): never {
  throw new ConfigError({ key: KEY, value: path, expected: problem }, `radio map ${path} (${KEY}): ${problem}`);
}

/** Reads and shape-checks a radio map file; throws ConfigError naming the file. */
export function readRadioMapFile(path: string): RadioMapFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    fail(path, `cannot read it (${err.code ?? err.message})${err.code === 'ENOENT' ? '; build it with `trouw-gateway radio-map`' : ''}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    fail(path, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const problem = radioMapFileProblem(value);
  if (problem) fail(path, describeProblem(problem));
  return value as RadioMapFile;
}

/**
 * What the engine takes from `presence.radioMap`: the map read and checked against the
 * configured scanners and zones. Undefined when no map is configured or presence is off.
 */
export function loadRadioMap(p: PresenceConfig): FingerprintParams | undefined {
  if (!p.radioMap || !presenceActive(p)) return undefined;
  const path = p.radioMap.file;
  const file = readRadioMapFile(path);
  const map = { scanners: file.scanners, points: file.points };
  const problem = radioMapProblem(
    map,
    p.scanners.map((s) => s.name),
    zoneIds(p),
  );
  if (problem) fail(path, problem.replace(/^radio map: /, ''));
  return fingerprintParams(map, {
    k: p.radioMap.k,
    levelPerMisfitDb: p.radioMap.levelPerMisfitDb,
    windowMs: p.radioMap.windowMs,
    ...(p.radioMap.absoluteWeight !== undefined && { absoluteWeight: p.radioMap.absoluteWeight }),
  });
}

export interface RadioMapBuild {
  readonly map: RadioMapFile;
  /** Rows read, rows used (in a zone). */
  readonly rows: number;
  readonly used: number;
  readonly devices: readonly string[];
}

export interface BuildOptions {
  /** One point per this much walking in one zone (ms). */
  binMs?: number;
  /** Where the walk came from (the CSV's name), kept in the file. */
  source?: string;
  createdAt?: string;
}

/** A radio map from a calibration walk's rows (rows without a zone are not used). */
export function radioMapFromRows(rows: readonly RssiRow[], o: BuildOptions = {}): RadioMapBuild {
  const built = radioMapFromSurvey(rows, { ...DEFAULT_SURVEY, ...(o.binMs !== undefined && { binMs: o.binMs }) });
  const map: RadioMapFile = {
    version: RADIO_MAP_VERSION,
    scanners: [...built.scanners],
    points: built.points.map((p) => ({ zone: p.zone, levels: [...p.levels] })),
    ...(o.createdAt !== undefined && { createdAt: o.createdAt }),
    ...(o.source !== undefined && { source: o.source }),
  };
  return { map, rows: rows.length, used: rows.filter((r) => r.zone !== null).length, devices: [...new Set(rows.map((r) => r.device))] };
}

/** The same from the walk's CSV (adapters/presence/rssi-csv.ts; throws RssiCsvError). */
export const radioMapFromCsv = (csv: string, o: BuildOptions = {}): RadioMapBuild => radioMapFromRows(parseRssiCsv(csv), o);

/** The file's text: one point per line, so a walk of some hundred points stays readable. */
export function radioMapJson(map: RadioMapFile): string {
  const { points, ...head } = map;
  const top = JSON.stringify({ ...head, points: [] }, null, 2);
  const body = points.map((p) => `    ${JSON.stringify(p)}`).join(',\n');
  return `${top.slice(0, top.lastIndexOf('['))}[\n${body}\n  ]\n}\n`;
}

/** Points per zone and the scanners, for the installer. */
export function radioMapSummary(b: RadioMapBuild): string {
  const perZone = new Map<string, number>();
  for (const p of b.map.points) perZone.set(p.zone, (perZone.get(p.zone) ?? 0) + 1);
  const lines = [
    `radio map: ${b.map.points.length} points from ${b.used} of ${b.rows} rows (rows without a zone are not used)`,
    `  points per zone: ${[...perZone].map(([z, n]) => `${z} ${n}`).join(', ') || 'none'}`,
    `  scanners (${b.map.scanners.length}): ${b.map.scanners.join(', ')}`,
  ];
  if (b.devices.length > 1)
    lines.push(
      `  note: ${b.devices.length} devices in the recording (${b.devices.slice(0, 5).join(', ')}${b.devices.length > 5 ? ', …' : ''}), each binned on its own`,
    );
  return lines.join('\n');
}
