/**
 * Presence, assembled (issue 4): BLE scanners → presence engine (pure core) → SQLite and the
 * outbox. Adverts are ingested as they arrive; every `evaluateIntervalMs` the engine decides
 * zones and the resulting events are stored with their outbox rows in one transaction.
 * Presence detail older than `retentionHours` is purged every `purgeIntervalMs`.
 *
 * Nothing here logs an advert, a token or a member number: logs carry counts and scanner
 * names only (DESIGN.md §9).
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { monotonicFactory } from 'ulid';
import type { Db } from '../../adapters/sqlite/open-database';
import { createPresenceRepo } from '../../adapters/sqlite/presence-repo';
import { createBleScanners } from '../../adapters/ble/create-ble-scanners';
import type { InProcessBleScanners } from '../../adapters/ble/in-process-scanners';
import type { NobleBleScanners } from '../../adapters/ble/noble-scanners';
import { withZoneOverrides, zoneIds, zoneParams, type PresenceConfig, type PresenceZoneConfig } from '../../config/presence-schema';
import { PresenceEngine } from '../../core/presence/engine';
import type { FingerprintParams, ZoneParams } from '../../core/presence/params';
import type { PresenceEvent, ZoneOccupancy } from '../../core/presence/events';
import { TokenTable, type TokenEntry } from '../../core/presence/token';
import type { Advert, BleScanners } from '../../ports/ble-scanner';
import type { Clock } from '../../ports/clock';
import type { DeviceHealth } from '../../ports/health';
import type { PresenceStore } from '../../ports/presence-store';
import { acceptPrefixes, engineParams, scannerSpecs, tokenEntries } from './presence-config';
import { presenceActive } from '../../config/presence-schema';
import { presenceOutboxEvent } from './presence-outbox';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import { loadRadioMap } from '../../config/radio-map-file';

export interface PresenceServiceDeps {
  config: Readonly<PresenceConfig>;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Store time zone (`store.timeZone`): daily aggregates are per store-local day. */
  timeZone: string;
  /** TTL of presence outbox rows: `sync.outbox.presenceTtlSeconds × 1000`. */
  outboxTtlMs: number;
  /** Scanners to use instead of the ones config names (tests, benchmarks). */
  scanners?: BleScanners;
  /** Run the evaluate and purge timers (default true); tests call `tick()` and `purge()`. */
  timers?: boolean;
  /**
   * The radio map already loaded (startGateway loads it before opening anything); null: none.
   * Undefined: loaded here from `presence.radioMap` (throws ConfigError when it is bad).
   */
  fingerprint?: FingerprintParams | null;
}

export interface OccupancyView {
  at: string;
  zones: Array<ZoneOccupancy & { label?: string }>;
  scanners: DeviceHealth[];
  /** With a radio map: its points and how well devices fit it lately (null without one). */
  radioMap: { points: number; medianMisfitDb: number | null } | null;
}

export interface PresenceService {
  /** False when presence is disabled or no scanner is configured. */
  readonly active: boolean;
  start(): void;
  stop(): Promise<void>;
  /** Runs the engine at `now` and stores the events; returns them. */
  tick(now?: number): PresenceEvent[];
  /** Deletes presence detail older than the retention. */
  purge(now?: number): { events: number; visits: number };
  occupancy(): OccupancyView;
  /** Scanner entries for /healthz and doctor (one `disabled` entry when presence is off). */
  health(): DeviceHealth[];
  /** Replaces the token table (HQ's push; config until then). */
  setTokens(entries: readonly TokenEntry[]): void;
  /**
   * HQ's zone entries (sync `cfg` `zones`, already validated) over the local config: labels
   * in `occupancy()` and parameters in the engine, at once. HQ wins for the fields it sends,
   * the local config gives the rest; an empty list restores the local config. Throws on a
   * zone id that is not a zone here (nothing changes then).
   */
  applyZoneOverrides(zones: readonly PresenceZoneConfig[]): void;
  /** The parameters a zone runs with now (undefined: not a zone here). */
  zoneParams(zone: string): ZoneParams | undefined;
  /**
   * Every advert batch also goes to `tap` (null: none). For the calibration recorder only
   * (presence-calibration.ts), which keeps the reference tag's reports and drops the rest.
   */
  setAdvertTap(tap: ((batch: readonly Advert[]) => void) | null): void;
  /** Places devices by this radio map from now on (null: by their zones' own scanners). */
  applyRadioMap(fp: FingerprintParams | null): void;
  /** Erasure: forgets the member now and deletes their stored presence; returns rows deleted. */
  eraseMember(memberNumber: string): number;
  /** Stored events as they happen (offers, the demo's live view). Returns unsubscribe. */
  onEvents(listener: (events: readonly PresenceEvent[]) => void): () => void;
  stats(): { adverts: Record<string, number>; tracked: number; anonymous: number; samples: number; pending: number };
  /** Adverts heard per configured scanner since start and when each was last heard (epoch ms); live, do not modify. */
  heard(): ReadonlyMap<string, { readonly count: number; readonly lastAt: number }>;
  /** The scanners in use (the demo pushes into simulated ones). */
  readonly scanners: BleScanners | null;
  readonly simulated: InProcessBleScanners | null;
  readonly noble: NobleBleScanners | null;
}

