/**
 * The public BLE recordings (../shared/data/ble, README there; issue 15) for the accuracy
 * bench and the tuning scripts: found, unpacked once into a cache (the archives are not in
 * the repo), read as they are (`scanners.csv`, `index.csv`, `track_<name>.csv`), replayed
 * through a placer (the engine, or a simple filter) at the gateway's evaluation step and
 * scored as the README says (firmware-sim/store/score-track.ts).
 *
 * Scanner → zone comes from the layout (`scanners.csv`), never from the truth. Each track
 * is one device, fed to its own engine at absolute Unix time (the index's epoch_start_s),
 * so token epochs roll as they would in a store.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRssiCsv } from '../../gateway/adapters/presence/rssi-csv';
import { engineParams, presenceConfigFrom } from '../../gateway/app/presence/presence-config';
import { PresenceEngine } from '../../gateway/core/presence/engine';
import type { FingerprintParams } from '../../gateway/core/presence/params';
import { TokenTable, epochOf } from '../../gateway/core/presence/token';
import { fingerprintParams } from '../../gateway/core/presence/radio-map';
import { radioMapFromRows } from '../../gateway/config/radio-map-file';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { PROGRAM_UUID } from '../../firmware-sim/store/store-sim';
import { emptyTotals, scoreTrack, summary, type TrackSummary, type TrackTotals, type ZoneChange } from '../../firmware-sim/store/score-track';

export interface RealScanner {
  readonly id: string;
  readonly zone: string;
}

export interface RealTrack {
  readonly name: string;
  readonly kind: 'static' | 'moving';
  /** Unix ms of the track's first advert. */
  readonly startMs: number;
  /** Rows at absolute Unix ms, in time order. */
  readonly rows: ReadonlyArray<{ t: number; scanner: string; rssi: number; zone: string | null }>;
}

export interface RealSet {
  readonly name: string;
  readonly scanners: readonly RealScanner[];
  readonly tracks: readonly RealTrack[];
  /** Zones the truth names (a zone may have no scanner: the corridor's vestibule). */
  readonly zones: readonly string[];
}

/** ../shared/data/ble (or TROUW_BLE_DATA): the first such folder up from here or the working dir. */
export function findBleData(): string | null {
  const env = process.env.TROUW_BLE_DATA;
  if (env) return existsSync(env) ? env : null;
  for (const from of [process.cwd(), dirname(fileURLToPath(import.meta.url))]) {
    for (let d = resolve(from); ; d = dirname(d)) {
      const c = join(d, 'shared', 'data', 'ble');
      if (existsSync(join(c, 'README.md'))) return c;
      if (dirname(d) === d) break;
    }
  }
  return null;
}

