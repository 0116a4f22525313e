/**
 * bench:presence-accuracy (issue 4). Runs a simulated store (default: 6 zones, 200 shoppers,
 * one simulated hour, realistic radio) through the presence engine and scores its zone
 * timeline against the ground truth, side by side with a naive baseline (strongest raw RSSI
 * per advert, no filter, no hysteresis). Or scores a recorded CSV (--replay).
 *
 *   npm run bench:presence-accuracy -- [--seed 2] [--scenario file.json] [--replay rec.csv]
 *     [--scanners scanners.csv | --scanner-zones s1=A,s2=B] [--real auto|none] [--radio exponent=1.5,bodyLossDb=6] [--shoppers 200]
 *     [--minutes 60] [--scanners-per-zone 2] [--layout default|tuning] [--config presence.json]
 *     [--calibration walk|none] [--radio-map map.json]
 *     [--fingerprint k=3,levelPerMisfitDb=6,windowMs=3000,laneM=1,crossLanes=1,binMs=2000,staleDb=0]
 *
 * Calibration (docs/presence.md, "Radio map"): by default the simulated store is first walked
 * with a reference beacon, as an installer would, and the engine places by that radio map;
 * the same run also scores the engine without it ("uncalibrated"). `--radio-map` gives a
 * map instead (a real walk's, with `--replay` of the same store); `--calibration none` only
 * runs the engine without one.
 * The engine's defaults were tuned on `--layout tuning --seed 1`; the default run reports
 * a different layout and seed (`--layout default --seed 2`), so the figures are out of sample.
 * Real recordings (issue 15): when ../shared/data/ble (or TROUW_BLE_DATA) is there, its
 * archives are unpacked into a cache and scored as their README says, beside the simulated
 * store (presence-real-figures.ts): `real_<archive>_*` fields. A `--replay` takes its scanner
 * zones from the layout (`--scanners`, `--scanner-zones` or the config's scanners).
 * Last line: one JSON object.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { engineParams, presenceConfigFrom } from '../../gateway/app/presence/presence-config';
import { PresenceEngine } from '../../gateway/core/presence/engine';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { gridPlan, parsePlan, type FloorPlan, type GridPlanOptions } from '../../firmware-sim/store/floor-plan';
import type { RadioParams } from '../../firmware-sim/store/radio';
import { readReplayCsv } from '../../firmware-sim/store/replay';
import { findBleData, naivePlacer, readScanners } from './presence-real';
import { realFigures, realJson, realLines, type RealSetFigures } from './presence-real-figures';
import { TokenTable, epochOf } from '../../gateway/core/presence/token';
import { Scorer, type Score } from '../../firmware-sim/store/score';
import { PROGRAM_UUID, type StoreSimOptions } from '../../firmware-sim/store/store-sim';
import { runAccuracy, type CalibrationWalk } from './presence-run';
import { readRadioMapFile } from '../../gateway/config/radio-map-file';
import type { FingerprintParams } from '../../gateway/core/presence/params';
import { fingerprintParams } from '../../gateway/core/presence/radio-map';

const { values: a } = parseArgs({
  options: {
    seed: { type: 'string', default: '2' },
    scenario: { type: 'string' },
    replay: { type: 'string' },
    'scanner-zones': { type: 'string' },
    scanners: { type: 'string' },
    real: { type: 'string', default: 'auto' },
    radio: { type: 'string' },
    shoppers: { type: 'string' },
    minutes: { type: 'string' },
    'scanners-per-zone': { type: 'string' },
    layout: { type: 'string', default: 'default' },
    config: { type: 'string' },
    step: { type: 'string', default: '500' },
    calibration: { type: 'string', default: 'walk' },
    fingerprint: { type: 'string' },
    'radio-map': { type: 'string' },
  },
});

const kv = (s: string | undefined): Record<string, number> =>
  Object.fromEntries(
    (s ?? '')
      .split(',')
      .filter(Boolean)
      .map((p) => {
        const [k, v] = p.split('=');
        if (!k || v === undefined || !Number.isFinite(Number(v))) throw new Error(`bad key=value: ${p}`);
        return [k.trim(), Number(v)];
      }),
  );

interface Scenario {
  plan?: unknown;
  grid?: GridPlanOptions;
  sim?: Omit<StoreSimOptions, 'plan' | 'radio' | 'seed'>;
  radio?: Partial<RadioParams>;
  presence?: Record<string, unknown>;
}

const scenario: Scenario = a.scenario ? JSON.parse(readFileSync(a.scenario, 'utf8')) : {};
const overrides: Record<string, unknown> = { ...scenario.presence, ...(a.config ? JSON.parse(readFileSync(a.config, 'utf8')) : {}) };
const step = Number(a.step);

/** The layouts: `tuning` (2 × 3 zones of 12 × 9 m) is where the defaults were tuned. */
const LAYOUTS: Record<string, GridPlanOptions> = {
  default: { cols: 3, rows: 2, zoneWidth: 10, zoneDepth: 10, scannersPerZone: 2 },
  tuning: { cols: 2, rows: 3, zoneWidth: 12, zoneDepth: 9, scannersPerZone: 2 },
};

