/**
 * The radio map core (gateway/core/presence/radio-map.ts, radio-map-survey.ts): fitting a
 * device's levels to zone fingerprints, and building the map from a calibration walk.
 */
import { describe, expect, it } from 'vitest';
import { fingerprintParams, FLOOR_DBM, radioMapProblem, ZoneFingerprints, type RadioMap } from '../../gateway/core/presence/radio-map';
import { radioMapFromSurvey, type SurveyRow } from '../../gateway/core/presence/radio-map-survey';
import { PresenceEngine } from '../../gateway/core/presence/engine';
import { FitQuality } from '../../gateway/core/presence/fit-quality';
import { DEFAULT_ZONE_PARAMS } from '../../gateway/core/presence/params';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';

const SCANNERS = ['a1', 'a2', 'b1', 'b2'];

/** Zone A's spots hear a1/a2 loud; zone B's spots are shadowed: b1/b2 quieter than a1. */
const MAP: RadioMap = {
  scanners: SCANNERS,
  points: [
    { zone: 'A', levels: [-55, -60, -75, -80] },
    { zone: 'A', levels: [-57, -58, -77, -78] },
    { zone: 'B', levels: [-62, -70, -66, -68] },
    { zone: 'B', levels: [-64, -72, -65, -69] },
  ],
};

const fit = (fp: ZoneFingerprints, levels: number[]) => {
  const out = new Map<string, number>();
  fp.fit(Float64Array.from(levels), out);
  return out;
};

describe('ZoneFingerprints', () => {
  it("fits the zone whose points look like the levels, though another zone's scanner is loudest", () => {
    const fp = new ZoneFingerprints(MAP, SCANNERS, { k: 1 });
    const m = fit(fp, [-63, -71, -65, -68]);
    expect(m.get('B')!).toBeLessThan(1);
    expect(m.get('A')!).toBeGreaterThan(5);
  });

  it("ignores a device's own transmit power: the same pattern 12 dB quieter fits the same", () => {
    const fp = new ZoneFingerprints(MAP, SCANNERS, { k: 1 });
    const loud = fit(fp, [-55, -60, -75, -80]);
    const quiet = fit(fp, [-67, -72, -87, -92]);
    expect(quiet.get('A')).toBeCloseTo(loud.get('A')!, 9);
    expect(quiet.get('A')).toBeCloseTo(0, 9);
    expect(quiet.get('B')).toBeCloseTo(loud.get('B')!, 9);
  });

  it('absoluteWeight keeps that share of the loudness: at 1 the quieter pattern misfits by the 12 dB', () => {
    const fp = new ZoneFingerprints(MAP, SCANNERS, { k: 1, absoluteWeight: 1 });
    expect(fit(fp, [-67, -72, -87, -92]).get('A')).toBeCloseTo(12, 9);
    const half = new ZoneFingerprints(MAP, SCANNERS, { k: 1, absoluteWeight: 0.5 });
    expect(fit(half, [-67, -72, -87, -92]).get('A')).toBeCloseTo(Math.sqrt(72), 9);
  });

  it("a zone's misfit is the mean of its k best points", () => {
    const one = fit(new ZoneFingerprints(MAP, SCANNERS, { k: 1 }), [-55, -60, -75, -80]);
    const two = fit(new ZoneFingerprints(MAP, SCANNERS, { k: 2 }), [-55, -60, -75, -80]);
    expect(one.get('A')).toBeCloseTo(0, 9);
    expect(two.get('A')!).toBeGreaterThan(0);
    expect(two.get('A')!).toBeLessThan(two.get('B')!);
  });

  it('a scanner not heard counts at the floor, on both sides', () => {
    const map: RadioMap = {
      scanners: ['s1', 's2'],
      points: [
        { zone: 'A', levels: [-60, null] },
        { zone: 'B', levels: [-60, -60] },
      ],
    };
    const fp = new ZoneFingerprints(map, ['s1', 's2'], { k: 1 });
    const m = fit(fp, [-70, NaN]);
    // A: (−70 − −60, FLOOR − FLOOR) = (−10, 0): spread 5; B: (−10, FLOOR + 60 = −40): spread 15.
    expect(m.get('A')).toBeCloseTo(5, 9);
    expect(m.get('B')).toBeCloseTo(15, 9);
    expect(FLOOR_DBM).toBe(-100);
  });

  it('nothing heard by a mapped scanner: no fit at all', () => {
    const fp = new ZoneFingerprints(MAP, [...SCANNERS, 'c1'], { k: 1 });
    expect(fit(fp, [NaN, NaN, NaN, NaN, -40]).size).toBe(0);
  });

  it("maps its scanners onto the engine's order; scanners the map lacks do not count", () => {
    const fp = new ZoneFingerprints(MAP, ['b2', 'new', 'a1', 'b1', 'a2'], { k: 1 });
    const m = fit(fp, [-80, -20, -55, -75, -60]);
    expect(m.get('A')).toBeCloseTo(0, 9);
  });
});

