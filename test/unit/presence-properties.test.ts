/**
 * Properties of the presence engine under realistic radio (DESIGN.md §4: path loss with a
 * flat exponent, shadowing fixed to place and scanner, scanner offsets, per-advert noise,
 * loss, body blocking), with an injected clock: simulated time, no timers.
 * - A phone standing still produces no zone change once placed.
 * - A phone walking from a spot in zone A to a spot in zone B produces exactly one change.
 * Seeds are fixed so CI is deterministic; while the engine was built these ran unseeded,
 * several hundred cases per property.
 * - Calibrated (the engine places by a calibration walk's radio map): the same two
 *   properties with no precondition on the spots or the path, and the zone must be the
 *   true one. With other seeds, 100 walks: 98 made exactly one change and 2 flapped (three
 *   changes) with the default 3 s map window; 100 of 100 with 4 s, 99 with 5 s; 60 of 60
 *   standing still held. Flaps are what bench:presence-accuracy counts as false changes
 *   (0.28 per shopper-hour on the reported store).
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { engineParams, presenceConfigFrom } from '../../gateway/app/presence/presence-config';
import { PresenceEngine } from '../../gateway/core/presence/engine';
import { TokenTable, epochOf, memberToken } from '../../gateway/core/presence/token';
import { gridPlan, type FloorPlan } from '../../firmware-sim/store/floor-plan';
import { DEFAULT_RADIO, Radio } from '../../firmware-sim/store/radio';
import { memberPhone } from '../../firmware-sim/store/devices';
import { manufacturerDataOf, PROGRAM_UUID } from '../../firmware-sim/store/store-sim';
import { Rng } from '../../firmware-sim/store/prng';
import { surveyWalk } from '../../firmware-sim/store/survey';
import type { FingerprintParams } from '../../gateway/core/presence/params';
import { fingerprintParams } from '../../gateway/core/presence/radio-map';
import { radioMapFromSurvey } from '../../gateway/core/presence/radio-map-survey';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const STEP = 500;
const plan: FloorPlan = gridPlan({ scannersPerZone: 2 });
const cfg = presenceConfigFrom({ scanners: plan.scanners.map((s) => ({ name: s.name, zone: s.zone, port: `/sim/${s.name}` })) });

/** The radio map of a calibration walk through this store (its own noise, not the phone's). */
function fingerprintOf(radio: Radio): FingerprintParams {
  return fingerprintParams(radioMapFromSurvey(surveyWalk(plan, radio)));
}

/**
 * Runs one member's phone along `pose(t)` for `ms`; returns the engine's zone after each
 * step. `calibrated`: the engine places by the radio map of a calibration walk.
 */
function run(
  seed: number,
  intervalMs: number,
  ms: number,
  pose: (t: number) => { x: number; y: number; facing: number },
  calibrated = false,
): Array<string | null> {
  const rng = Rng.seeded(seed);
  const radio = new Radio(plan, DEFAULT_RADIO, rng.fork(1));
  const key = rng.bytes(32);
  const phone = memberPhone({ member: 'M-1', key, programUuid: PROGRAM_UUID, intervalMs }, rng.fork(2));
  const e = epochOf(T0);
  const params = { ...engineParams(cfg), ...(calibrated && { fingerprint: fingerprintOf(radio) }) };
  const engine = new PresenceEngine(params, {
    tokens: new TokenTable([e - 1, e, e + 1].map((epoch) => ({ member: 'M-1', epoch, token: memberToken(key, epoch) }))),
  });
  const noise = rng.fork(3);
  const zones: Array<string | null> = [];
  let nextAdvert = T0 + noise.uniform(0, intervalMs);
  for (let t = T0 + STEP; t <= T0 + ms; t += STEP) {
    while (nextAdvert <= t) {
      const p = pose(nextAdvert - T0);
      const ad = phone.advert(nextAdvert);
      const md = manufacturerDataOf(ad.data)!;
      for (const r of radio.hear(p.x, p.y, p.facing, ad.txPowerAt1m, noise))
        engine.ingest({ scanner: plan.scanners[r.scanner]!.name, rssi: r.rssi, manufacturerData: md, at: nextAdvert });
      nextAdvert += intervalMs + noise.uniform(0, 10);
    }
    engine.evaluate(t);
    zones.push(engine.zoneOf({ kind: 'member', id: 'M-1' }));
  }
  return zones;
}

/** By how much the best of `zones` leads every other zone at a pose, in mean levels (no noise, no loss). */
function staticLead(seed: number, zones: string[], p: { x: number; y: number; facing: number }): number {
  const radio = new Radio(plan, DEFAULT_RADIO, Rng.seeded(seed).fork(1));
  const sums = new Map<string, { s: number; n: number }>();
  plan.scanners.forEach((sc, i) => {
    const z = sums.get(sc.zone) ?? { s: 0, n: 0 };
    z.s += radio.meanLevel(i, p.x, p.y, p.facing, -59);
    z.n++;
    sums.set(sc.zone, z);
  });
  let own = -Infinity;
  let rival = -Infinity;
  for (const [z, v] of sums) {
    if (zones.includes(z)) own = Math.max(own, v.s / v.n);
    else rival = Math.max(rival, v.s / v.n);
  }
  return own - rival;
}

/** Zone changes after the first placement (entering from no zone is not a change). */
function changes(zones: Array<string | null>): number {
  let n = 0;
  let prev: string | null = null;
  for (const z of zones) {
    if (z !== null && prev !== null && z !== prev) n++;
    if (z !== null) prev = z;
  }
  return n;
}

