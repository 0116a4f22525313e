/**
 * The radio map file (docs/presence.md, "Radio map"): what `trouw-gateway radio-map` writes
 * from a calibration walk and `presence.radioMap.file` points at. JSON:
 *   { "version": 1, "scanners": ["produce-1", …],
 *     "points": [{ "zone": "produce", "levels": [-61.5, null, …] }, …],
 *     "createdAt": "2025-…Z", "source": "survey.csv" }
 * `levels` are per scanner in `scanners` order (dBm; null: not heard at that point). Whether
 * the scanners and zones match the gateway's config is checked where the file is loaded
 * (config/radio-map-file.ts, with core/presence/radio-map.ts `radioMapProblem`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { firstProblem, type ConfigProblem } from './explain';

export const RADIO_MAP_VERSION = 1;

const Name = Type.String({ minLength: 1, maxLength: 64, description: 'a scanner name or zone id' });

export const RadioMapPointFile = Type.Object(
  {
    zone: Name,
    levels: Type.Array(
      Type.Union([Type.Number({ minimum: -127, maximum: 20 }), Type.Null()], { description: 'a level in dBm (-127 to 20) or null (not heard)' }),
    ),
  },
  { additionalProperties: false },
);

export const RadioMapFile = Type.Object(
  {
    version: Type.Literal(RADIO_MAP_VERSION),
    scanners: Type.Array(Name, { minItems: 1, uniqueItems: true }),
    points: Type.Array(RadioMapPointFile, { minItems: 1 }),
    createdAt: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}', description: 'an ISO 8601 time such as "2025-03-01T09:30:00Z"' })),
    source: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type RadioMapFile = Static<typeof RadioMapFile>;

/** The first thing wrong with a parsed radio map file, or undefined. */
export function radioMapFileProblem(value: unknown): ConfigProblem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { key: '(root)', value: Array.isArray(value) ? '(an array)' : value, expected: 'an object with version, scanners and points' };
  }
  const problem = firstProblem(RadioMapFile, value);
  if (problem) return problem;
  const map = value as RadioMapFile;
  for (const [i, p] of map.points.entries()) {
    if (p.levels.length !== map.scanners.length) {
      return { key: `points.${i}.levels`, value: `${p.levels.length} levels`, expected: `one level per scanner (${map.scanners.length})` };
    }
  }
  return undefined;
}
