/**
 * A store's floor plan: zones (rectangles, metres), scanners (position and zone; a zone may
 * have several) and the doors. The default is six 10 m × 10 m departments in a 3 × 2 grid;
 * scenario files (JSON) give others (bench:presence-accuracy --scenario).
 */

export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface ZonePlan {
  readonly id: string;
  readonly rect: Rect;
}

export interface ScannerPlan {
  readonly name: string;
  readonly zone: string;
  readonly x: number;
  readonly y: number;
  /** Mounting height (m). */
  readonly z: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface FloorPlan {
  readonly name: string;
  readonly width: number;
  readonly depth: number;
  readonly zones: readonly ZonePlan[];
  readonly scanners: readonly ScannerPlan[];
  /** Shoppers come in here and leave there (both inside the store, at the wall). */
  readonly entrance: Point;
  readonly exit: Point;
  /** The zone shoppers finish in (the tills). */
  readonly checkoutZone: string;
}

export interface GridPlanOptions {
  cols?: number;
  rows?: number;
  zoneWidth?: number;
  zoneDepth?: number;
  /** 1: one scanner at each zone's centre; 2: two on the zone's diagonal, at 1/3 and 2/3. */
  scannersPerZone?: 1 | 2 | 4;
  scannerHeight?: number;
}

/** Zones z1…zN row by row; the entrance in z1, the exit (and tills) in the last zone. */
export function gridPlan(o: GridPlanOptions = {}): FloorPlan {
  const cols = o.cols ?? 3;
  const rows = o.rows ?? 2;
  const w = o.zoneWidth ?? 10;
  const d = o.zoneDepth ?? 10;
  const per = o.scannersPerZone ?? 2;
  const h = o.scannerHeight ?? 2.6;
  const zones: ZonePlan[] = [];
  const scanners: ScannerPlan[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const id = `z${r * cols + c + 1}`;
      const rect = { x0: c * w, y0: r * d, x1: (c + 1) * w, y1: (r + 1) * d };
      zones.push({ id, rect });
      const at = (fx: number, fy: number) => ({ x: rect.x0 + fx * w, y: rect.y0 + fy * d });
      const spots =
        per === 1 ? [at(0.5, 0.5)] : per === 2 ? [at(1 / 3, 1 / 3), at(2 / 3, 2 / 3)] : [at(0.25, 0.25), at(0.75, 0.25), at(0.25, 0.75), at(0.75, 0.75)];
      spots.forEach((p, i) => scanners.push({ name: `${id}-s${i + 1}`, zone: id, x: p.x, y: p.y, z: h }));
    }
  }
  return {
    name: `grid ${cols}x${rows}, ${per} scanner(s) per zone`,
    width: cols * w,
    depth: rows * d,
    zones,
    scanners,
    entrance: { x: 0.5, y: d / 2 },
    exit: { x: cols * w - 0.5, y: rows * d - d / 2 },
    checkoutZone: zones[zones.length - 1]!.id,
  };
}

export function zoneAt(plan: FloorPlan, p: Point): string | null {
  for (const z of plan.zones) if (p.x >= z.rect.x0 && p.x < z.rect.x1 && p.y >= z.rect.y0 && p.y < z.rect.y1) return z.id;
  return null;
}

/** Parses a scenario's `plan` object (JSON), checking what the simulator relies on. */
export function parsePlan(raw: unknown): FloorPlan {
  const p = raw as FloorPlan;
  if (!p || !Array.isArray(p.zones) || !Array.isArray(p.scanners) || p.zones.length === 0) throw new Error('plan: needs zones[] and scanners[]');
  const ids = new Set(p.zones.map((z) => z.id));
  for (const s of p.scanners) if (!ids.has(s.zone)) throw new Error(`plan: scanner ${s.name} in unknown zone ${s.zone}`);
  if (!ids.has(p.checkoutZone)) throw new Error(`plan: checkoutZone ${p.checkoutZone} is not a zone`);
  return { ...p, scanners: p.scanners.map((s) => ({ ...s, z: s.z ?? 2.6 })) };
}
