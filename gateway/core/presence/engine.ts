/**
 * The presence engine (DESIGN.md §4, issue 4), pure and synchronous: adverts in (`ingest`),
 * zone and visit events out (`evaluate`, called every few hundred ms with `now`).
 *
 * Privacy by construction: an advert is classified first (classify.ts); one that is neither
 * a resolved member token nor a configured tag leaves no identity behind. An unresolved or
 * ambiguous token only moves an anonymous counter, keyed by a salted hash and forgotten
 * after `anonymousWindowMs`. Raw RSSI lives in per-(device, scanner) windows of a few
 * seconds and is never reported.
 *
 * Bounded: at most `maxTracked` members and tags and `maxAnonymous` anonymous devices; the
 * stalest is evicted (an evicted member's stay and visit are closed with reason `evicted`).
 */
import { classifyAdvert, createClassifier, type Classifier } from './classify';
import type { PresenceEvent, Subject, ZoneOccupancy } from './events';
import { subjectKey } from './events';
import { DEFAULT_ENGINE, type EngineParams, type FingerprintParams, type ZoneParams, type ZoneSpec } from './params';
import { FitQuality } from './fit-quality';
import { ZoneFingerprints, radioMapProblem } from './radio-map';
import { TokenTable } from './token';
import { SampleWindow, robustMean } from './window-filter';
import { ZoneTracker, type LeaveReason, type ZoneTransition } from './zone-tracker';

/** The advert as the engine needs it (structurally the BLE port's Advert). */
export interface RadioAdvert {
  readonly scanner: string;
  readonly rssi: number;
  readonly manufacturerData: Uint8Array;
  readonly at: number;
}

export type IngestOutcome = 'member' | 'tag' | 'anonymous' | 'dropped' | 'unknown-scanner';

interface Visit {
  readonly id: string;
  readonly startedAt: number;
  readonly zones: Map<string, { dwellMs: number; entries: number }>;
}

interface Track {
  readonly key: string;
  readonly subject: Subject;
  lastSeen: number;
  /** Start of the current spell of hearing it (reset after a gap longer than the windows). */
  heardSince: number;
  readonly windows: Array<SampleWindow | undefined>;
  readonly tracker: ZoneTracker;
  visit: Visit | null;
  /** 0: its levels move (walking) … 1: it has stood still for `motion.settleMs`. */
  stillness: number;
  stillAt: number;
  /** The smoothed movement statistic (negative: none yet). */
  motion: number;
}

interface Anonymous {
  lastSeen: number;
  /** Index of the zone it was heard strongest in, lately. */
  zone: number;
  level: number;
  levelAt: number;
}

export interface EngineOptions {
  tokens?: TokenTable;
  /** Visit ids; default deterministic (`v<startedAt base36>-<n>`). The service passes ULIDs. */
  visitId?: (at: number) => string;
  /** Salt of the anonymous counter's hash (the service passes a random one per process). */
  anonymousSalt?: number;
}

export interface EngineCounters {
  member: number;
  tag: number;
  anonymous: number;
  dropped: number;
  unknownScanner: number;
  evicted: number;
}

/** How far back the levels are compared to tell walking from standing (ms, each half). */
const MOTION_SPAN_MS = 4000;
/** The noise of an advert's RSSI is taken as at least this (dB²) when judging movement. */
const MOTION_MIN_VAR_DB2 = 4;
/** The movement statistic is smoothed with this time constant (ms). */
const MOTION_SMOOTH_MS = 3000;
/**
 * The smoothed mean squared change per scanner, in units of its own noise: at or below LOW
 * the device stands still, at or above HIGH it moves. Measured on the public recordings
 * (4 × 3 and 4 × 1 office): at rest the 90th percentile is ≈ 1.0, walking the median is
 * 1.5–2.7 (docs/presence.md).
 */
const MOTION_LOW = 1.1;
const MOTION_HIGH = 1.5;

/**
 * An eased margin stays at least this many standard errors of a lead between two zones'
 * levels (a lead under 2 σ is what noise alone gives one evaluation in 20).
 */
const NOISE_LEADS = 2;
/** Variance of one advert's RSSI at a fixed point (dB²): ≈ 3 dB on the public recordings. */
const ADVERT_VAR_DB2 = 9;

