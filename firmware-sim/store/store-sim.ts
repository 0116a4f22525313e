/**
 * The simulated store: a floor plan, a radio, shoppers and staff with their devices, and a
 * time-ordered stream of adverts as each scanner hears them, with the ground truth beside
 * it. It runs as fast as the caller consumes (`air()` is a generator over simulated time);
 * `realtime.ts` paces it to the wall clock and feeds the HCI emulators instead.
 */
import { DEFAULT_RADIO, Radio, type RadioParams, type Reading } from './radio';
import { gridPlan, type FloorPlan } from './floor-plan';
import type { Person } from './people';
import { DEFAULT_SHOPPER, shopper, staff, type ShopperOptions } from './people';
import { fixedTag, memberPhone, strangerDevice, type AirAdvert, type Device, type StrangerKind } from './devices';
import { Rng } from './prng';

export const PROGRAM_UUID = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';

export interface PopulationMix {
  /** Shoppers with the app who consented: their tokens are in HQ's table. */
  consenting: number;
  /** The app without consent: program UUID, tokens nobody resolves. */
  nonConsenting: number;
  /** Share of shoppers who also carry another device (watch, earbuds: other vendors' adverts). */
  secondDevice: number;
  /** Share of shoppers pushing a trolley with a tag. */
  trolley: number;
}

export const DEFAULT_MIX: PopulationMix = { consenting: 0.6, nonConsenting: 0.15, secondDevice: 0.3, trolley: 0.15 };

export interface StoreSimOptions {
  plan?: FloorPlan;
  radio?: Partial<RadioParams>;
  seed?: number;
  shoppers?: number;
  staff?: number;
  /** Simulated span (ms); shoppers arrive so that they have left by its end. */
  durationMs?: number;
  /** Epoch ms of the simulation's start (tokens depend on it). */
  startMs?: number;
  mix?: Partial<PopulationMix>;
  shopper?: Partial<ShopperOptions>;
  /** Phones advertise every 100 ms–1 s (a fixed interval per phone). */
  phoneIntervalMs?: [number, number];
  programUuid?: string;
  /** Member numbers for consenting shoppers, in order (the demo's members); then generated ones. */
  memberNumbers?: readonly string[];
}

export type DeviceRole = 'member' | 'non-consenting' | 'stranger' | 'trolley' | 'staff-badge';

export interface SimDevice {
  readonly device: Device;
  readonly person: Person;
  readonly role: DeviceRole;
  /** Member number (consenting members) or tag id. */
  readonly subject?: string;
}

export interface AirEvent {
  readonly at: number;
  readonly device: SimDevice;
  readonly advert: AirAdvert;
  /** Each scanner's report of this advert (index into plan.scanners); lost ones absent. */
  readonly readings: readonly Reading[];
}

/** A binary min-heap of (time, index). */
class Heap {
  private t: number[] = [];
  private i: number[] = [];
  get size() {
    return this.t.length;
  }
  peek() {
    return this.t[0]!;
  }
  push(time: number, idx: number) {
    const t = this.t;
    const ix = this.i;
    let k = t.length;
    t.push(time);
    ix.push(idx);
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (t[p]! <= time) break;
      t[k] = t[p]!;
      ix[k] = ix[p]!;
      k = p;
    }
    t[k] = time;
    ix[k] = idx;
  }
  pop(): [number, number] {
    const t = this.t;
    const ix = this.i;
    const top: [number, number] = [t[0]!, ix[0]!];
    const lt = t.pop()!;
    const li = ix.pop()!;
    if (t.length > 0) {
      let k = 0;
      const n = t.length;
      for (;;) {
        let c = 2 * k + 1;
        if (c >= n) break;
        if (c + 1 < n && t[c + 1]! < t[c]!) c++;
        if (t[c]! >= lt) break;
        t[k] = t[c]!;
        ix[k] = ix[c]!;
        k = c;
      }
      t[k] = lt;
      ix[k] = li;
    }
    return top;
  }
}

export class StoreSim {
  readonly plan: FloorPlan;
  readonly radio: Radio;
  readonly startMs: number;
  readonly endMs: number;
  readonly people: Person[] = [];
  readonly devices: SimDevice[] = [];
  /** Consenting members and their keys (HQ's knowledge: builds the token table). */
  readonly members: Array<{ member: string; key: Uint8Array; person: Person }> = [];
  readonly programUuid: string;
  private readonly rng: Rng;

