/**
 * What the store page (/store/, issue 16) shows, as one JSON document: the floor plan with
 * each zone's occupancy (counts only), every device (till lanes, BLE scanners, card readers,
 * the HQ link) with its state and last activity, the outbox and HQ lag, the radio map's age
 * and fit, and the last events. Nothing personal: no member number, token, card or address.
 *
 * Devices are placed by `floorPlan.devices` (keyed by scanner name, `lane:<id>`,
 * `kiosk:<id>` or `reader:<place>`); without a spot a scanner sits in its zone and lanes and readers line the bottom
 * edge. Zones without a rectangle are laid out in a grid.
 */
import type { FloorPlanConfig } from '../../config/metrics-schema';
import type { DeviceHealth, GatewayHealth } from '../../ports/health';
import type { LinkHealth } from '../../ports/pos-link';
import type { PublisherStats } from '../../../sync/gateway/publisher';

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export interface Spot {
  x: number;
  y: number;
}

export interface StoreDevice {
  /** `lane:lane-1`, `scanner:s-front`, `reader:kiosk:k1`, `hq`, `pcsc`. */
  id: string;
  kind: 'lane' | 'scanner' | 'reader' | 'hq' | 'pcsc' | 'outbox';
  name: string;
  state: string;
  since?: number;
  lastActivityAt?: number;
  detail?: string;
  spot?: Spot;
}

export type StoreEvent =
  | { at: number; type: 'device'; device: string; kind: StoreDevice['kind']; state: string; was: string }
  | { at: number; type: 'sales'; lane: string; count: number; points: number }
  | { at: number; type: 'tap'; place: string; outcome: string };

export interface StoreView {
  at: number;
  store: string;
  gateway: string;
  status: GatewayHealth['status'];
  floor: { width: number; depth: number; zones: Array<{ id: string; label?: string; rect: Rect; members: number; tags: number; anonymous: number }> };
  devices: StoreDevice[];
  outbox: { unsent: number; awaitingHq: number; oldestAgeSeconds: number; awaitingHqOldestSeconds: number; lastAckAt: number | null; hq: string } | null;
  radioMap: { points: number; medianMisfitDb: number | null; createdAt: number | null } | null;
  events: StoreEvent[];
}

export interface StoreViewInput {
  now: number;
  health: GatewayHealth;
  lanes: readonly LinkHealth[];
  laneActivity: ReadonlyMap<string, number>;
  readerPlaces: readonly string[];
  readerActivity: ReadonlyMap<string, number>;
  zones: ReadonlyArray<{ zone: string; label?: string; members: number; tags: number; anonymous: number }>;
  /** Zone of each configured scanner. */
  scannerZones: ReadonlyMap<string, string>;
  scannerHeard: ReadonlyMap<string, { lastAt: number }>;
  sync: { stats: PublisherStats } | undefined;
  outboxOldestAt: number | undefined;
  outboxRows: number;
  radioMap: { points: number; medianMisfitDb: number | null } | null;
  radioMapCreatedAt: number | undefined;
  floorPlan: Readonly<FloorPlanConfig>;
  events: readonly StoreEvent[];
}

const gridRects = (ids: readonly string[], width: number, depth: number, given: Readonly<Record<string, Rect>>): Map<string, Rect> => {
  const missing = ids.filter((id) => !given[id]);
  const cols = Math.max(1, Math.ceil(Math.sqrt(missing.length)));
  const rows = Math.max(1, Math.ceil(missing.length / cols));
  // The bottom 15% stays free for the lanes and readers.
  const h = (depth * 0.85) / rows;
  const w = width / cols;
  const out = new Map<string, Rect>();
  for (const id of ids) if (given[id]) out.set(id, given[id]!);
  missing.forEach((id, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    out.set(id, { x0: c * w, y0: r * h, x1: (c + 1) * w, y1: (r + 1) * h });
  });
  return out;
};