/** Anonymous level decays this fast (dB/ms) so a device that moved on is re-placed. */
const ANON_DECAY_DB_PER_MS = 1 / 1000;

export class PresenceEngine {
  private readonly p: EngineParams;
  private readonly scannerIndex = new Map<string, number>();
  private readonly scannerZone: string[] = [];
  private readonly scannerOffset: number[] = [];
  private scannerParams: ZoneParams[] = [];
  private readonly zoneIds: string[];
  private readonly zoneIndex = new Map<string, number>();
  private zoneParams = new Map<string, ZoneParams>();
  private maxWindowMs: number;
  private readonly tracks = new Map<string, Track>();
  private readonly anonymous = new Map<number, Anonymous>();
  private classifier: Classifier;
  private readonly visitId: (at: number) => string;
  private readonly salt: number;
  private visitSeq = 0;
  readonly counters: EngineCounters = { member: 0, tag: 0, anonymous: 0, dropped: 0, unknownScanner: 0, evicted: 0 };
  /** Scratch buffers (evaluate is not re-entrant). */
  private readonly scratch: number[] = [];
  private readonly sums = new Map<string, { sum: number; n: number; max: number }>();
  private readonly levels = new Map<string, number>();
  private readonly scannerLevels: Float64Array;
  private readonly misfits = new Map<string, number>();
  private fingerprints: ZoneFingerprints | null;
  private fingerprintParams: FingerprintParams | null;
  private fitQuality = new FitQuality();
  private readonly transitions: ZoneTransition[] = [];
  private readonly halvesBuf = new Float64Array(5);
  /** Per zone: Σ variance / n of its scanners' levels, and how many scanners (levelsOf). */
  private readonly zoneVar = new Map<string, { v: number; n: number }>();
  /** Standard error (dB) of a lead between two typical zones, from the last levelsOf. */
  private leadNoiseDb = 0;

  constructor(params: Partial<EngineParams> & Pick<EngineParams, 'programUuid' | 'zones' | 'scanners'>, opts: EngineOptions = {}) {
    this.p = { ...DEFAULT_ENGINE, tags: [], ...params };
    this.zoneIds = this.p.zones.map((z) => z.id);
    for (const [i, z] of this.p.zones.entries()) {
      this.zoneIndex.set(z.id, i);
      this.zoneParams.set(z.id, z.params);
    }
    for (const s of this.p.scanners) {
      const zp = this.zoneParams.get(s.zone);
      if (!zp) throw new RangeError(`scanner ${s.name}: unknown zone ${s.zone}`);
      this.scannerIndex.set(s.name, this.scannerZone.length);
      this.scannerZone.push(s.zone);
      this.scannerOffset.push(s.offsetDb);
      this.scannerParams.push(zp);
    }
    this.maxWindowMs = Math.max(0, ...this.p.zones.map((z) => z.params.windowMs));
    this.scannerLevels = new Float64Array(this.p.scanners.length);
    this.fingerprintParams = this.p.fingerprint ?? null;
    this.fingerprints = null;
    this.setFingerprint(this.fingerprintParams);
    this.classifier = createClassifier({ programUuid: this.p.programUuid, tags: this.p.tags, tokens: opts.tokens ?? new TokenTable() });
    this.visitId = opts.visitId ?? ((at) => `v${at.toString(36)}-${(this.visitSeq++).toString(36)}`);
    this.salt = (opts.anonymousSalt ?? 0x9e3779b9) | 0;
  }

  get zones(): readonly string[] {
    return this.zoneIds;
  }

  /**
   * Places devices by a new radio map from now on (a calibration walk just finished), or by
   * their zones' own scanners again (null). Devices keep their current zone.
   */
  setFingerprint(fp: FingerprintParams | null): void {
    // Checked before anything changes: a point in a zone the engine does not know crashed the
    // zone state machine at the first fit (issue 15); a zone without points is never chosen.
    const problem =
      fp &&
      radioMapProblem(
        fp.map,
        this.p.scanners.map((s) => s.name),
        this.zoneIds,
      );
    if (problem) throw new RangeError(problem);
    this.fingerprintParams = fp;
    this.fitQuality = new FitQuality();
    this.fingerprints = fp
      ? new ZoneFingerprints(
          fp.map,
          this.p.scanners.map((s) => s.name),
          { k: fp.k, ...(fp.absoluteWeight !== undefined && { absoluteWeight: fp.absoluteWeight }) },
        )
      : null;
  }

