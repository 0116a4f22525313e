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
  /**
   * Walk each zone a second time with lanes across the first ones. The carrier's body
   * shades the scanners behind them, so one walk records each spot facing two ways only;
   * crossing adds the other two (most useful with one scanner per zone).
   */
  crossLanes: boolean;
}

export const DEFAULT_SURVEY_WALK: SurveyWalkOptions = { laneM: 1, marginM: 0.5, speedMps: 0.7, intervalMs: 100, txAt1m: -59, seed: 9001, crossLanes: true };

export interface SurveyRecord {
  readonly t: number;
  readonly device: string;
  readonly scanner: string;
  readonly rssi: number;
  readonly zone: string | null;
}

/** A lane-by-lane path through a zone's rectangle (boustrophedon), lanes along x or y. */
function lanes(rect: FloorPlan['zones'][number]['rect'], laneM: number, margin: number, along: 'x' | 'y'): Point[] {
  const pts: Point[] = [];
  const [a0, a1, b0, b1] = along === 'x' ? [rect.x0, rect.x1, rect.y0, rect.y1] : [rect.y0, rect.y1, rect.x0, rect.x1];
  const at = (a: number, b: number): Point => (along === 'x' ? { x: a, y: b } : { x: b, y: a });
  let flip = false;
  for (let b = b0 + margin; b <= b1 - margin + 1e-9; b += laneM) {
    pts.push(at(flip ? a1 - margin : a0 + margin, b), at(flip ? a0 + margin : a1 - margin, b));
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
    const path = lanes(zone.rect, opt.laneM, opt.marginM, 'x');
    if (opt.crossLanes) path.push(...lanes(zone.rect, opt.laneM, opt.marginM, 'y'));
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
  return (
    ['time_ms,device,scanner,rssi,true_zone', ...rows.map((r) => `${Math.round(r.t)},${r.device},${r.scanner},${r.rssi},${r.zone ?? ''}`)].join('\n') + '\n'
  );
}