export function buildStoreView(i: StoreViewInput): StoreView {
  const plan = i.floorPlan;
  const rects = gridRects(
    i.zones.map((z) => z.zone),
    plan.width,
    plan.depth,
    plan.zones,
  );
  const devices: StoreDevice[] = [];
  const spotOf = (key: string) => plan.devices[key];

  // Lanes and readers along the bottom edge unless placed.
  const edge = [...i.lanes.map((l) => `lane:${l.lane}`), ...i.readerPlaces.filter((p) => !i.lanes.some((l) => `lane:${l.lane}` === p))];
  const edgeSpot = (key: string): Spot => {
    const n = Math.max(1, edge.length);
    const k = Math.max(0, edge.indexOf(key));
    return { x: ((k + 0.5) * plan.width) / n, y: plan.depth * 0.93 };
  };

  for (const l of i.lanes) {
    const key = `lane:${l.lane}`;
    devices.push({
      id: key,
      kind: 'lane',
      name: l.lane,
      state: l.state,
      since: l.since,
      ...(i.laneActivity.has(l.lane) && { lastActivityAt: i.laneActivity.get(l.lane)! }),
      ...(l.lastError && l.state !== 'up' && { detail: l.lastError }),
      spot: spotOf(key) ?? edgeSpot(key),
    });
  }
  const scanners = i.health.devices.filter((d) => d.kind === 'ble-scanner' && d.state !== 'disabled');
  const perZone = new Map<string, number>();
  for (const s of scanners) {
    const zone = i.scannerZones.get(s.name);
    const r = zone ? rects.get(zone) : undefined;
    const n = perZone.get(zone ?? '') ?? 0;
    perZone.set(zone ?? '', n + 1);
    // Below the zone's name and count (top left), side by side when a zone has several.
    const inZone = r ? { x: r.x0 + (r.x1 - r.x0) * (0.3 + 0.25 * (n % 3)), y: r.y0 + (r.y1 - r.y0) * 0.6 } : { x: plan.width * 0.05, y: plan.depth * 0.05 };
    const heard = i.scannerHeard.get(s.name)?.lastAt;
    devices.push({
      id: `scanner:${s.name}`,
      kind: 'scanner',
      name: s.name,
      state: s.state,
      ...since(s),
      ...(heard !== undefined && { lastActivityAt: heard }),
      ...(s.state !== 'up' && s.detail && { detail: s.detail }),
      spot: spotOf(s.name) ?? inZone,
    });
  }
  const readers = i.health.devices.filter((d) => d.kind === 'card-reader');
  for (const place of i.readerPlaces) {
    const present = readers.find((d) => d.state === 'up' && d.detail === place);
    const missing = readers.find((d) => d.name === `reader for ${place}`);
    const key = `reader:${place}`;
    const onLane = place.startsWith('lane:') ? devices.find((d) => d.id === place)?.spot : undefined;
    devices.push({
      id: key,
      kind: 'reader',
      name: place,
      state: present ? 'up' : (missing?.state ?? 'down'),
      ...since(present ?? missing),
      ...(i.readerActivity.has(place) && { lastActivityAt: i.readerActivity.get(place)! }),
      // `reader:<place>` places it; a lane's reader sits beside its lane, a kiosk's at `kiosk:<id>`.
      spot: spotOf(key) ?? (onLane ? { x: onLane.x + plan.width * 0.19, y: onLane.y } : (spotOf(place) ?? edgeSpot(place))),
    });
  }
  const pcsc = i.health.devices.find((d) => d.kind === 'pcsc');
  if (pcsc && pcsc.state !== 'disabled')
    devices.push({
      id: 'pcsc',
      kind: 'pcsc',
      name: 'pcscd',
      state: pcsc.state,
      ...since(pcsc),
      ...(pcsc.state !== 'up' && pcsc.detail && { detail: pcsc.detail }),
    });
  const hq = i.health.devices.find((d) => d.kind === 'mqtt');
  if (hq)
    devices.push({
      id: 'hq',
      kind: 'hq',
      name: hq.name,
      state: hq.state,
      ...since(hq),
      ...(i.sync?.stats.lastAckAt !== undefined && { lastActivityAt: i.sync.stats.lastAckAt }),
    });

  const s = i.sync?.stats;
  return {
    at: i.now,
    store: i.health.store,
    gateway: i.health.gateway,
    status: i.health.status,
    floor: {
      width: plan.width,
      depth: plan.depth,
      zones: i.zones.map((z) => ({
        id: z.zone,
        ...(z.label !== undefined && { label: z.label }),
        rect: rects.get(z.zone)!,
        members: z.members,
        tags: z.tags,
        anonymous: z.anonymous,
      })),
    },
    devices,
    outbox: {
      unsent: s ? s.unsentEstimate : i.outboxRows,
      awaitingHq: s?.awaitingHq ?? 0,
      oldestAgeSeconds: i.outboxOldestAt === undefined ? 0 : Math.max(0, Math.round((i.now - i.outboxOldestAt) / 1000)),
      awaitingHqOldestSeconds: Math.round((s?.awaitingHqOldestMs ?? 0) / 1000),
      lastAckAt: s?.lastAckAt ?? null,
      hq: hq ? hq.state : 'disabled',
    },
    radioMap: i.radioMap ? { ...i.radioMap, createdAt: i.radioMapCreatedAt ?? null } : null,
    events: [...i.events],
  };
}

const since = (d: DeviceHealth | undefined) => (d?.since !== undefined ? { since: d.since } : {});

/** Device state changes between two views, as events (the page's "last events"). */
export function deviceChanges(before: StoreView | undefined, after: StoreView): StoreEvent[] {
  if (!before) return [];
  const was = new Map(before.devices.map((d) => [d.id, d.state]));
  const out: StoreEvent[] = [];
  for (const d of after.devices) {
    const w = was.get(d.id);
    if (w !== undefined && w !== d.state) out.push({ at: after.at, type: 'device', device: d.name, kind: d.kind, state: d.state, was: w });
  }
  return out;
}
