/**
 * The accuracy bench's figures on the public recordings (../shared/data/ble; issue 15), beside
 * the simulated store's: for each archive, the engine without a radio map (level mode, its defaults), the
 * engine with a fixed window and margin (presence.motion off, the default before issue 15), the engine with a radio map built from other recordings of the same room (cross-validated, so
 * no point is scored on its own calibration), a simple filter and the naive baseline.
 *
 * The map's "walk": the stationary points of one half (every other point, by name) serve as
 * the calibration of the other half and back; the moving tracks (five months later) are
 * scored with a map of all stationary points. In the corridor, one tag per zone calibrates
 * the others and back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrackSummary } from '../../firmware-sim/store/score-track';
import {
  SetScore,
  enginePlacer,
  mapFromTracks,
  naivePlacer,
  readSet,
  simplePlacer,
  unpacked,
  type RealSet,
  type RealTrack,
  type SetFigures,
} from './presence-real';
import { FIXED_MOTION, type FingerprintParams } from '../../gateway/core/presence/params';

export const REAL_ARCHIVES = ['philo-4x3', 'philo-4x1', 'uci-corridor'] as const;

/** One map point per this much of a stationary recording (30 min points; `radio-map --bin-ms`). */
export const REAL_MAP_BIN_MS = 20_000;

export interface RealOptions {
  /** presence config overrides for the engine (as the bench's --config). */
  overrides?: Record<string, unknown>;
  /** Fit parameters over the defaults (k, levelPerMisfitDb, windowMs, …). */
  fit?: Partial<Omit<FingerprintParams, 'map'>>;
  binMs?: number;
}

export interface RealSetFigures {
  name: string;
  level: SetFigures;
  /** Level mode with presence.motion off (FIXED_MOTION: fixed window and margin, the default before issue 15). */
  fixed: SetFigures;
  map: SetFigures;
  simple: SetFigures;
  naive: SetFigures;
}

const zoneOfTrack = (t: RealTrack) => t.rows.find((r) => r.zone !== null)?.zone ?? '';

/** The two calibration halves of a set's stationary tracks. */
export function halves(set: RealSet): [RealTrack[], RealTrack[]] {
  const st = set.tracks.filter((t) => t.kind === 'static').sort((x, y) => (x.name < y.name ? -1 : 1));
  const a: RealTrack[] = [];
  const b: RealTrack[] = [];
  if (set.name.startsWith('uci')) {
    const seen = new Set<string>();
    for (const t of st) {
      (seen.has(zoneOfTrack(t)) ? b : a).push(t);
      seen.add(zoneOfTrack(t));
    }
  } else st.forEach((t, i) => (i % 2 === 0 ? a : b).push(t));
  return [a, b];
}

export function realSetFigures(set: RealSet, o: RealOptions = {}): RealSetFigures {
  const binMs = o.binMs ?? REAL_MAP_BIN_MS;
  const setup = { ...(o.overrides && { overrides: o.overrides }) };
  const [a, b] = halves(set);
  const inA = new Set(a.map((t) => t.name));
  const mapA = mapFromTracks(a, binMs, o.fit);
  const mapB = mapFromTracks(b, binMs, o.fit);
  const map = new SetScore()
    .add(
      set,
      (t) => enginePlacer(set, t, { ...setup, fingerprint: mapA }),
      (t) => t.kind === 'static' && !inA.has(t.name),
    )
    .add(
      set,
      (t) => enginePlacer(set, t, { ...setup, fingerprint: mapB }),
      (t) => t.kind === 'static' && inA.has(t.name),
    );
  if (set.tracks.some((t) => t.kind === 'moving')) {
    const all = mapFromTracks([...a, ...b], binMs, o.fit);
    map.add(
      set,
      (t) => enginePlacer(set, t, { ...setup, fingerprint: all }),
      (t) => t.kind === 'moving',
    );
  }
  return {
    name: set.name,
    level: new SetScore().add(set, (t) => enginePlacer(set, t, setup)).figures(),
    fixed: new SetScore().add(set, (t) => enginePlacer(set, t, { overrides: { ...o.overrides, motion: { ...FIXED_MOTION } } })).figures(),
    map: map.figures(),
    simple: new SetScore().add(set, () => simplePlacer(set)).figures(),
    naive: new SetScore().add(set, () => naivePlacer(set)).figures(),
  };
}

/** All archives found in `dataDir` (unpacked into the cache). */
export function realFigures(dataDir: string, o: RealOptions = {}): RealSetFigures[] {
  return REAL_ARCHIVES.filter((n) => existsSync(join(dataDir, `${n}.tar.gz`))).map((n) => realSetFigures(readSet(unpacked(join(dataDir, `${n}.tar.gz`))), o));
}

const r = (x: number | undefined, d = 3) => (x === undefined ? null : Number.isFinite(x) ? Number(x.toFixed(d)) : x === Infinity ? 'Infinity' : null);

/** `real_<name>_[<mode>_]static_accuracy` … (mode: none for the engine as the bench runs it). */
export function realJson(f: RealSetFigures, primary: 'level' | 'map'): Record<string, number | string | null> {
  const key = f.name.replace(/-/g, '_');
  const out: Record<string, number | string | null> = {};
  const put = (prefix: string, s: SetFigures) => {
    if (s.static) {
      out[`${prefix}_static_accuracy`] = r(s.static.accuracy);
      out[`${prefix}_false_changes_per_hour`] = r(s.static.falseChangesPerHour, 2);
    }
    if (s.moving) {
      out[`${prefix}_moving_accuracy`] = r(s.moving.accuracy);
      out[`${prefix}_enter_delay_p90_s`] = r(s.moving.enterDelayP90S, 1);
      out[`${prefix}_missed`] = s.moving.missed;
      out[`${prefix}_moving_false_changes_per_hour`] = r(s.moving.falseChangesPerHour, 2);
    }
    if (s.evaluateUs !== null) out[`${prefix}_evaluate_us_per_device`] = r(s.evaluateUs, 1);
  };
  put(`real_${key}`, f[primary]);
  put(`real_${key}_level`, f.level);
  put(`real_${key}_fixed`, f.fixed);
  put(`real_${key}_map`, f.map);
  put(`real_${key}_simple`, f.simple);
  put(`real_${key}_naive`, f.naive);
  return out;
}

function part(s: TrackSummary | null, moving: boolean): string {
  if (!s) return '';
  const base = `accuracy ${s.accuracy.toFixed(3)}, false changes ${s.falseChangesPerHour.toFixed(2)}/h (${s.falseChanges} in ${s.scoredHours.toFixed(2)} h)`;
  return moving ? `moving ${base}, entry p90 ${s.enterDelayP90S.toFixed(1)} s, ${s.missed} of ${s.entries} missed` : `stationary ${base}`;
}

export function realLines(f: RealSetFigures): string[] {
  return (['level', 'fixed', 'map', 'simple', 'naive'] as const).map((m) => {
    const s = f[m];
    const us = s.evaluateUs !== null ? `; ${s.evaluateUs.toFixed(1)} µs per device per evaluation` : '';
    return `real ${f.name.padEnd(12)} ${m.padEnd(6)} ${[part(s.static, false), part(s.moving, true)].filter(Boolean).join(' | ')}${us}`;
  });
}
