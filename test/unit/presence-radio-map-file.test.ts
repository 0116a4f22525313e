/**
 * The radio map as product: the file (config/radio-map-schema.ts, config/radio-map-file.ts) and
 * its one-line errors, `presence.radioMap` in the config (defaults, relative paths), building
 * a map from a walk's CSV, and the presence service placing a device by the map.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { presenceConfigFrom } from '../../gateway/app/presence/presence-config';
import { createPresenceService } from '../../gateway/app/presence/presence-service';
import { loadRadioMap, radioMapFromCsv, radioMapJson, readRadioMapFile } from '../../gateway/config/radio-map-file';
import { ConfigError, loadConfig } from '../../gateway/config/load';
import { DEFAULT_FINGERPRINT, DEFAULT_FINGERPRINT_WINDOW_MS, DEFAULT_LEVEL_PER_MISFIT_DB } from '../../gateway/core/presence/radio-map';
import { openTempDb, type TempDb } from './sqlite-helpers';

const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const SCANNERS = [
  { name: 'sa', zone: 'A', port: '/sim/a' },
  { name: 'sb', zone: 'B', port: '/sim/b' },
];
/** Zone A's points: its own scanner loud, B's far. Zone B's: A's scanner a little louder than B's. */
const MAP = {
  version: 1,
  scanners: ['sa', 'sb'],
  points: [
    { zone: 'A', levels: [-60, -90] },
    { zone: 'A', levels: [-62, -88] },
    { zone: 'A', levels: [-58, null] },
    { zone: 'B', levels: [-70, -75] },
    { zone: 'B', levels: [-69, -76] },
    { zone: 'B', levels: [-71, -74] },
  ],
  createdAt: '2026-01-05T08:00:00.000Z',
  source: 'walk.csv',
};

let dir: string;
let tmp: TempDb | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const write = (name: string, text: string) => {
  dir ??= mkdtempSync(join(tmpdir(), 'trouw-radio-map-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-radio-map-'));
};

/** The one line a start or check-config would print. */
function problemOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('no problem found');
}

const presence = (file: string, extra: Record<string, unknown> = {}) =>
  presenceConfigFrom({ driver: 'simulated', scanners: SCANNERS, radioMap: { file }, ...extra });

