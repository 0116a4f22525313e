/**
 * Runs a simulated store into a presence consumer as fast as the CPU allows: every advert
 * each scanner heard is ingested in time order, and the consumer evaluates every `stepMs`
 * of simulated time (the gateway's `evaluateIntervalMs`).
 */
import { manufacturerDataOf, type AirEvent, type StoreSim } from './store-sim';

export interface PresenceConsumer {
  ingest(a: { scanner: string; rssi: number; manufacturerData: Uint8Array; at: number }): unknown;
  evaluate(now: number): unknown;
}

export interface DriveOptions {
  stepMs?: number;
  from?: number;
  until?: number;
  /** Called after each evaluation, with the simulated time. */
  onStep?: (t: number) => void;
  /** Called for every advert (after it was ingested). */
  onAir?: (ev: AirEvent) => void;
}

export function driveFast(sim: StoreSim, consumer: PresenceConsumer, o: DriveOptions = {}): { adverts: number; readings: number } {
  const step = o.stepMs ?? 500;
  const from = o.from ?? sim.startMs;
  const until = o.until ?? sim.endMs;
  const names = sim.plan.scanners.map((s) => s.name);
  let next = from + step;
  let adverts = 0;
  let readings = 0;
  const tick = (upTo: number) => {
    while (next <= upTo) {
      consumer.evaluate(next);
      o.onStep?.(next);
      next += step;
    }
  };
  for (const ev of sim.air(from, until)) {
    tick(ev.at);
    adverts++;
    const md = manufacturerDataOf(ev.advert.data);
    if (md) {
      for (const r of ev.readings) {
        consumer.ingest({ scanner: names[r.scanner]!, rssi: r.rssi, manufacturerData: md, at: ev.at });
        readings++;
      }
    }
    o.onAir?.(ev);
  }
  tick(until);
  return { adverts, readings };
}