  /**
   * Replaces every zone's parameters (HQ's zone overrides, applied live). `zones` names each
   * of the engine's zones once, no other; the zones themselves and the scanners stay. Tracked
   * devices keep their windows and current zones; the next `evaluate` decides with the new
   * parameters (a stay in progress is not re-decided in the past).
   */
  setZoneParams(zones: readonly ZoneSpec[]): void {
    const next = new Map<string, ZoneParams>();
    for (const z of zones) {
      if (!this.zoneIndex.has(z.id)) throw new RangeError(`unknown zone ${z.id}`);
      if (next.has(z.id)) throw new RangeError(`zone ${z.id} given twice`);
      next.set(z.id, z.params);
    }
    const missing = this.zoneIds.find((id) => !next.has(id));
    if (missing !== undefined) throw new RangeError(`zone ${missing} has no parameters`);
    this.zoneParams = next;
    this.scannerParams = this.scannerZone.map((zone) => next.get(zone)!);
    this.maxWindowMs = Math.max(0, ...[...next.values()].map((p) => p.windowMs));
  }

  /** The parameters a zone runs with (undefined: not a zone of this engine). */
  paramsOf(zone: string): ZoneParams | undefined {
    return this.zoneParams.get(zone);
  }

  /** Replaces the token table (HQ sends a new one as epochs roll). */
  setTokens(tokens: TokenTable): void {
    this.classifier = createClassifier({ programUuid: this.p.programUuid, tags: this.p.tags, tokens });
  }

  ingest(a: RadioAdvert): IngestOutcome {
    const si = this.scannerIndex.get(a.scanner);
    if (si === undefined) {
      this.counters.unknownScanner++;
      return 'unknown-scanner';
    }
    const c = classifyAdvert(this.classifier, a.manufacturerData, a.at);
    if (c === null) {
      this.counters.dropped++;
      return 'dropped';
    }
    if (c.kind === 'anonymous') {
      this.counters.anonymous++;
      this.countAnonymous(c.token, si, a.rssi + this.scannerOffset[si]!, a.at);
      return 'anonymous';
    }
    this.counters[c.subject.kind]++;
    const key = subjectKey(c.subject);
    let t = this.tracks.get(key);
    if (t) {
      // Re-insert: the map's order is least recently heard first (eviction order).
      this.tracks.delete(key);
    } else {
      t = {
        key,
        subject: c.subject,
        lastSeen: a.at,
        heardSince: a.at,
        windows: [],
        tracker: new ZoneTracker((z) => this.zoneParams.get(z)!),
        visit: null,
        stillness: 0,
        stillAt: a.at,
        motion: -1,
      };
    }
    this.tracks.set(key, t);
    if (a.at - t.lastSeen > this.maxWindowMs) t.heardSince = a.at;
    if (a.at > t.lastSeen) t.lastSeen = a.at;
    const w = (t.windows[si] ??= new SampleWindow(this.p.maxSamples));
    w.push(a.at, a.rssi);
    return c.subject.kind;
  }

  /** Runs every device's filter and state machine at `now`; returns the events, in order. */
  evaluate(now: number): PresenceEvent[] {
    const out: PresenceEvent[] = [];
    while (this.tracks.size > this.p.maxTracked) {
      const stalest = this.tracks.values().next().value as Track;
      this.close(stalest, stalest.lastSeen, 'evicted', out);
      this.counters.evicted++;
    }
    if (this.fingerprints) this.fitQuality.decay(now);
    for (const t of [...this.tracks.values()]) this.evaluateTrack(t, now, out);
    this.expireAnonymous(now);
    return out;
  }