describe('radio map file', () => {
  it('reads a valid file; the config fills k and levelPerMisfitDb', () => {
    fresh();
    const path = write('map.json', JSON.stringify(MAP));
    expect(readRadioMapFile(path)).toEqual(MAP);
    const fp = loadRadioMap(presence(path))!;
    expect(fp.map.scanners).toEqual(['sa', 'sb']);
    expect(fp.map.points).toHaveLength(6);
    expect(fp.k).toBe(DEFAULT_FINGERPRINT.k);
    expect(fp.levelPerMisfitDb).toBe(DEFAULT_LEVEL_PER_MISFIT_DB);
    expect(loadRadioMap(presence(path, { radioMap: { file: path, k: 2, levelPerMisfitDb: 3 } }))).toMatchObject({ k: 2, levelPerMisfitDb: 3 });
  });

  it('is not read when no map is configured or presence is off', () => {
    expect(loadRadioMap(presenceConfigFrom({ scanners: SCANNERS }))).toBeUndefined();
    expect(loadRadioMap(presenceConfigFrom({ radioMap: { file: '/nonexistent/map.json' } }))).toBeUndefined();
    expect(loadRadioMap(presenceConfigFrom({ scanners: SCANNERS, enabled: false, radioMap: { file: '/nonexistent/map.json' } }))).toBeUndefined();
  });

  it('a missing, malformed or misshapen file: one line naming the file and the problem', () => {
    fresh();
    const missing = join(dir, 'nope.json');
    expect(problemOf(() => loadRadioMap(presence(missing)))).toBe(
      `radio map ${missing} (presence.radioMap.file): cannot read it (ENOENT); build it with \`trouw-gateway radio-map\``,
    );
    const broken = write('broken.json', '{"version": 1, "scanners": [');
    expect(problemOf(() => readRadioMapFile(broken))).toMatch(new RegExp(`^radio map ${broken} \\(presence.radioMap.file\\): not valid JSON \\(.+\\)$`));
    const cases: Array<[unknown, string]> = [
      [[1, 2], '(root) = "(an array)": expected an object with version, scanners and points'],
      [{ ...MAP, version: 2 }, 'version = 2: expected 1'],
      [{ ...MAP, points: [{ zone: 'A', levels: [-60, 'loud'] }] }, 'points.0.levels.1 = "loud": expected a level in dBm (-127 to 20) or null (not heard)'],
      [{ ...MAP, points: [{ zone: 'A', levels: [-60, 30] }] }, 'points.0.levels.1 = 30: expected a level in dBm (-127 to 20) or null (not heard)'],
      [{ ...MAP, points: [{ zone: 'A', levels: [-60] }] }, 'points.0.levels = "1 levels": expected one level per scanner (2)'],
      [{ ...MAP, scanners: ['sa', 'sa'] }, 'scanners = ["sa","sa"]: expected array elements to be unique'],
      [{ ...MAP, extra: true }, 'extra = true: expected no such key (check the spelling)'],
      [{ version: 1, scanners: ['sa'] }, 'points = (missing): expected required property'],
    ];
    for (const [value, problem] of cases) {
      const path = write('bad.json', JSON.stringify(value));
      expect(problemOf(() => readRadioMapFile(path))).toBe(`radio map ${path} (presence.radioMap.file): ${problem}`);
    }
  });

  it('must match the configured scanners and zones', () => {
    fresh();
    const unknownScanner = write('s.json', JSON.stringify({ ...MAP, scanners: ['sa', 'sx'] }));
    expect(problemOf(() => loadRadioMap(presence(unknownScanner)))).toBe(`radio map ${unknownScanner} (presence.radioMap.file): scanner sx is not configured`);
    const unknownZone = write('z.json', JSON.stringify({ ...MAP, points: [...MAP.points, { zone: 'C', levels: [-80, -80] }] }));
    expect(problemOf(() => loadRadioMap(presence(unknownZone)))).toBe(`radio map ${unknownZone} (presence.radioMap.file): point 6 is in unknown zone C`);
    const onlyA = write('a.json', JSON.stringify({ ...MAP, points: MAP.points.filter((p) => p.zone === 'A') }));
    expect(problemOf(() => loadRadioMap(presence(onlyA)))).toBe(
      `radio map ${onlyA} (presence.radioMap.file): no points for zone(s) B (walk them in the calibration)`,
    );
  });

  it('config: k and levelPerMisfitDb checked; a relative file is relative to the config file', () => {
    expect(() => presenceConfigFrom({ radioMap: { file: 'm.json', k: 0 } })).toThrow('config: radioMap.k = 0: expected a whole number >= 1 and <= 100');
    expect(() => presenceConfigFrom({ radioMap: { file: 'm.json', levelPerMisfitDb: 0 } })).toThrow(
      'config: radioMap.levelPerMisfitDb = 0: expected a number > 0 and <= 100',
    );
    expect(() => presenceConfigFrom({ radioMap: { file: 'm.json', windowMs: 100 } })).toThrow('config: radioMap.windowMs = 100');
    expect(() => presenceConfigFrom({ radioMap: {} })).toThrow('config: radioMap.file = (missing)');
    fresh();
    const cfg = write('gateway.yaml', 'database: { path: ":memory:" }\npresence:\n  radioMap: { file: maps/store.json }\n');
    expect(loadConfig({ file: cfg, env: {} }).presence.radioMap).toEqual({
      file: join(dir, 'maps/store.json'),
      k: DEFAULT_FINGERPRINT.k,
      levelPerMisfitDb: DEFAULT_LEVEL_PER_MISFIT_DB,
      windowMs: DEFAULT_FINGERPRINT_WINDOW_MS,
    });
    const abs = write('abs.yaml', 'presence:\n  radioMap: { file: /srv/map.json, k: 5 }\n');
    expect(loadConfig({ file: abs, env: {} }).presence.radioMap).toMatchObject({ file: '/srv/map.json', k: 5 });
    // From the environment: as given (relative to the working directory).
    expect(loadConfig({ env: { TROUW_PRESENCE__RADIO_MAP__FILE: 'm.json' } }).presence.radioMap?.file).toBe('m.json');
  });

  it('is built from a walk CSV (rows without a zone unused) and written one point per line', () => {
    const csv = [
      'time,scanner,rssi,zone,device',
      ...[0, 0.5, 1, 1.5].flatMap((t) => [`${t},sa,-60,A,ref`, `${t},sb,-85,A,ref`]),
      ...[3, 3.5].flatMap((t) => [`${t},sa,-75,,ref`, `${t},sb,-75,,ref`]),
      ...[5, 5.5, 6, 6.5].flatMap((t) => [`${t},sa,-72,true_b,ref`, `${t},sb,-64,true_b,ref`]),
    ].join('\n');
    const built = radioMapFromCsv(csv.replace(/true_b/g, 'B'), { binMs: 2000, source: 'walk.csv', createdAt: '2026-01-05T08:00:00.000Z' });
    expect(built.map).toEqual({
      version: 1,
      scanners: ['sa', 'sb'],
      points: [
        { zone: 'A', levels: [-60, -85] },
        { zone: 'B', levels: [-72, -64] },
      ],
      createdAt: '2026-01-05T08:00:00.000Z',
      source: 'walk.csv',
    });
    expect(built).toMatchObject({ rows: 20, used: 16, devices: ['ref'] });
    const text = radioMapJson(built.map);
    expect(JSON.parse(text)).toEqual(built.map);
    expect(text).toContain('\n    {"zone":"A","levels":[-60,-85]},\n');
    fresh();
    expect(readRadioMapFile(write('built.json', text))).toEqual(built.map);
  });
});

