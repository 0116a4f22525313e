/**
 * Presence for the zero-install demo: the simulated store's shoppers carry phones, and their
 * adverts go straight into the gateway's in-process scanners (`presence.driver: simulated`:
 * no serial line, no socat, no native module). The store plays HQ too: it pushes the token
 * table of its consenting members at start and at every epoch.
 *
 * With `radioMapDir`, the store is walked first (calibration.ts): zones by radio map, the
 * way a calibrated store runs (`presence.radioMap`).
 *
 *   const demo = demoPresence({ memberNumbers: demoMembers.map((m) => m.number) }, { radioMapDir: dataDir });
 *   base.presence = demo.config;                       // before loadConfig
 *   ...gateway started...
 *   const live = demo.start(gateway.presence);         // after start; live.stop() on exit
 */
import { resolve } from 'node:path';
import { gridPlan, type FloorPlan } from './floor-plan';
import { inProcessSink, startLiveStore, type LiveStore } from './live';
import { StoreSim, type StoreSimOptions } from './store-sim';
import { writeCalibrationWalk } from './calibration';

export const DEMO_ZONE_LABELS = ['Entrance & bakery', 'Fruit & veg', 'Dairy', 'Drinks', 'Household', 'Tills'];

/** What the demo needs of the gateway's presence service. */
export interface DemoPresenceTarget {
  readonly simulated: { push(...a: Array<{ scanner: string; rssi: number; manufacturerData: Uint8Array; at?: number }>): void } | null;
  setTokens(entries: ReadonlyArray<{ member: string; epoch: number; token: number }>): void;
}

export interface DemoPresence {
  /** The `presence:` config section. */
  readonly config: Record<string, unknown>;
  readonly plan: FloorPlan;
  start(target: DemoPresenceTarget): LiveStore;
}

export interface DemoPresenceOptions {
  /** Walk the store and write survey.csv and radio-map.json here; the config names the map. */
  radioMapDir?: string;
}

export function demoPresence(o: Omit<StoreSimOptions, 'plan' | 'startMs'> = {}, d: DemoPresenceOptions = {}): DemoPresence {
  const plan = gridPlan();
  const options: StoreSimOptions = { shoppers: 120, durationMs: 3_600_000, seed: 7, ...o, plan };
  const sim = new StoreSim(options);
  const tags = sim.tags();
  // Same plan and seed as the live store below, so the same radio: the walk measures that store.
  const radioMap = d.radioMapDir !== undefined ? { file: resolve(writeCalibrationWalk(sim, d.radioMapDir).mapPath) } : undefined;
  return {
    plan,
    config: {
      driver: 'simulated',
      scanners: plan.scanners.map((s) => ({ name: s.name, zone: s.zone, port: `/sim/${s.name}` })),
      zones: plan.zones.map((z, i) => ({ id: z.id, label: DEMO_ZONE_LABELS[i] ?? z.id })),
      tags,
      ...(radioMap && { radioMap }),
    },
    start(target) {
      if (!target.simulated) throw new Error('presence is not running with simulated scanners (presence.driver: simulated)');
      const sim = target.simulated;
      // Real time: the adverts carry wall-clock times, which the gateway's clock evaluates.
      return startLiveStore({ ...options, sink: inProcessSink((...a) => sim.push(...a)), hq: (entries) => target.setTokens(entries) });
    },
  };
}