  private evaluateTrack(t: Track, now: number, out: PresenceEvent[]): void {
    const unseen = now - t.lastSeen;
    if (t.visit && unseen >= this.p.visitEndMs) {
      this.close(t, t.lastSeen, 'visit-end', out);
      return;
    }
    const zone = t.tracker.zone;
    if (zone !== null && unseen >= this.zoneParams.get(zone)!.absenceTimeoutMs) {
      this.apply(t, (tr) => t.tracker.leave(t.lastSeen, 'absence', tr), out);
      return;
    }
    if (zone === null && unseen > this.maxWindowMs) {
      // Nothing to decide on; a device that never entered a zone is forgotten.
      if (!t.visit) this.tracks.delete(t.key);
      return;
    }
    // A device just heard (again) has a few samples from some scanners: placing it on those
    // would often pick the wrong zone. Wait until its windows are half full.
    if (zone === null && now - t.heardSince < this.maxWindowMs / 2) return;
    // Nothing new heard for half a window: the windows only age, scanners drop out one by
    // one and the zones' levels drift with no new evidence (a phone that left the store
    // "moved" to whichever zone's scanners kept its last samples longest). Hold the zone;
    // absence ends the stay if the device stays silent.
    if (zone !== null && unseen > this.zoneParams.get(zone)!.windowMs / 2) return;
    const m = this.p.motion;
    // Off (FIXED_MOTION): no extra pass over the rings.
    const still = m.stillWindowMs > 0 || m.movingMarginFactor < 1 ? this.stillnessOf(t, now) : 1;
    const levels = this.levelsOf(t, now, still);
    // The margin eases only in level mode: with a radio map the fit already follows a walker
    // (3 s window; simulated store p90 5 s) and an eased margin flapped there (0.28 → 0.84
    // false changes per hour on the simulated store).
    const factor = this.fingerprints ? 1 : m.movingMarginFactor;
    let marginScale = factor + still * (1 - factor);
    // Never eased below the noise of the lead itself (NOISE_LEADS × its standard error): with
    // one slow or smoothed receiver per zone a halved margin is within the noise and flapped
    // (corridor 36 → 59 false changes per hour; 4 × 1 moving 48 → 95).
    if (marginScale < 1 && zone !== null)
      marginScale = Math.min(1, Math.max(marginScale, (NOISE_LEADS * this.leadNoiseDb) / this.zoneParams.get(zone)!.switchMarginDb));
    this.apply(t, (tr) => t.tracker.step(levels, now, tr, marginScale), out);
  }

  /**
   * How still the device stands (0…1, MotionParams). Per scanner heard at least twice in
   * each of the last two MOTION_SPAN_MS: the squared change of its mean in units of that
   * change's noise (from the samples' own variance, at least MOTION_MIN_VAR_DB2); their mean,
   * smoothed, maps to a target between MOTION_LOW and MOTION_HIGH. Stillness falls to a lower
   * target at once and rises towards a higher one over `settleMs`.
   */
  private stillnessOf(t: Track, now: number): number {
    const h = this.halvesBuf;
    let z = 0;
    let m = 0;
    for (const w of t.windows) {
      if (!w) continue;
      w.halves(now, MOTION_SPAN_MS, h);
      const n0 = h[1]!;
      const n1 = h[3]!;
      if (n0 < 2 || n1 < 2) continue;
      const n = n0 + n1;
      const mean = (h[0]! + h[2]!) / n;
      const v = Math.max(MOTION_MIN_VAR_DB2, (h[4]! - n * mean * mean) / (n - 1));
      const d = h[2]! / n1 - h[0]! / n0;
      z += (d * d) / (v * (1 / n0 + 1 / n1));
      m++;
    }
    const dt = Math.max(0, now - t.stillAt);
    t.stillAt = now;
    if (m === 0) return t.stillness;
    t.motion = t.motion < 0 ? z / m : t.motion + (1 - Math.exp(-dt / MOTION_SMOOTH_MS)) * (z / m - t.motion);
    const target = Math.min(1, Math.max(0, (MOTION_HIGH - t.motion) / (MOTION_HIGH - MOTION_LOW)));
    t.stillness = target < t.stillness ? target : Math.min(target, t.stillness + dt / this.p.motion.settleMs);
    return t.stillness;
  }