describe('radioMapProblem', () => {
  it('names an unknown scanner, an unknown zone, a short row and a zone without points', () => {
    expect(radioMapProblem(MAP, SCANNERS, ['A', 'B'])).toBeNull();
    expect(radioMapProblem(MAP, ['a1', 'a2', 'b1'], ['A', 'B'])).toMatch(/scanner b2 is not configured/);
    expect(radioMapProblem(MAP, SCANNERS, ['A'])).toMatch(/point 2 is in unknown zone B/);
    expect(radioMapProblem({ scanners: SCANNERS, points: [{ zone: 'A', levels: [-50] }] }, SCANNERS, ['A'])).toMatch(/point 0 has 1 levels for 4 scanners/);
    expect(radioMapProblem(MAP, SCANNERS, ['A', 'B', 'C'])).toMatch(/no points for zone\(s\) C/);
  });
});

describe('radioMapFromSurvey', () => {
  const rows: SurveyRow[] = [];
  // 4 s in A (10 adverts/s, both scanners), 3 s between zones, 2 s in B; s2 hears B only once per bin.
  for (let t = 0; t < 4000; t += 100)
    rows.push({ t, scanner: 's1', rssi: -50 - (t % 300 === 0 ? 2 : 0), zone: 'A' }, { t, scanner: 's2', rssi: -70, zone: 'A' });
  for (let t = 4000; t < 7000; t += 100) rows.push({ t, scanner: 's1', rssi: -60, zone: null });
  for (let t = 7000; t < 9000; t += 100) rows.push({ t, scanner: 's1', rssi: -80, zone: 'B' });
  rows.push({ t: 7050, scanner: 's2', rssi: -50, zone: 'B' });

  it('one point per bin of walking inside one zone; nothing from between zones', () => {
    const map = radioMapFromSurvey(rows, { binMs: 2000, minSamples: 2, fenceK: 1.5 });
    expect(map.scanners).toEqual(['s1', 's2']);
    expect(map.points.map((p) => p.zone)).toEqual(['A', 'A', 'B']);
    expect(map.points[0]!.levels[1]).toBe(-70);
    expect(map.points[0]!.levels[0]!).toBeGreaterThanOrEqual(-51);
    expect(map.points[0]!.levels[0]!).toBeLessThanOrEqual(-50);
  });

  it('a scanner heard fewer than minSamples times in a bin counts as not heard there', () => {
    const map = radioMapFromSurvey(rows, { binMs: 2000, minSamples: 2, fenceK: 1.5 });
    expect(map.points[2]!.levels).toEqual([-80, null]);
  });

  it('bins each device on its own: two tags walked at the same time in different zones', () => {
    const two: SurveyRow[] = [];
    for (let t = 0; t < 4000; t += 100) {
      two.push({ t, scanner: 's1', rssi: -50, zone: 'A', device: 'tag-1' }, { t, scanner: 's2', rssi: -80, zone: 'A', device: 'tag-1' });
      two.push({ t: t + 3, scanner: 's1', rssi: -85, zone: 'B', device: 'tag-2' }, { t: t + 3, scanner: 's2', rssi: -55, zone: 'B', device: 'tag-2' });
    }
    const map = radioMapFromSurvey(two);
    expect(map.points).toEqual([
      { zone: 'A', levels: [-50, -80] },
      { zone: 'A', levels: [-50, -80] },
      { zone: 'B', levels: [-85, -55] },
      { zone: 'B', levels: [-85, -55] },
    ]);
  });

  it('a slow advertiser (0.6 adverts/s per scanner) leaves no scanner unheard: thin bins borrow from their neighbours', () => {
    const slow: SurveyRow[] = [];
    // An advert every 455 ms, each scanner hearing 30 % of them (a fixed pseudo-random draw).
    let x = 12345;
    const heard = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 100 < 30;
    for (let t = 0; t < 120_000; t += 455) {
      if (heard()) slow.push({ t, scanner: 's1', rssi: -70, zone: 'A' });
      if (heard()) slow.push({ t: t + 5, scanner: 's2', rssi: -75, zone: 'A' });
    }
    const map = radioMapFromSurvey(slow);
    expect(map.points.length).toBeGreaterThan(40);
    expect(map.points.filter((p) => p.levels.includes(null))).toEqual([]);
  });

  it('rows out of order are sorted first; a zone change starts a new point', () => {
    const shuffled = [...rows].reverse();
    expect(radioMapFromSurvey(shuffled)).toEqual(radioMapFromSurvey(rows));
  });
});