function planOf(): FloorPlan {
  if (scenario.plan) return parsePlan(scenario.plan);
  const base = { ...(LAYOUTS[a.layout!] ?? LAYOUTS.default), ...scenario.grid };
  if (a['scanners-per-zone']) base.scannersPerZone = Number(a['scanners-per-zone']) as 1 | 2 | 4;
  return gridPlan(base);
}

function line(name: string, s: Score): string {
  return (
    `${name.padEnd(9)} accuracy ${s.zoneAccuracy.toFixed(3)}  entry delay p50 ${s.enterDelayP50S.toFixed(1)} s p90 ${s.enterDelayP90S.toFixed(1)} s` +
    ` (${s.stays} stays ≥ 30 s, ${s.missedStays} never shown)  false changes ${s.falseChangesPerHour.toFixed(2)}/h (${s.falseChanges} of ${s.predictedEntries} entries)`
  );
}

/**
 * Scanner → zone for a replay: from the layout (`--scanners scanners.csv`, `--scanner-zones`,
 * or the scanners of `--config`), never from the recording's truth (issue 15: inferring it
 * scored 4 × 1 0.740 instead of 0.589).
 */
function replayLayout(): Map<string, string> {
  if (a['scanner-zones']) return new Map(a['scanner-zones'].split(',').map((p) => p.split('=') as [string, string]));
  if (a.scanners) return new Map(readScanners(a.scanners).map((s) => [s.id, s.zone]));
  const configured = overrides.scanners as Array<{ name: string; zone: string }> | undefined;
  if (configured?.length) return new Map(configured.map((s) => [s.name, s.zone]));
  throw new Error('--replay needs the layout: --scanners scanners.csv, --scanner-zones s1=A,… or scanners in --config');
}