describe('presence service with a radio map', () => {
  const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

  /** A tag heard louder by zone A's scanner than by B's; where does the service put it? */
  async function placeTag(radioMap?: string): Promise<string | undefined> {
    tmp = openTempDb();
    const clock = {
      t: T0,
      now() {
        return this.t;
      },
      monotonic() {
        return this.t;
      },
    };
    const config = presenceConfigFrom({
      driver: 'simulated',
      scanners: SCANNERS,
      tags: [{ id: 'trolley-1', major: 65520, minor: 1 }],
      defaults: { windowMs: 3000, enterTimeMs: 1000 },
      ...(radioMap && { radioMap: { file: radioMap } }),
    });
    const s = createPresenceService({ config, db: tmp.db, clock, logger: pino({ level: 'silent' }), timeZone: 'UTC', outboxTtlMs: 3_600_000, timers: false });
    s.start();
    const tag = iBeaconAdData(PROGRAM, 65520, 1, -59).subarray(5);
    for (let i = 0; i < 40; i++) {
      clock.t = T0 + i * 200;
      s.simulated!.push({ scanner: 'sa', rssi: -65 + (i % 3), manufacturerData: tag }, { scanner: 'sb', rssi: -72 - (i % 2), manufacturerData: tag });
      await new Promise((r) => setImmediate(r));
      if (i % 3 === 0) s.tick();
    }
    const zone = s.occupancy().zones.find((z) => z.tags > 0)?.zone;
    await s.stop();
    return zone;
  }

  it("places a device by fingerprint: zone B, although zone A's own scanner is loudest", async () => {
    expect(await placeTag()).toBe('A');
    fresh();
    expect(await placeTag(write('map.json', JSON.stringify(MAP)))).toBe('B');
  });

  it('a bad map stops the service from being created', () => {
    tmp = openTempDb();
    const config = presence('/nonexistent/map.json');
    expect(() =>
      createPresenceService({
        config,
        db: tmp!.db,
        clock: { now: () => T0, monotonic: () => T0 },
        logger: pino({ level: 'silent' }),
        timeZone: 'UTC',
        outboxTtlMs: 1000,
        timers: false,
      }),
    ).toThrow(ConfigError);
  });
});