/** Events kept for a retry when the database refuses a batch; beyond this the oldest go. */
const MAX_PENDING = 10_000;

export function createPresenceService(deps: PresenceServiceDeps): PresenceService {
  const cfg = deps.config;
  const log = deps.logger.child({ component: 'presence' });
  const active = presenceActive(cfg);
  const nextId = monotonicFactory();
  const newId = () => nextId(deps.clock.now());
  const fingerprint = deps.fingerprint === undefined ? loadRadioMap(cfg) : (deps.fingerprint ?? undefined);
  const engine = new PresenceEngine(engineParams(cfg, fingerprint), {
    tokens: new TokenTable(tokenEntries(cfg)),
    visitId: (at) => nextId(at),
    anonymousSalt: randomInt(0, 2 ** 31),
  });
  const store: PresenceStore = createPresenceRepo(deps.db, {
    timeZone: deps.timeZone,
    toOutbox: (e, now) => presenceOutboxEvent(e, now, deps.outboxTtlMs),
    outbox: createOutboxWriter(deps.db, { newId }),
  });
  const labelsOf = (p: PresenceConfig) => new Map(p.zones.filter((z) => z.label).map((z) => [z.id, z.label!]));
  let labels = labelsOf(cfg);

  let scanners: BleScanners | null = deps.scanners ?? null;
  let simulated: InProcessBleScanners | null = null;
  let noble: NobleBleScanners | null = null;
  if (active && !scanners) {
    const made = createBleScanners(
      {
        driver: cfg.driver,
        scanners: scannerSpecs(cfg),
        accept: acceptPrefixes(cfg),
        retryMinMs: cfg.retryMinMs,
        retryMaxMs: cfg.retryMaxMs,
        startTimeoutMs: cfg.startTimeoutMs,
      },
      { clock: deps.clock, logger: log },
    );
    scanners = made;
    if (made.kind === 'simulated') simulated = made.sim;
    else noble = made.noble;
  }

  const listeners = new Set<(events: readonly PresenceEvent[]) => void>();
  let pending: PresenceEvent[] = [];
  let timers: NodeJS.Timeout[] = [];
  let started = false;
  let stopped: Promise<void> | undefined;

  let tap: ((batch: readonly Advert[]) => void) | null = null;
  // Per scanner: adverts heard and when last (metrics, the store page). One map lookup per advert.
  const heard = new Map<string, { count: number; lastAt: number }>();
  const ingest = (batch: readonly Advert[]) => {
    for (const a of batch) {
      engine.ingest(a);
      const h = heard.get(a.scanner);
      if (h) {
        h.count++;
        if (a.at > h.lastAt) h.lastAt = a.at;
      } else heard.set(a.scanner, { count: 1, lastAt: a.at });
    }
    tap?.(batch);
  };

  const persist = (events: PresenceEvent[], now: number): boolean => {
    const batch = pending.length ? [...pending, ...events] : events;
    if (batch.length === 0) return true;
    try {
      store.record(batch, now);
      pending = [];
    } catch (e) {
      pending = batch.slice(-MAX_PENDING);
      log.error({ err: e, pending: pending.length }, 'presence events not stored; will retry');
      return false;
    }
    for (const l of listeners) {
      try {
        l(batch);
      } catch (e) {
        log.error({ err: e }, 'presence listener failed');
      }
    }
    return true;
  };

  const tick = (now = deps.clock.now()): PresenceEvent[] => {
    const events = engine.evaluate(now);
    persist(events, now);
    return events;
  };

  const purge = (now = deps.clock.now()) => {
    const r = store.purge(now - cfg.retentionHours * 3_600_000);
    if (r.events || r.visits) log.info(r, 'presence detail purged');
    return r;
  };

  /** Visits a previous run left open get their end now (at their last stored event). */
  const closeOrphans = (now: number) => {
    const open = store.openVisits();
    if (open.length === 0) return;
    persist(
      open.map((v) => ({
        type: 'visit-ended' as const,
        visitId: v.visitId,
        subject: v.subject,
        startedAt: v.startedAt,
        at: v.lastAt,
        zones: v.zones,
        reason: 'gateway-restart' as const,
      })),
      now,
    );
    log.info({ visits: open.length }, 'closed visits left open by the previous run');
  };

  return {
    active,
    scanners,
    simulated,
    noble,
    start() {
      if (started || !active) return;
      started = true;
      closeOrphans(deps.clock.now());
      purge();
      scanners!.start(ingest);
      if (deps.timers !== false) {
        timers = [setInterval(() => tick(), cfg.evaluateIntervalMs), setInterval(() => purge(), cfg.purgeIntervalMs)];
        for (const t of timers) t.unref();
      }
      log.info(
        { scanners: cfg.scanners.length, zones: engine.zones.length, driver: cfg.driver, radioMapPoints: fingerprint?.map.points.length ?? 0 },
        fingerprint ? 'presence started (zones by radio map)' : 'presence started',
      );
    },
    stop: () =>
      (stopped ??= (async () => {
        for (const t of timers) clearInterval(t);
        timers = [];
        if (scanners && started) await scanners.stop();
        if (started && deps.db.open) tick();
      })()),
    tick,
    purge,
    occupancy: () => ({
      at: new Date(deps.clock.now()).toISOString(),
      zones: engine.occupancy(deps.clock.now()).map((z) => (labels.has(z.zone) ? { ...z, label: labels.get(z.zone)! } : z)),
      scanners: scanners?.health() ?? [],
      radioMap: engine.radioMapFit(),
    }),
    health: () =>
      active && scanners
        ? scanners.health()
        : [
            {
              name: 'presence',
              kind: 'ble-scanner',
              state: 'disabled',
              detail: cfg.enabled ? 'no scanners configured (presence.scanners)' : 'presence.enabled is false',
            },
          ],
    setTokens(entries) {
      engine.setTokens(new TokenTable(entries));
    },
    applyZoneOverrides(zones) {
      const known = new Set(engine.zones);
      const unknown = zones.find((z) => !known.has(z.id));
      if (unknown) throw new RangeError(`unknown zone ${unknown.id}: not a zone of this store's presence config`);
      const merged = withZoneOverrides(cfg, zones);
      engine.setZoneParams(zoneIds(merged).map((id) => ({ id, params: zoneParams(merged, id) })));
      labels = labelsOf(merged);
      log.info({ zones: zones.length }, 'presence: HQ zone settings applied');
    },
    zoneParams: (zone) => engine.paramsOf(zone),
    setAdvertTap(t) {
      tap = t;
    },
    applyRadioMap(fp) {
      engine.setFingerprint(fp);
      log.info({ radioMapPoints: fp?.map.points.length ?? 0 }, fp ? 'radio map applied' : 'radio map removed');
    },
    eraseMember(memberNumber) {
      engine.erase(memberNumber);
      pending = pending.filter((e) => !(e.subject.kind === 'member' && e.subject.id === memberNumber));
      return store.eraseMember(memberNumber);
    },
    onEvents(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    stats: () => ({ adverts: { ...engine.counters }, ...engine.stats(), pending: pending.length }),
    heard: () => heard,
  };
}