function replay(path: string): { engine: Score; baseline: Score; rows: number } {
  const rows = readReplayCsv(path);
  const zoneOf = replayLayout();
  const layout = { name: 'replay', scanners: [...zoneOf].map(([id, zone]) => ({ id, zone })), tracks: [], zones: [...new Set(zoneOf.values())] };
  const devices = [...new Set(rows.map((r) => r.device))];
  const { scanners: _s, ...rest } = overrides;
  const cfg = presenceConfigFrom({
    ...rest,
    scanners: [...zoneOf].map(([name, zone]) => ({ name, zone, port: `/replay/${name}` })),
    ...(givenMap && {
      zones: [
        ...((rest.zones as unknown[] | undefined) ?? []),
        ...[...new Set(givenMap.map.points.map((p) => p.zone))].filter((z) => ![...zoneOf.values()].includes(z)).map((id) => ({ id })),
      ],
    }),
    tokens: [],
  });
  // Each recorded device becomes a member whose token never changes: the table holds it for
  // every epoch the recording spans (absolute Unix times and recordings longer than 75 min
  // included; a table of epochs 0–3 scored those 0.000 without a word).
  const t0 = rows[0]?.t ?? 0;
  const t1 = rows[rows.length - 1]?.t ?? 0;
  const table: Array<{ member: string; epoch: number; token: number }> = [];
  const md = new Map<string, Uint8Array>();
  devices.forEach((d, i) => {
    const token = 0x7e000000 + i;
    md.set(d, iBeaconAdData(PROGRAM_UUID, token >>> 16, token & 0xffff, -59).subarray(5));
    for (let e = epochOf(t0) - 1; e <= epochOf(t1) + 1; e++) table.push({ member: `R-${i + 1}`, epoch: e, token });
  });
  const engine = new PresenceEngine({ ...engineParams(cfg), ...(givenMap && { fingerprint: givenMap }) }, { tokens: new TokenTable(table) });
  // The naive baseline per device, one advert's receptions grouped within a tolerance.
  const naive = new Map(devices.map((d) => [d, naivePlacer(layout)]));
  const es = new Scorer();
  const bs = new Scorer();
  const truth = new Map<string, { zone: string | null; at: number }>();
  let next = t0 + step;
  const observe = (t: number) => {
    devices.forEach((d, i) => {
      const tr = truth.get(d);
      if (!tr || t - tr.at > 5000) return;
      naive.get(d)!.evaluate(t);
      es.observe(d, t, tr.zone, engine.zoneOf({ kind: 'member', id: `R-${i + 1}` }));
      bs.observe(d, t, tr.zone, naive.get(d)!.zone());
    });
  };
  for (const r of rows) {
    while (next <= r.t) {
      engine.evaluate(next);
      observe(next);
      next += step;
    }
    truth.set(r.device, { zone: r.trueZone, at: r.t });
    if (zoneOf.has(r.scanner)) {
      naive.get(r.device)!.ingest(r.scanner, r.rssi, r.t);
      engine.ingest({ scanner: r.scanner, rssi: r.rssi, manufacturerData: md.get(r.device)!, at: r.t });
    }
  }
  return { engine: es.result(), baseline: bs.result(), rows: rows.length };
}

/** A given radio map (`--radio-map`), read and checked as the gateway does. */
const givenMap: FingerprintParams | undefined = a['radio-map'] ? fingerprintParams(readRadioMapFile(a['radio-map']), kv(a.fingerprint)) : undefined;

/** The `real_<name>_*` fields: the engine with its defaults and no walk (level mode); `_map_` beside it. */
const REAL_PRIMARY = 'level' as const;

