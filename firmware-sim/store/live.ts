/**
 * Runs a simulated store against the wall clock (or `speed` times faster), for the demo and
 * for driving real HCI emulators: each advert is handed to a sink per scanner when its time
 * comes. `hq` is called at start and at every token epoch with the token table HQ would
 * push (consenting members, epochs e−1…e+1).
 *
 * Two sinks: `inProcessSink` (the gateway's simulated scanners: no serial line, no native
 * module, the zero-install demo) and `emulatorSink` (one HCI controller emulator per scanner
 * on a pty: the real noble path).
 */
import type { AdvertisingReport } from '../hci/h4';
import type { HciControllerEmulator } from '../hci/controller';
import { tokenTableFor } from './devices';
import { manufacturerDataOf, StoreSim, type AirEvent, type StoreSimOptions } from './store-sim';
import { epochOf } from '../../gateway/core/presence/token';

export type LiveSink = (ev: AirEvent, sim: StoreSim) => void;

export interface LiveStore {
  readonly sim: StoreSim;
  /** Where each person truly is now (for a live view beside the gateway's occupancy). */
  truth(): Array<{ person: string; zone: string | null; member?: string }>;
  stop(): void;
}

export interface LiveOptions extends Omit<StoreSimOptions, 'startMs'> {
  sink: LiveSink;
  /** HQ's token push. */
  hq?: (entries: Array<{ member: string; epoch: number; token: number }>) => void;
  /** Simulated seconds per real second (default 1: real time; emulators want 1). */
  speed?: number;
  now?: () => number;
}

export function startLiveStore(o: LiveOptions): LiveStore {
  const now = o.now ?? Date.now;
  const speed = o.speed ?? 1;
  const wall0 = now();
  const sim = new StoreSim({ ...o, startMs: wall0 });
  const air = sim.air();
  let pending = air.next();
  let epoch = -1;
  const simNow = () => wall0 + (now() - wall0) * speed;
  const push = () => {
    const t = simNow();
    const e = epochOf(t);
    if (e !== epoch && o.hq) {
      epoch = e;
      o.hq(tokenTableFor(sim.members, t));
    }
    while (!pending.done && pending.value.at <= t) {
      o.sink(pending.value, sim);
      pending = air.next();
    }
  };
  push();
  const timer = setInterval(push, 20);
  return {
    sim,
    truth: () => {
      const t = simNow();
      const memberOf = new Map(sim.members.map((m) => [m.person, m.member]));
      return sim.people
        .map((p) => ({ person: p.id, zone: p.truthZone(sim.plan, t), ...(memberOf.has(p) && { member: memberOf.get(p)! }) }))
        .filter((p) => p.zone !== null);
    },
    stop: () => clearInterval(timer),
  };
}

/** Feeds the gateway's in-process (simulated) scanners; adverts carry the simulated time. */
export function inProcessSink(push: (...a: Array<{ scanner: string; rssi: number; manufacturerData: Uint8Array; at?: number }>) => void): LiveSink {
  return (ev, sim) => {
    const md = manufacturerDataOf(ev.advert.data);
    if (!md) return;
    push(...ev.readings.map((r) => ({ scanner: sim.plan.scanners[r.scanner]!.name, rssi: r.rssi, manufacturerData: md, at: Math.round(ev.at) })));
  };
}

/** Feeds one HCI controller emulator per scanner (index as in plan.scanners). */
export function emulatorSink(controllers: readonly HciControllerEmulator[]): LiveSink {
  return (ev) => {
    for (const r of ev.readings) {
      const report: AdvertisingReport = {
        eventType: ev.advert.eventType,
        addressType: ev.advert.addressType,
        address: ev.advert.address,
        data: ev.advert.data,
        rssi: r.rssi,
      };
      controllers[r.scanner]?.report(report);
    }
  };
}
