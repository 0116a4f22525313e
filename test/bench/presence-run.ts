/**
 * Shared by bench:presence-accuracy and the presence tests: a simulated store scored against
 * its ground truth, through the real presence engine and, side by side, a naive baseline
 * (strongest raw RSSI of each advert, no filter, no hysteresis).
 */
import { presenceConfigFrom, engineParams } from '../../gateway/app/presence/presence-config';
import type { PresenceConfig } from '../../gateway/config/presence-schema';
import { PresenceEngine } from '../../gateway/core/presence/engine';
import { TokenTable, epochOf, memberToken } from '../../gateway/core/presence/token';
import { driveFast } from '../../firmware-sim/store/drive';
import { StoreSim, type StoreSimOptions } from '../../firmware-sim/store/store-sim';
import { Scorer, type Score } from '../../firmware-sim/store/score';
import { surveyWalk, type SurveyWalkOptions } from '../../firmware-sim/store/survey';
import { DEFAULT_SURVEY, radioMapFromSurvey } from '../../gateway/core/presence/radio-map-survey';
import { fingerprintParams } from '../../gateway/core/presence/radio-map';
import type { FingerprintParams } from '../../gateway/core/presence/params';

/** The gateway's presence config for a simulated store: its scanners and tags, plus `overrides`. */
export function configForSim(sim: StoreSim, overrides: Record<string, unknown> = {}): PresenceConfig {
  return presenceConfigFrom({
    programUuid: sim.programUuid,
    driver: 'simulated',
    scanners: sim.plan.scanners.map((s) => ({ name: s.name, zone: s.zone, port: `/sim/${s.name}` })),
    tags: sim.tags(),
    ...overrides,
  });
}

/** HQ's token table for the whole simulated span (each lookup still only accepts e−1…e+1). */
export function tokensForSim(sim: StoreSim): TokenTable {
  const entries = [];
  for (let e = epochOf(sim.startMs) - 1; e <= epochOf(sim.endMs) + 1; e++) {
    for (const m of sim.members) entries.push({ member: m.member, epoch: e, token: memberToken(m.key, e) });
  }
  return new TokenTable(entries);
}

/** Strongest raw RSSI wins, per advert (the baseline the issue asks for). */
export class StrongestRssiBaseline {
  private readonly zoneOfScanner: Map<string, string>;
  private readonly current = new Map<string, string>();
  constructor(sim: StoreSim) {
    this.zoneOfScanner = new Map(sim.plan.scanners.map((s) => [s.name, s.zone]));
  }
  /** One advert's readings from all scanners at once. */
  advert(subject: string, readings: ReadonlyArray<{ scanner: string; rssi: number }>): void {
    let best: { scanner: string; rssi: number } | undefined;
    for (const r of readings) if (!best || r.rssi > best.rssi) best = r;
    if (best) this.current.set(subject, this.zoneOfScanner.get(best.scanner)!);
  }
  zoneOf(subject: string): string | null {
    return this.current.get(subject) ?? null;
  }
  forget(subject: string): void {
    this.current.delete(subject);
  }
}

export interface AccuracyRun {
  engine: Score;
  baseline: Score;
  adverts: number;
  readings: number;
  wallMs: number;
  simMs: number;
  /** Mean time to evaluate one tracked device once (µs). */
  evaluateUsPerDevice: number;
  /** Median best misfit of the last half hour's fits (dB), with a radio map. */
  medianMisfitDb: number | null;
  /** Points of the radio map the engine placed by (0: none). */
  radioMapPoints: number;
}

export interface CalibrationWalk {
  walk?: Partial<SurveyWalkOptions>;
  /** One map point per this much of the walk (ms). */
  binMs?: number;
  /**
   * After the walk, the first scanner's level changes by this much (dB): a replaced or
   * re-mounted scanner, so the map is stale.
   */
  staleDb?: number;
  k?: number;
  levelPerMisfitDb?: number;
  windowMs?: number;
}

/** The radio map of a simulated calibration walk through `sim`'s store. */
export function fingerprintForSim(sim: StoreSim, c: CalibrationWalk = {}): FingerprintParams {
  const map = radioMapFromSurvey(surveyWalk(sim.plan, sim.radio, c.walk), { ...DEFAULT_SURVEY, ...(c.binMs && { binMs: c.binMs }) });
  return fingerprintParams(map, {
    ...(c.k && { k: c.k }),
    ...(c.levelPerMisfitDb && { levelPerMisfitDb: c.levelPerMisfitDb }),
    ...(c.windowMs && { windowMs: c.windowMs }),
  });
}

/**
 * `calibration`: the engine places by a radio map, from a simulated calibration walk
 * through the same store or given (a real walk's map, for a replay of the same store).
 */
export function runAccuracy(
  simOptions: StoreSimOptions,
  configOverrides: Record<string, unknown> = {},
  stepMs = 500,
  calibration?: CalibrationWalk | FingerprintParams,
): AccuracyRun {
  const t0 = performance.now();
  const sim = new StoreSim(simOptions);
  const cfg = configForSim(sim, configOverrides);
  const fingerprint = !calibration ? undefined : 'map' in calibration ? calibration : fingerprintForSim(sim, calibration);
  if (calibration && 'staleDb' in calibration && calibration.staleDb) sim.radio.offsets[0]! += calibration.staleDb;
  const engine = new PresenceEngine({ ...engineParams(cfg), ...(fingerprint && { fingerprint }) }, { tokens: tokensForSim(sim) });
  const baseline = new StrongestRssiBaseline(sim);
  const engineScore = new Scorer();
  const baselineScore = new Scorer();
  const members = sim.members;
  const names = sim.plan.scanners.map((s) => s.name);
  // Time spent deciding zones (filters, fit, state machines), per tracked device and step.
  let evaluateMs = 0;
  let deviceSteps = 0;
  const timed = {
    ingest: (a: Parameters<PresenceEngine['ingest']>[0]) => engine.ingest(a),
    evaluate: (now: number) => {
      const t = performance.now();
      engine.evaluate(now);
      evaluateMs += performance.now() - t;
      deviceSteps += engine.stats().tracked;
    },
  };
  const { adverts, readings } = driveFast(sim, timed, {
    stepMs,
    onAir: (ev) => {
      if (ev.device.role === 'member')
        baseline.advert(
          ev.device.subject!,
          ev.readings.map((r) => ({ scanner: names[r.scanner]!, rssi: r.rssi })),
        );
    },
    onStep: (t) => {
      for (const m of members) {
        if (t < m.person.arrival - 60_000 || t > m.person.departure + 120_000) continue;
        const truth = m.person.truthZone(sim.plan, t);
        if (truth === null) baseline.forget(m.member);
        engineScore.observe(m.member, t, truth, engine.zoneOf({ kind: 'member', id: m.member }));
        baselineScore.observe(m.member, t, truth, baseline.zoneOf(m.member));
      }
    },
  });
  return {
    engine: engineScore.result(),
    baseline: baselineScore.result(),
    adverts,
    readings,
    wallMs: performance.now() - t0,
    simMs: sim.endMs - sim.startMs,
    medianMisfitDb: engine.radioMapFit()?.medianMisfitDb ?? null,
    evaluateUsPerDevice: deviceSteps > 0 ? (evaluateMs * 1000) / deviceSteps : 0,
    radioMapPoints: fingerprint?.map.points.length ?? 0,
  };
}