describe('engine with a radio map', () => {
  const uuid = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
  const md = iBeaconAdData(uuid, 0xfff0, 1, -59).subarray(5);
  const params = {
    programUuid: uuid,
    zones: [
      { id: 'A', params: DEFAULT_ZONE_PARAMS },
      { id: 'B', params: DEFAULT_ZONE_PARAMS },
    ],
    scanners: SCANNERS.map((name) => ({ name, zone: name.startsWith('a') ? 'A' : 'B', offsetDb: 0 })),
    tags: [{ id: 'tag', uuid, major: 0xfff0, minor: 1 }],
  };
  const standIn = (engine: PresenceEngine, levels: number[]) => {
    for (let t = 0; t <= 20_000; t += 250) {
      SCANNERS.forEach((scanner, i) => engine.ingest({ scanner, rssi: levels[i]!, manufacturerData: md, at: t }));
      if (t % 500 === 0) engine.evaluate(t);
    }
    return engine.zoneOf({ kind: 'tag', id: 'tag' });
  };
  const shadowedInB = [-61, -69, -66, -68];

  it("places by fit where the zones' own levels mislead, and by levels again without the map", () => {
    expect(standIn(new PresenceEngine(params), shadowedInB)).toBe('A');
    const fingerprint = fingerprintParams(MAP, { k: 1 });
    expect(standIn(new PresenceEngine({ ...params, fingerprint }), shadowedInB)).toBe('B');
    const swapped = new PresenceEngine(params);
    swapped.setFingerprint(fingerprint);
    expect(standIn(swapped, shadowedInB)).toBe('B');
  });

  it('refuses a map with a zone it does not know, at construction and setFingerprint (the old map stays)', () => {
    const withC: RadioMap = { scanners: SCANNERS, points: [...MAP.points, { zone: 'C', levels: [-90, -90, -60, -60] }] };
    expect(() => new PresenceEngine({ ...params, fingerprint: fingerprintParams(withC) })).toThrow(/unknown zone C/);
    const engine = new PresenceEngine({ ...params, fingerprint: fingerprintParams(MAP, { k: 1 }) });
    expect(() => engine.setFingerprint(fingerprintParams(withC))).toThrow(/unknown zone C/);
    expect(standIn(engine, shadowedInB)).toBe('B');
  });

  it("fits raw levels: scanners' offsetDb (for level mode) do not reach the fit, the map is recorded raw", () => {
    // These offsets turn A's second point into B's second exactly: were they added before
    // the fit, a device standing at A's point would fit B.
    const offsets: Record<string, number> = { a1: -7, a2: -14, b1: 12, b2: 9 };
    const withOffsets = { ...params, scanners: params.scanners.map((sc) => ({ ...sc, offsetDb: offsets[sc.name]! })) };
    const atA = [-57, -58, -77, -78];
    expect(standIn(new PresenceEngine(withOffsets), atA)).toBe('B');
    expect(standIn(new PresenceEngine({ ...withOffsets, fingerprint: fingerprintParams(MAP, { k: 1 }) }), atA)).toBe('A');
  });
});

describe('FitQuality', () => {
  it('the median of recent best misfits, forgetting old ones with the half-life', () => {
    const q = new FitQuality(60_000);
    expect(q.median()).toBeNull();
    q.decay(0);
    for (let i = 0; i < 100; i++) q.add(1.1);
    expect(q.median()!.misfitDb).toBeCloseTo(1.125, 9);
    // An hour later (60 half-lives) the old fits weigh nothing next to new, worse ones.
    q.decay(3_600_000);
    for (let i = 0; i < 10; i++) q.add(4.6);
    expect(q.median()!.misfitDb).toBeCloseTo(4.625, 9);
    q.add(1e9);
    expect(q.median()!.misfitDb).toBeLessThan(30);
  });

  it('the engine reports it with a map, null without one', () => {
    const uuid = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
    const md = iBeaconAdData(uuid, 0xfff0, 1, -59).subarray(5);
    const base = {
      programUuid: uuid,
      zones: [
        { id: 'A', params: DEFAULT_ZONE_PARAMS },
        { id: 'B', params: DEFAULT_ZONE_PARAMS },
      ],
      scanners: SCANNERS.map((name) => ({ name, zone: name.startsWith('a') ? 'A' : 'B', offsetDb: 0 })),
      tags: [{ id: 'tag', uuid, major: 0xfff0, minor: 1 }],
    };
    expect(new PresenceEngine(base).radioMapFit()).toBeNull();
    const e = new PresenceEngine({ ...base, fingerprint: fingerprintParams(MAP, { k: 1 }) });
    expect(e.radioMapFit()).toEqual({ points: 4, medianMisfitDb: null });
    for (let t = 0; t <= 10_000; t += 250) {
      SCANNERS.forEach((scanner, i) => e.ingest({ scanner, rssi: [-55, -60, -75, -80][i]! + 3, manufacturerData: md, at: t }));
      if (t % 500 === 0) e.evaluate(t);
    }
    expect(e.radioMapFit()!.medianMisfitDb).toBeLessThan(0.5);
  });
});
