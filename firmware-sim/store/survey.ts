/**
 * The calibration walk, simulated (docs/presence.md, "Radio map"): an installer carries a
 * reference beacon through each zone in turn, up and down lanes `laneM` apart at walking
 * pace, and the scanners' reports are recorded with the zone the installer is in. The same
 * radio as the shoppers' (shadowing, scanner offsets, noise, loss, the installer's body),
 * with its own randomness, so the walk is a measurement of the store, not a copy of it.
 * Rows come out in the replay CSV's shape (replay.ts), which is what a real walk records.
 */
import type { FloorPlan, Point } from './floor-plan';
import { Rng } from './prng';
import type { Radio } from './radio';

export interface SurveyWalkOptions {
  /** Distance between lanes (m). */
  laneM: number;
  /** Keep this far inside each zone (m). */
  marginM: number;
  speedMps: number;
  /** The reference beacon advertises this often (ms). */
  intervalMs: number;
  /** Its level at 1 m (dBm). */
  txAt1m: number;
  seed: number;
}

export const DEFAULT_SURVEY_WALK: SurveyWalkOptions = { laneM: 1, marginM: 0.5, speedMps: 0.7, intervalMs: 100, txAt1m: -59, seed: 9001 };

export interface SurveyRecord {
  readonly t: number;
  readonly device: string;
  readonly scanner: string;
  readonly rssi: number;
  readonly zone: string | null;
}

/** A lane-by-lane path through a zone's rectangle (boustrophedon). */
function lanes(rect: FloorPlan['zones'][number]['rect'], laneM: number, margin: number): Point[] {
  const pts: Point[] = [];
  const x0 = rect.x0 + margin;
  const x1 = rect.x1 - margin;
  let flip = false;
  for (let y = rect.y0 + margin; y <= rect.y1 - margin + 1e-9; y += laneM) {
    pts.push(flip ? { x: x1, y } : { x: x0, y }, flip ? { x: x0, y } : { x: x1, y });
    flip = !flip;
  }
  return pts;
}

export function surveyWalk(plan: FloorPlan, radio: Radio, o: Partial<SurveyWalkOptions> = {}): SurveyRecord[] {
  const opt = { ...DEFAULT_SURVEY_WALK, ...o };
  const rng = Rng.seeded(opt.seed);
  const rows: SurveyRecord[] = [];
  let t = 0;
  for (const zone of plan.zones) {
    const path = lanes(zone.rect, opt.laneM, opt.marginM);
    for (let i = 1; i < path.length; i++) {
      const a = path[i - 1]!;
      const b = path[i]!;
      const len = Math.hypot(b.x - a.x, b.y - a.y);
      const facing = Math.atan2(b.y - a.y, b.x - a.x);
      const dur = (len / opt.speedMps) * 1000;
      for (let s = 0; s < dur; s += opt.intervalMs) {
        const f = s / dur;
        for (const r of radio.hear(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f, facing, opt.txAt1m, rng)) {
          rows.push({ t: t + s, device: 'survey', scanner: plan.scanners[r.scanner]!.name, rssi: r.rssi, zone: zone.id });
        }
      }
      t += dur;
    }
    t += 5000; // walking to the next zone is not recorded as any zone
  }
  return rows;
}

/** The walk as the replay CSV (time_ms, device, scanner, rssi, true_zone). */
export function surveyCsv(rows: readonly SurveyRecord[]): string {
  return ['time_ms,device,scanner,rssi,true_zone', ...rows.map((r) => `${Math.round(r.t)},${r.device},${r.scanner},${r.rssi},${r.zone ?? ''}`)].join('\n') + '\n';
}