  /**
   * Each zone's level: the combination of its own scanners' robust means (offsets applied),
   * or, with a radio map, the strongest of those less how much worse the zone fits.
   */
  private levelsOf(t: Track, now: number, still: number): ReadonlyMap<string, number> {
    const stillWindowMs = this.p.motion.stillWindowMs;
    this.sums.clear();
    this.levels.clear();
    this.scannerLevels.fill(NaN);
    this.zoneVar.clear();
    for (let si = 0; si < t.windows.length; si++) {
      const w = t.windows[si];
      if (!w) continue;
      const zp = this.scannerParams[si]!;
      const base = this.fingerprintParams?.windowMs ?? zp.windowMs;
      // Longer while the device stands still (MotionParams), never shorter than the base.
      const windowMs = stillWindowMs > base ? base + still * (stillWindowMs - base) : base;
      if (w.newest <= now - 2 * windowMs) continue;
      // Too few samples in the window (a slow phone, a few adverts lost): look back twice as
      // far rather than drop the scanner, whose absence would swing its zone's mean.
      if (w.collect(now - windowMs, now, this.scratch) < zp.minSamples && w.collect(now - 2 * windowMs, now, this.scratch) < zp.minSamples) continue;
      const n = this.scratch.length;
      const raw = robustMean(this.scratch, zp.fenceK);
      // The radio map holds levels as the scanners heard them (their offsets are part of
      // the reference), so the fit compares raw levels; the zones' levels get the offsets.
      this.scannerLevels[si] = raw;
      const level = raw + this.scannerOffset[si]!;
      const zone = this.scannerZone[si]!;
      if (still < 1) {
        // The mean's variance: an advert's at rest over their number. Not the samples' own
        // variance: walking, the trend inside the window inflates it (4 × 3 moving 0.750 →
        // 0.726 with it), and walking is when the margin eases.
        const v = ADVERT_VAR_DB2 / n;
        const zv = this.zoneVar.get(zone);
        if (zv) {
          zv.v += v;
          zv.n++;
        } else this.zoneVar.set(zone, { v, n: 1 });
      }
      const s = this.sums.get(zone);
      if (s) {
        s.sum += level;
        s.n++;
        if (level > s.max) s.max = level;
      } else this.sums.set(zone, { sum: level, n: 1, max: level });
    }
    for (const [zone, s] of this.sums) this.levels.set(zone, this.p.combine === 'max' ? s.max : s.sum / s.n);
    // A lead's variance is the sum of two zones' (a mean's: Σ var / k²); the typical zone's.
    let zv = 0;
    for (const x of this.zoneVar.values()) zv += x.v / (x.n * x.n);
    this.leadNoiseDb = this.zoneVar.size > 0 ? Math.sqrt((2 * zv) / this.zoneVar.size) : 0;
    if (this.fingerprints && this.levels.size > 0) this.fitted();
    return this.levels;
  }

  /** Replaces the zone levels by fitted ones (see FingerprintParams.levelPerMisfitDb). */
  private fitted(): void {
    let top = -Infinity;
    for (const l of this.levels.values()) if (l > top) top = l;
    this.fingerprints!.fit(this.scannerLevels, this.misfits);
    if (this.misfits.size === 0) return;
    let bestFit = Infinity;
    for (const m of this.misfits.values()) if (m < bestFit) bestFit = m;
    this.fitQuality.add(bestFit);
    const per = this.fingerprintParams!.levelPerMisfitDb;
    this.levels.clear();
    for (const [zone, m] of this.misfits) this.levels.set(zone, top - per * (m - bestFit));
  }

  /** Runs a tracker operation and turns its transitions into events (visits opened as needed). */
  private apply(t: Track, op: (out: ZoneTransition[]) => void, out: PresenceEvent[]): void {
    const tr = this.transitions;
    tr.length = 0;
    op(tr);
    for (const x of tr) {
      if (x.type === 'entered') {
        if (!t.visit) {
          t.visit = { id: this.visitId(x.at), startedAt: x.at, zones: new Map() };
          out.push({ type: 'visit-started', visitId: t.visit.id, subject: t.subject, at: x.at });
        }
        const z = t.visit.zones.get(x.zone);
        if (z) z.entries++;
        else t.visit.zones.set(x.zone, { dwellMs: 0, entries: 1 });
        out.push({ type: 'zone-entered', visitId: t.visit.id, subject: t.subject, zone: x.zone, at: x.at });
      } else {
        const dwellMs = x.at - x.enteredAt;
        const visit = t.visit!;
        visit.zones.get(x.zone)!.dwellMs += dwellMs;
        out.push({
          type: 'zone-left',
          visitId: visit.id,
          subject: t.subject,
          zone: x.zone,
          enteredAt: x.enteredAt,
          at: x.at,
          dwellMs,
          reason: x.reason,
        });
      }
    }
  }