  constructor(o: StoreSimOptions = {}) {
    const seed = o.seed ?? 1;
    const root = Rng.seeded(seed);
    this.plan = o.plan ?? gridPlan();
    this.radio = new Radio(this.plan, { ...DEFAULT_RADIO, ...o.radio }, root.fork(1));
    this.startMs = o.startMs ?? Date.UTC(2026, 0, 5, 9, 0, 0);
    const duration = o.durationMs ?? 3_600_000;
    this.endMs = this.startMs + duration;
    this.programUuid = o.programUuid ?? PROGRAM_UUID;
    this.rng = root.fork(2);
    const mix = { ...DEFAULT_MIX, ...o.mix };
    const shopperOpts = { ...DEFAULT_SHOPPER, ...o.shopper };
    const [iMin, iMax] = o.phoneIntervalMs ?? [100, 1000];
    const pop = root.fork(3);
    const interval = () => Math.round(pop.uniform(iMin, iMax));
    const strangers: StrangerKind[] = ['apple-continuity', 'other-vendor', 'other-beacon'];

    const n = o.shoppers ?? 200;
    for (let k = 0; k < n; k++) {
      // Arrive early enough to finish; retry a few times for the rare very long visit.
      let person: Person;
      let tries = 0;
      do {
        const arrival = this.startMs + pop.uniform(0, duration * 0.8);
        person = shopper(`shopper-${k + 1}`, this.plan, arrival, shopperOpts, pop.fork(k));
      } while (person.departure > this.endMs && ++tries < 20);
      this.people.push(person);
      const r = pop.next();
      if (r < mix.consenting) {
        const member = o.memberNumbers?.[this.members.length] ?? `M-${String(100_000 + k + 1)}`;
        const key = pop.bytes(32);
        this.members.push({ member, key, person });
        this.devices.push({
          device: memberPhone({ member, key, programUuid: this.programUuid, intervalMs: interval() }, pop),
          person,
          role: 'member',
          subject: member,
        });
      } else if (r < mix.consenting + mix.nonConsenting) {
        this.devices.push({ device: strangerDevice('non-consenting-app', this.programUuid, interval(), pop), person, role: 'non-consenting' });
      } else {
        this.devices.push({ device: strangerDevice(pop.pick(strangers), this.programUuid, interval(), pop), person, role: 'stranger' });
      }
      if (pop.chance(mix.secondDevice)) {
        this.devices.push({ device: strangerDevice(pop.pick(strangers), this.programUuid, interval(), pop), person, role: 'stranger' });
      }
      if (pop.chance(mix.trolley)) {
        const id = `trolley-${k + 1}`;
        this.devices.push({
          device: fixedTag({ id, uuid: this.programUuid, major: 0xfff0, minor: k + 1, intervalMs: 1000 }, pop),
          person,
          role: 'trolley',
          subject: id,
        });
      }
    }
    for (let s = 0; s < (o.staff ?? 3); s++) {
      const person = staff(`staff-${s + 1}`, this.plan, this.startMs, this.endMs, pop.fork(10_000 + s));
      this.people.push(person);
      const id = `badge-${s + 1}`;
      this.devices.push({
        device: fixedTag({ id, uuid: this.programUuid, major: 0xfff1, minor: s + 1, intervalMs: 1000 }, pop),
        person,
        role: 'staff-badge',
        subject: id,
      });
    }
  }

  /** The tags the gateway should be configured with. */
  tags(): Array<{ id: string; major: number; minor: number }> {
    return this.devices
      .filter((d) => d.role === 'trolley' || d.role === 'staff-badge')
      .map((d) => {
        const ad = d.device.advert(this.startMs).data;
        return { id: d.subject!, major: (ad[25]! << 8) | ad[26]!, minor: (ad[27]! << 8) | ad[28]! };
      });
  }

  /** Adverts in time order from `from` to `until` (ms), with each scanner's reading. */
  *air(from = this.startMs, until = this.endMs): Generator<AirEvent> {
    const heap = new Heap();
    const order = this.devices.map((d, i) => ({ i, at: d.person.arrival })).sort((a, b) => a.at - b.at);
    let next = 0;
    const readings: Reading[] = [];
    const rng = this.rng;
    for (;;) {
      const arrival = next < order.length ? Math.max(order[next]!.at, from) : Infinity;
      if (heap.size === 0 && arrival === Infinity) return;
      if (heap.size === 0 || arrival <= heap.peek()) {
        const { i } = order[next++]!;
        if (this.devices[i]!.person.departure > from) heap.push(arrival + rng.uniform(0, this.devices[i]!.device.intervalMs), i);
        continue;
      }
      const [at, i] = heap.pop();
      if (at > until) return;
      const d = this.devices[i]!;
      const pose = d.person.position(at);
      if (!pose) continue; // left the store: no more adverts
      const advert = d.device.advert(at);
      this.radio.hear(pose.x, pose.y, pose.facing, advert.txPowerAt1m, rng, readings);
      yield { at, device: d, advert, readings };
      // BLE adds 0–10 ms of random delay to every advertising event.
      heap.push(at + d.device.intervalMs + rng.uniform(0, 10), i);
    }
  }
}

const mdCache = new WeakMap<Uint8Array, Uint8Array | null>();

/** The manufacturer-specific AD structure (0xFF) of advertising data, as noble reports it. */
export function manufacturerDataOf(adData: Uint8Array): Uint8Array | null {
  const hit = mdCache.get(adData);
  if (hit !== undefined) return hit;
  let out: Uint8Array | null = null;
  for (let i = 0; i + 1 < adData.length;) {
    const len = adData[i]!;
    if (len === 0 || i + 1 + len > adData.length) break;
    if (adData[i + 1] === 0xff) {
      out = adData.subarray(i + 2, i + 1 + len);
      break;
    }
    i += 1 + len;
  }
  mdCache.set(adData, out);
  return out;
}