const spotIn = (zone: number, fx: number, fy: number) => {
  const r = plan.zones[zone]!.rect;
  // Stay a metre and a half inside the zone: a spot on the boundary belongs to neither.
  return { x: r.x0 + 1.5 + fx * (r.x1 - r.x0 - 3), y: r.y0 + 1.5 + fy * (r.y1 - r.y0 - 3) };
};

/** 3 minutes standing at `from`, a walk at 1 m/s to `to`, 3 minutes standing there. */
function walk(from: { x: number; y: number }, to: { x: number; y: number }) {
  const walkMs = Math.hypot(to.x - from.x, to.y - from.y) * 1000;
  const heading = Math.atan2(to.y - from.y, to.x - from.x);
  const at = (f: number) => ({ x: from.x + (to.x - from.x) * f, y: from.y + (to.y - from.y) * f, facing: heading });
  return {
    ms: 180_000 + walkMs + 180_000,
    at,
    pose: (t: number) => at(t < 180_000 ? 0 : Math.min(1, (t - 180_000) / walkMs)),
  };
}

const seed = fc.integer({ min: 1, max: 2 ** 30 });
const interval = fc.integer({ min: 100, max: 1000 });
const frac = fc.double({ min: 0, max: 1, noNaN: true });

describe('presence engine under realistic radio', () => {
  test.prop([seed, interval, fc.integer({ min: 0, max: 5 }), frac, frac, fc.double({ min: -Math.PI, max: Math.PI, noNaN: true })], {
    numRuns: 40,
    seed: 20260105,
  })('a phone standing still: no zone change once placed (10 minutes)', (s, iv, zone, fx, fy, facing) => {
    const p = spotIn(zone, fx, fy);
    const zones = run(s, iv, 600_000, () => ({ ...p, facing }));
    expect(zones.some((z) => z !== null)).toBe(true);
    expect(changes(zones)).toBe(0);
  });

  // Adjacent zones of the 3 × 2 grid: left–right and top–bottom neighbours.
  const pairs: Array<[number, number]> = [
    [0, 1],
    [1, 2],
    [3, 4],
    [4, 5],
    [0, 3],
    [1, 4],
    [2, 5],
  ];
  test.prop([seed, interval, fc.constantFrom(...pairs), fc.boolean(), frac, frac, frac, frac], { numRuns: 40, seed: 20260105 })(
    'a phone walking from zone A to zone B: exactly one change',
    (s, iv, [a0, b0], reverse, fx1, fy1, fx2, fy2) => {
      const [a, b] = reverse ? [b0, a0] : [a0, b0];
      // Spots near the zones' middles (the middle half of each zone).
      const from = spotIn(a, 0.25 + fx1 / 2, 0.25 + fy1 / 2);
      const to = spotIn(b, 0.25 + fx2 / 2, 0.25 + fy2 / 2);
      const w = walk(from, to);
      const dist = Math.hypot(to.x - from.x, to.y - from.y);
      // Only where the radio tells the two spots apart and no third zone leads on the way:
      // shadowing and offsets fixed to the place make some spots and paths look like another
      // zone to any engine (DESIGN.md §4); bench:presence-accuracy measures how often.
      const margin = cfg.defaults.switchMarginDb;
      const [za, zb] = [plan.zones[a]!.id, plan.zones[b]!.id];
      fc.pre(staticLead(s, [za], w.at(0)) >= margin);
      fc.pre(staticLead(s, [zb], w.at(1)) >= margin);
      for (let f = 0; f <= 1; f += 0.5 / dist) fc.pre(staticLead(s, [za, zb], w.at(f)) > -margin / 2);
      const zones = run(s, iv, w.ms, w.pose);
      expect(changes(zones)).toBe(1);
    },
  );

  // With a radio map, shadowing and scanner offsets are part of the reference: no
  // precondition on how the spots or the path look in mean levels.
  test.prop([seed, interval, fc.integer({ min: 0, max: 5 }), frac, frac, fc.double({ min: -Math.PI, max: Math.PI, noNaN: true })], {
    numRuns: 30,
    seed: 20261123,
  })(
    "calibrated (radio map): a phone standing still anywhere in a zone's middle: the right zone, no change (10 minutes)",
    (s, iv, zone, fx, fy, facing) => {
      const p = spotIn(zone, 0.25 + fx / 2, 0.25 + fy / 2);
      const zones = run(s, iv, 600_000, () => ({ ...p, facing }), true);
      expect(zones.filter((z) => z !== null)).not.toHaveLength(0);
      expect(changes(zones)).toBe(0);
      expect(zones[zones.length - 1]).toBe(plan.zones[zone]!.id);
    },
    120_000,
  );

  test.prop([seed, interval, fc.constantFrom(...pairs), fc.boolean(), frac, frac, frac, frac], { numRuns: 30, seed: 20261123 })(
    'calibrated (radio map): a phone walking from zone A to zone B: exactly one change, into B',
    (s, iv, [a0, b0], reverse, fx1, fy1, fx2, fy2) => {
      const [a, b] = reverse ? [b0, a0] : [a0, b0];
      const from = spotIn(a, 0.25 + fx1 / 2, 0.25 + fy1 / 2);
      const to = spotIn(b, 0.25 + fx2 / 2, 0.25 + fy2 / 2);
      const w = walk(from, to);
      const zones = run(s, iv, w.ms, w.pose, true);
      expect(changes(zones)).toBe(1);
      expect(zones[zones.length - 1]).toBe(plan.zones[b]!.id);
    },
    120_000,
  );
});