  /** Closes the track's stay and visit and forgets it. */
  private close(t: Track, at: number, reason: LeaveReason, out: PresenceEvent[]): void {
    this.apply(t, (tr) => t.tracker.leave(at, reason, tr), out);
    if (t.visit) {
      const zones = [...t.visit.zones].map(([zone, d]) => ({ zone, dwellMs: d.dwellMs, entries: d.entries }));
      out.push({
        type: 'visit-ended',
        visitId: t.visit.id,
        subject: t.subject,
        startedAt: t.visit.startedAt,
        at: Math.max(at, t.visit.startedAt),
        zones,
        reason: reason === 'evicted' ? 'evicted' : 'unseen',
      });
    }
    this.tracks.delete(t.key);
  }

  /** Forgets a member at once, emitting nothing (erasure: their presence is purged, not ended). */
  erase(member: string): boolean {
    return this.tracks.delete(subjectKey({ kind: 'member', id: member }));
  }

  /** Current zone of a member or tag (null: in no zone, or not tracked). */
  zoneOf(subject: Subject): string | null {
    return this.tracks.get(subjectKey(subject))?.tracker.zone ?? null;
  }

  occupancy(now: number): ZoneOccupancy[] {
    const members = new Array<number>(this.zoneIds.length).fill(0);
    const tags = new Array<number>(this.zoneIds.length).fill(0);
    const anonymous = new Array<number>(this.zoneIds.length).fill(0);
    for (const t of this.tracks.values()) {
      const z = t.tracker.zone;
      if (z === null) continue;
      const i = this.zoneIndex.get(z)!;
      if (t.subject.kind === 'member') members[i]!++;
      else tags[i]!++;
    }
    for (const a of this.anonymous.values()) if (now - a.lastSeen <= this.p.anonymousWindowMs) anonymous[a.zone]!++;
    return this.zoneIds.map((zone, i) => ({ zone, members: members[i]!, tags: tags[i]!, anonymous: anonymous[i]! }));
  }

  /**
   * With a radio map: its points and the median best misfit (dB) of recent fits (half-life
   * 30 min), null before any; a map gone stale shows as a median well above the usual.
   */
  radioMapFit(): { points: number; medianMisfitDb: number | null } | null {
    if (!this.fingerprintParams) return null;
    const m = this.fitQuality.median();
    return { points: this.fingerprintParams.map.points.length, medianMisfitDb: m && Math.round(m.misfitDb * 100) / 100 };
  }

  /** Sizes of the engine's state (for the memory test and health). */
  stats(): { tracked: number; anonymous: number; samples: number } {
    let samples = 0;
    for (const t of this.tracks.values()) for (const w of t.windows) samples += w?.size ?? 0;
    return { tracked: this.tracks.size, anonymous: this.anonymous.size, samples };
  }

  private countAnonymous(token: number, si: number, level: number, at: number): void {
    // A salted hash, so the raw token is not what sits in memory.
    const h = Math.imul((token ^ this.salt) | 0, 0x85ebca6b) ^ Math.imul(((token >>> 16) ^ this.salt) | 0, 0xc2b2ae35);
    const zone = this.zoneIndex.get(this.scannerZone[si]!)!;
    const a = this.anonymous.get(h);
    if (a) {
      const decayed = a.level - Math.max(0, at - a.levelAt) * ANON_DECAY_DB_PER_MS;
      if (zone === a.zone || level >= decayed) {
        a.level = zone === a.zone ? Math.max(level, decayed) : level;
        a.zone = zone;
        a.levelAt = at;
      }
      if (at > a.lastSeen) a.lastSeen = at;
      this.anonymous.delete(h);
      this.anonymous.set(h, a);
    } else {
      this.anonymous.set(h, { lastSeen: at, zone, level, levelAt: at });
      if (this.anonymous.size > this.p.maxAnonymous) this.anonymous.delete(this.anonymous.keys().next().value as number);
    }
  }

  private expireAnonymous(now: number): void {
    for (const [h, a] of this.anonymous) {
      if (now - a.lastSeen <= this.p.anonymousWindowMs) break; // the rest were heard later
      this.anonymous.delete(h);
    }
  }
}
