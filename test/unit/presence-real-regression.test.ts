/**
 * The engine on real radio (issue 15): an excerpt of a public recording (CC0,
 * test/fixtures/ble-philo-excerpt/README.md) replayed through the engine with the product's
 * defaults, scanner zones from the room's layout, scored as the data README says. Guards
 * what the engine does on recorded rooms, not only on its own simulator.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { emptyTotals, summary } from '../../firmware-sim/store/score-track';
import { enginePlacer, readSet, replayTrack } from '../bench/presence-real';
import { FIXED_MOTION } from '../../gateway/core/presence/params';

const set = readSet(join(__dirname, '../fixtures/ble-philo-excerpt'));
const track = (name: string) => set.tracks.find((t) => t.name === name)!;

/** presence.motion off: a fixed window and margin (params.ts FIXED_MOTION, the default before issue 15). */
const fixed = { motion: { ...FIXED_MOTION } };

function run(name: string, overrides: Record<string, unknown> = {}) {
  const totals = emptyTotals();
  const placer = enginePlacer(set, track(name), { overrides });
  const zones: Array<string | null> = [];
  const spy = {
    ...placer,
    zone: () => placer.zone(),
    evaluate: (now: number) => {
      placer.evaluate(now);
      zones.push(placer.zone());
    },
  };
  replayTrack(track(name), spy, totals);
  return { s: summary(totals), zones };
}

describe('engine on a recorded office (4 zones × 3 scanners)', () => {
  it('walking g4 → g1 (straight_04), fixed window and margin: reaches g1 without a detour, but late (10.3 s)', () => {
    const { s, zones } = run('straight_04', fixed);
    expect(s.entries).toBe(1);
    expect(s.missed).toBe(0);
    expect(zones.at(-1)).toBe('g1');
    expect(s.falseChanges).toBe(0);
    expect(s.enterDelayP90S).toBeLessThanOrEqual(11);
  });

  it('walking g4 → g1 with the defaults (window and margin by motion): in g1 within 6 s (3.8 s), no detour', () => {
    const { s, zones } = run('straight_04');
    expect(s.missed).toBe(0);
    expect(s.enterDelayP90S).toBeLessThanOrEqual(6);
    expect(zones.at(-1)).toBe('g1');
    expect(s.falseChanges).toBe(0);
  });

  it.each([
    ['defaults', {}],
    ['fixed window and margin', fixed],
  ] as const)('standing still in g1 for 2 minutes (%s): placed in g1 and never moved', (_, ov) => {
    const { s, zones } = run('static_s1_2.59_6.46', ov);
    expect(new Set(zones.filter((z) => z !== null))).toEqual(new Set(['g1']));
    expect(s.accuracy).toBe(1);
    expect(s.falseChanges).toBe(0);
  });
});