/** The archive unpacked into a cache folder (kept between runs; keyed by size and mtime). */
export function unpacked(archive: string, cacheRoot = process.env.TROUW_BLE_CACHE ?? join(tmpdir(), 'trouw-ble-data')): string {
  const st = statSync(archive);
  const name = basename(archive).replace(/\.tar\.gz$/, '');
  const target = join(cacheRoot, `${name}-${st.size}-${Math.round(st.mtimeMs)}`);
  if (existsSync(join(target, '.complete')))
    return join(
      target,
      readdirSync(target).find((f) => !f.startsWith('.'))!,
    );
  const work = `${target}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync('tar', ['-xzf', archive, '-C', work]);
  execFileSync('touch', [join(work, '.complete')]);
  rmSync(target, { recursive: true, force: true });
  renameSync(work, target);
  return join(
    target,
    readdirSync(target).find((f) => !f.startsWith('.'))!,
  );
}

/** A CSV line's fields, double quotes honoured (index.csv quotes its sources). */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function table(path: string): Array<Record<string, string>> {
  const [head, ...lines] = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const h = fields(head!).map((x) => x.trim());
  return lines.map((l) => Object.fromEntries(fields(l).map((v, i) => [h[i]!, v.trim()])));
}

/** The layout's scanner → zone (`scanners.csv`). */
export function readScanners(path: string): RealScanner[] {
  return table(path).map((r) => {
    if (!r.scanner_id || !r.zone) throw new Error(`${path}: need scanner_id and zone in every row`);
    return { id: r.scanner_id, zone: r.zone };
  });
}

/** One unpacked recording folder. `only`: keep tracks whose name passes. */
export function readSet(dir: string, only: (track: string) => boolean = () => true): RealSet {
  const scanners = readScanners(join(dir, 'scanners.csv'));
  const zones = new Set<string>(scanners.map((s) => s.zone));
  const tracks: RealTrack[] = [];
  for (const r of table(join(dir, 'index.csv'))) {
    if (!only(r.track!)) continue;
    const startMs = Number(r.epoch_start_s) * 1000;
    const rows = parseRssiCsv(readFileSync(join(dir, `track_${r.track}.csv`), 'utf8')).map((x) => ({
      t: startMs + x.t,
      scanner: x.scanner,
      rssi: x.rssi,
      zone: x.zone,
    }));
    for (const x of rows) if (x.zone !== null) zones.add(x.zone);
    tracks.push({ name: r.track!, kind: r.kind === 'moving' ? 'moving' : 'static', startMs, rows });
  }
  return { name: basename(dir), scanners, tracks, zones: [...zones] };
}

/** Something that says a device's zone from its adverts: the engine, or a simple filter. */
export interface Placer {
  ingest(scanner: string, rssi: number, at: number): void;
  evaluate(now: number): void;
  zone(): string | null;
  /** Time spent evaluating (ms), when measured. */
  readonly evaluateMs?: number;
}

export interface EngineSetup {
  /** presence config overrides (defaults, zones, radioMap params…). */
  overrides?: Record<string, unknown>;
  fingerprint?: FingerprintParams;
}

/** The product's engine for one recorded device (its config as the gateway would build it). */
export function enginePlacer(set: RealSet, track: RealTrack, s: EngineSetup = {}): Placer {
  const known = new Set(set.scanners.map((x) => x.zone));
  const extraZones = s.fingerprint ? [...new Set(s.fingerprint.map.points.map((p) => p.zone))].filter((z) => !known.has(z)) : [];
  const ov = s.overrides ?? {};
  const cfg = presenceConfigFrom({
    ...ov,
    scanners: set.scanners.map((x) => ({ name: x.id, zone: x.zone, port: `/replay/${x.id}` })),
    zones: [...((ov.zones as unknown[] | undefined) ?? []), ...extraZones.map((id) => ({ id }))],
    tokens: [],
  });
  const token = 0x7e000001;
  const first = track.rows[0]?.t ?? track.startMs;
  const last = track.rows[track.rows.length - 1]?.t ?? first;
  const entries = [];
  for (let e = epochOf(first) - 1; e <= epochOf(last) + 1; e++) entries.push({ member: 'R-1', epoch: e, token });
  const engine = new PresenceEngine({ ...engineParams(cfg), ...(s.fingerprint && { fingerprint: s.fingerprint }) }, { tokens: new TokenTable(entries) });
  const md = iBeaconAdData(PROGRAM_UUID, token >>> 16, token & 0xffff, -59).subarray(5);
  const subject = { kind: 'member' as const, id: 'R-1' };
  let evaluateMs = 0;
  return {
    ingest: (scanner, rssi, at) => void engine.ingest({ scanner, rssi, manufacturerData: md, at }),
    evaluate: (now) => {
      const t = performance.now();
      engine.evaluate(now);
      evaluateMs += performance.now() - t;
    },
    zone: () => engine.zoneOf(subject),
    get evaluateMs() {
      return evaluateMs;
    },
  };
}

/**
 * The naive baseline: each advert's strongest raw reception wins. Real scanners stamp their
 * own receptions, so one advert's receptions are grouped within `toleranceMs` of the first
 * (a scanner heard twice starts a new advert).
 */
export function naivePlacer(set: RealSet, toleranceMs = 100): Placer {
  const zoneOf = new Map(set.scanners.map((s) => [s.id, s.zone]));
  let groupAt = -Infinity;
  let seen = new Set<string>();
  let best: { scanner: string; rssi: number } | null = null;
  let zone: string | null = null;
  const flush = () => {
    if (best) zone = zoneOf.get(best.scanner) ?? zone;
    best = null;
    seen = new Set();
  };
  return {
    ingest: (scanner, rssi, at) => {
      if (at - groupAt > toleranceMs || seen.has(scanner)) {
        flush();
        groupAt = at;
      }
      seen.add(scanner);
      if (!best || rssi > best.rssi) best = { scanner, rssi };
    },
    evaluate: (now) => {
      if (now - groupAt > toleranceMs) flush();
    },
    zone: () => zone,
  };
}

/**
 * A simple filter: per scanner, the mean of the last `windowMs`; a zone's level, the mean of
 * its scanners'; the strongest zone wins at once (no hysteresis). The reference an engine
 * must beat to be worth its parameters.
 */
export function simplePlacer(set: RealSet, windowMs = 5000): Placer {
  const zoneOf = new Map(set.scanners.map((s) => [s.id, s.zone]));
  const samples = new Map<string, Array<{ at: number; rssi: number }>>();
  let zone: string | null = null;
  return {
    ingest: (scanner, rssi, at) => {
      const a = samples.get(scanner) ?? [];
      a.push({ at, rssi });
      samples.set(scanner, a);
    },
    evaluate: (now) => {
      const sums = new Map<string, { s: number; n: number }>();
      for (const [scanner, a] of samples) {
        while (a.length && a[0]!.at <= now - windowMs) a.shift();
        if (a.length === 0) continue;
        const z = zoneOf.get(scanner)!;
        const m = a.reduce((x, y) => x + y.rssi, 0) / a.length;
        const acc = sums.get(z) ?? { s: 0, n: 0 };
        acc.s += m;
        acc.n++;
        sums.set(z, acc);
      }
      let best = -Infinity;
      for (const [z, acc] of sums) if (acc.s / acc.n > best) [zone, best] = [z, acc.s / acc.n];
    },
    zone: () => zone,
  };
}

/**
 * Replays one track through `placer` at the gateway's evaluation step and adds its score to
 * `totals`. Adverts up to each tick are ingested before it is evaluated.
 */
export function replayTrack(track: RealTrack, placer: Placer, totals: TrackTotals, stepMs = 500): { evaluations: number } {
  const rows = track.rows;
  if (rows.length === 0) return { evaluations: 0 };
  const truth: ZoneChange[] = [];
  const predicted: ZoneChange[] = [];
  const start = rows[0]!.t;
  const end = rows[rows.length - 1]!.t;
  let next = start + stepMs;
  let evaluations = 0;
  const tick = (t: number) => {
    placer.evaluate(t);
    evaluations++;
    const z = placer.zone();
    if (predicted.length === 0 ? true : predicted[predicted.length - 1]!.zone !== z) predicted.push({ t, zone: z });
  };
  for (const r of rows) {
    while (next <= r.t) {
      tick(next);
      next += stepMs;
    }
    if (truth.length === 0 || truth[truth.length - 1]!.zone !== r.zone) truth.push({ t: r.t, zone: r.zone });
    placer.ingest(r.scanner, r.rssi, r.t);
  }
  if (predicted.length === 0 || predicted[0]!.t > start) predicted.unshift({ t: start, zone: null });
  scoreTrack(totals, truth, predicted, start, end);
  return { evaluations };
}

export interface SetFigures {
  static: TrackSummary | null;
  moving: TrackSummary | null;
  /** Mean time to evaluate the device once (µs), engine placers only. */
  evaluateUs: number | null;
}

/** Sums of several scoring passes (e.g. the two halves of a cross-validation). */
export class SetScore {
  readonly totals: Record<'static' | 'moving', TrackTotals> = { static: emptyTotals(), moving: emptyTotals() };
  private ms = 0;
  private evals = 0;
  private timed = false;

  /** Scores the tracks of `set` that `pick` keeps, a fresh placer per track. */
  add(set: RealSet, make: (track: RealTrack) => Placer, pick: (t: RealTrack) => boolean = () => true, stepMs = 500): this {
    for (const track of set.tracks) {
      if (!pick(track)) continue;
      const p = make(track);
      this.evals += replayTrack(track, p, this.totals[track.kind], stepMs).evaluations;
      if (p.evaluateMs !== undefined) {
        this.timed = true;
        this.ms += p.evaluateMs;
      }
    }
    return this;
  }

  figures(): SetFigures {
    return {
      static: this.totals.static.tracks ? summary(this.totals.static) : null,
      moving: this.totals.moving.tracks ? summary(this.totals.moving) : null,
      evaluateUs: this.timed && this.evals ? (this.ms * 1000) / this.evals : null,
    };
  }
}

/** Scores every track of `set` (or those `pick` keeps) with a fresh placer per track. */
export const scoreSet = (set: RealSet, make: (track: RealTrack) => Placer, pick: (t: RealTrack) => boolean = () => true, stepMs = 500): SetFigures =>
  new SetScore().add(set, make, pick, stepMs).figures();

/** A radio map built from `tracks` as `trouw-gateway radio-map` builds one (each track its own device). */
export function mapFromTracks(tracks: readonly RealTrack[], binMs: number, fit: Partial<Omit<FingerprintParams, 'map'>> = {}): FingerprintParams {
  const rows = tracks.flatMap((t) => t.rows.map((r) => ({ ...r, device: t.name })));
  return fingerprintParams(radioMapFromRows(rows, { binMs }).map, fit);
}
