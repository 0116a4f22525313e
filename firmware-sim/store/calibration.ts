/**
 * The simulated store's calibration walk, written the way an installer's would be: the
 * recording as `survey.csv` (survey.ts), then the radio map built from that CSV by the same
 * code `trouw-gateway radio-map` runs (gateway/config/radio-map-file.ts), as `radio-map.json`.
 * The store's cli and the demo point `presence.radioMap.file` at it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { radioMapFromCsv, radioMapJson, radioMapSummary } from '../../gateway/config/radio-map-file';
import type { StoreSim } from './store-sim';
import { surveyCsv, surveyWalk, type SurveyWalkOptions } from './survey';

export interface CalibrationFiles {
  readonly csvPath: string;
  readonly mapPath: string;
  /** What `trouw-gateway radio-map` prints (points per zone, scanners). */
  readonly summary: string;
}

/** Walks `sim`'s store (its plan and radio: the store the shoppers walk) and writes both files to `dir`. */
export function writeCalibrationWalk(sim: StoreSim, dir: string, walk: Partial<SurveyWalkOptions> = {}): CalibrationFiles {
  const csvPath = join(dir, 'survey.csv');
  const mapPath = join(dir, 'radio-map.json');
  const csv = surveyCsv(surveyWalk(sim.plan, sim.radio, walk));
  writeFileSync(csvPath, csv);
  const built = radioMapFromCsv(csv, { source: `${csvPath} (simulated calibration walk)`, createdAt: new Date().toISOString() });
  writeFileSync(mapPath, radioMapJson(built.map));
  return { csvPath, mapPath, summary: radioMapSummary(built) };
}
