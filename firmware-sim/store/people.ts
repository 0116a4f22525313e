/**
 * People in the simulated store and the ground truth of where they are. A shopper comes in
 * at the entrance, walks (straight lines, 0.6–1.3 m/s) to a few stops in different zones,
 * browses at each (small moves, turning now and then), queues at the tills and leaves. Staff
 * wander all day. `position(t)` is exact; the truth zone is the zone containing it.
 */
import { zoneAt, type FloorPlan, type Point } from './floor-plan';
import type { Rng } from './prng';

interface Leg {
  readonly t0: number;
  readonly t1: number;
  readonly from: Point;
  readonly to: Point;
  readonly facing: number;
}

export interface Pose {
  readonly x: number;
  readonly y: number;
  /** Radians; the body is between the phone and what is behind. */
  readonly facing: number;
}

export class Person {
  private cursor = 0;
  constructor(
    readonly id: string,
    private readonly legs: readonly Leg[],
  ) {}

  get arrival(): number {
    return this.legs[0]!.t0;
  }

  get departure(): number {
    return this.legs[this.legs.length - 1]!.t1;
  }

  /** Where the person is at `t` (ms), or null outside the store. Fastest for increasing t. */
  position(t: number): Pose | null {
    if (t < this.arrival || t >= this.departure) return null;
    if (this.legs[this.cursor]!.t0 > t) this.cursor = 0;
    while (this.legs[this.cursor]!.t1 <= t) this.cursor++;
    const l = this.legs[this.cursor]!;
    const f = l.t1 > l.t0 ? (t - l.t0) / (l.t1 - l.t0) : 0;
    return { x: l.from.x + (l.to.x - l.from.x) * f, y: l.from.y + (l.to.y - l.from.y) * f, facing: l.facing };
  }

  truthZone(plan: FloorPlan, t: number): string | null {
    const p = this.position(t);
    return p ? zoneAt(plan, p) : null;
  }
}

export interface ShopperOptions {
  /** Stops per visit (before the tills). */
  stops: [number, number];
  /** Browsing time per stop: at least `dwellMinS`, plus an exponential with this mean (s). */
  dwellMinS: number;
  dwellMeanS: number;
  speed: [number, number];
  checkoutS: [number, number];
  /** Stops are kept this far (m) from a zone's edge: people stand at shelves, not on the line. */
  edgeMarginM: number;
}

export const DEFAULT_SHOPPER: ShopperOptions = {
  stops: [3, 7],
  dwellMinS: 20,
  dwellMeanS: 80,
  speed: [0.6, 1.3],
  checkoutS: [40, 150],
  edgeMarginM: 1,
};

class LegBuilder {
  readonly legs: Leg[] = [];
  constructor(
    public t: number,
    public at: Point,
    private readonly rng: Rng,
  ) {}

  walk(to: Point, speed: number): void {
    const d = Math.hypot(to.x - this.at.x, to.y - this.at.y);
    const dt = (d / speed) * 1000;
    if (dt > 0) this.legs.push({ t0: this.t, t1: this.t + dt, from: this.at, to, facing: Math.atan2(to.y - this.at.y, to.x - this.at.x) });
    this.t += dt;
    this.at = to;
  }

  /** Browses around the spot for `ms`: a new facing every 10–40 s, shuffling ≤ 0.7 m. */
  browse(ms: number, clamp: (p: Point) => Point): void {
    const end = this.t + ms;
    const home = this.at;
    while (this.t < end) {
      const dt = Math.min(end - this.t, this.rng.uniform(10_000, 40_000));
      const to = clamp({ x: home.x + this.rng.uniform(-0.7, 0.7), y: home.y + this.rng.uniform(-0.7, 0.7) });
      this.legs.push({ t0: this.t, t1: this.t + dt, from: this.at, to, facing: this.rng.uniform(-Math.PI, Math.PI) });
      this.t += dt;
      this.at = to;
    }
  }
}

function spotIn(plan: FloorPlan, zone: string, margin: number, rng: Rng): Point {
  const r = plan.zones.find((z) => z.id === zone)!.rect;
  return { x: rng.uniform(r.x0 + margin, r.x1 - margin), y: rng.uniform(r.y0 + margin, r.y1 - margin) };
}

export function shopper(id: string, plan: FloorPlan, arrival: number, o: ShopperOptions, rng: Rng): Person {
  const b = new LegBuilder(arrival, plan.entrance, rng);
  const speed = rng.uniform(o.speed[0], o.speed[1]);
  const zones = plan.zones.map((z) => z.id);
  const clampTo = (zone: string) => {
    const r = plan.zones.find((z) => z.id === zone)!.rect;
    const m = o.edgeMarginM * 0.5;
    return (p: Point) => ({ x: Math.min(r.x1 - m, Math.max(r.x0 + m, p.x)), y: Math.min(r.y1 - m, Math.max(r.y0 + m, p.y)) });
  };
  let last = zoneAt(plan, plan.entrance);
  const n = rng.int(o.stops[0], o.stops[1]);
  for (let i = 0; i < n; i++) {
    const zone = rng.pick(zones.filter((z) => z !== last));
    b.walk(spotIn(plan, zone, o.edgeMarginM, rng), speed);
    b.browse((o.dwellMinS + rng.exponential(o.dwellMeanS)) * 1000, clampTo(zone));
    last = zone;
  }
  b.walk(spotIn(plan, plan.checkoutZone, o.edgeMarginM, rng), speed);
  b.browse(rng.uniform(o.checkoutS[0], o.checkoutS[1]) * 1000, clampTo(plan.checkoutZone));
  b.walk(plan.exit, speed);
  return new Person(id, b.legs);
}

/** Staff walk between random spots all day, lingering 30–300 s. */
export function staff(id: string, plan: FloorPlan, from: number, until: number, rng: Rng): Person {
  const b = new LegBuilder(from, spotIn(plan, rng.pick(plan.zones).id, 1, rng), rng);
  while (b.t < until) {
    const zone = rng.pick(plan.zones).id;
    b.walk(spotIn(plan, zone, 1, rng), 1.1);
    const r = plan.zones.find((z) => z.id === zone)!.rect;
    b.browse(rng.uniform(30_000, 300_000), (p) => ({ x: Math.min(r.x1 - 0.5, Math.max(r.x0 + 0.5, p.x)), y: Math.min(r.y1 - 0.5, Math.max(r.y0 + 0.5, p.y)) }));
  }
  return new Person(id, b.legs);
}