const t0 = performance.now();
let engineScore: Score;
let baselineScore: Score;
let uncalibrated: Score | null = null;
let evaluateUs: { calibrated?: number; uncalibrated?: number } = {};
let calibrationKind = givenMap ? 'radio-map file' : 'none';
let meta: Record<string, unknown>;
if (a.replay) {
  const r = replay(a.replay);
  engineScore = r.engine;
  baselineScore = r.baseline;
  meta = { replay: a.replay, rows: r.rows };
} else {
  const plan = planOf();
  const radio = { ...scenario.radio, ...kv(a.radio) } as Partial<RadioParams>;
  const simOptions: StoreSimOptions = {
    ...scenario.sim,
    plan,
    radio,
    seed: Number(a.seed),
    ...(a.shoppers && { shoppers: Number(a.shoppers) }),
    ...(a.minutes && { durationMs: Number(a.minutes) * 60_000 }),
  };
  const { laneM, binMs, crossLanes, staleDb, ...fit } = kv(a.fingerprint);
  const walk: CalibrationWalk = {
    ...fit,
    walk: { ...(laneM && { laneM }), ...(crossLanes !== undefined && { crossLanes: crossLanes > 0 }) },
    ...(binMs && { binMs }),
    ...(staleDb && { staleDb }),
  };
  const calibration = givenMap ?? (a.calibration === 'none' ? undefined : walk);
  if (calibration && !givenMap) calibrationKind = 'simulated walk';
  const r = runAccuracy(simOptions, overrides, step, calibration);
  engineScore = r.engine;
  baselineScore = r.baseline;
  // The same store without a radio map: what calibrating buys.
  evaluateUs = calibration ? { calibrated: r.evaluateUsPerDevice } : { uncalibrated: r.evaluateUsPerDevice };
  if (calibration) {
    const u = runAccuracy(simOptions, overrides, step);
    uncalibrated = u.engine;
    evaluateUs.uncalibrated = u.evaluateUsPerDevice;
  }
  meta = {
    layout: plan.name,
    zones: plan.zones.length,
    scanners: plan.scanners.length,
    seed: Number(a.seed),
    shoppers: simOptions.shoppers ?? 200,
    simulated_minutes: r.simMs / 60_000,
    adverts: r.adverts,
    readings: r.readings,
    scored_members: r.engine.subjects,
    shopper_hours: Number(r.engine.inStoreHours.toFixed(2)),
    radio,
    engine_defaults: presenceConfigFrom(overrides).defaults,
    calibration: calibrationKind,
    radio_map_points: r.radioMapPoints,
    radio_map_median_misfit_db: r.medianMisfitDb,
  };
}
// The public recordings (../shared/data/ble), when they are there (`--real none` skips them).
let real: RealSetFigures[] = [];
const dataDir = a.real === 'none' ? null : findBleData();
if (dataDir) {
  const tr = performance.now();
  const { k, levelPerMisfitDb, windowMs, absoluteWeight } = kv(a.fingerprint);
  real = realFigures(dataDir, {
    overrides,
    fit: {
      ...(k && { k }),
      ...(levelPerMisfitDb && { levelPerMisfitDb }),
      ...(windowMs && { windowMs }),
      ...(absoluteWeight !== undefined && { absoluteWeight }),
    },
  });
  meta.real_data = dataDir;
  meta.real_wall_s = Number(((performance.now() - tr) / 1000).toFixed(1));
} else if (a.real !== 'none') console.log('no public recordings found (../shared/data/ble or TROUW_BLE_DATA): real-recording figures skipped');
console.log(JSON.stringify(meta));
for (const f of real) for (const l of realLines(f)) console.log(l);
console.log(line('engine', engineScore));
if (uncalibrated) console.log(line('uncalib.', uncalibrated));
console.log(line('baseline', baselineScore));
console.log(
  `wall time ${((performance.now() - t0) / 1000).toFixed(1)} s; evaluating one tracked device once: ${Object.entries(evaluateUs)
    .map(([k, v]) => `${v.toFixed(1)} µs ${k}`)
    .join(', ')}`,
);
const round = (x: number, d = 3) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x === Infinity ? 'Infinity' : null);
console.log(
  JSON.stringify({
    zone_accuracy: round(engineScore.zoneAccuracy),
    enter_delay_p50_s: round(engineScore.enterDelayP50S, 1),
    enter_delay_p90_s: round(engineScore.enterDelayP90S, 1),
    false_changes_per_hour: round(engineScore.falseChangesPerHour, 2),
    missed_stays: engineScore.missedStays,
    stays: engineScore.stays,
    baseline_zone_accuracy: round(baselineScore.zoneAccuracy),
    baseline_enter_delay_p90_s: round(baselineScore.enterDelayP90S, 1),
    baseline_false_changes_per_hour: round(baselineScore.falseChangesPerHour, 2),
    calibration: calibrationKind,
    evaluate_us_per_device: evaluateUs.calibrated !== undefined ? round(evaluateUs.calibrated, 1) : round(evaluateUs.uncalibrated ?? NaN, 1),
    ...(uncalibrated && {
      uncalibrated_evaluate_us_per_device: round(evaluateUs.uncalibrated ?? NaN, 1),
      uncalibrated_zone_accuracy: round(uncalibrated.zoneAccuracy),
      uncalibrated_enter_delay_p90_s: round(uncalibrated.enterDelayP90S, 1),
      uncalibrated_false_changes_per_hour: round(uncalibrated.falseChangesPerHour, 2),
    }),
    ...Object.assign({}, ...real.map((f) => realJson(f, REAL_PRIMARY))),
  }),
);
