/**
 * The gateway process, assembled: database → members seed → cards → presence → HQ sync →
 * daily jobs → offers and bonuses → till service and lanes → HTTP (API, store page, metrics).
 * `stop()` takes frames off first (lanes: the request in hand is finished and answered), then
 * the subsystems, then HTTP, then the database, so nothing is written after close. A start
 * that fails part-way (a port in use, a subsystem that throws) unwinds what it had started,
 * in reverse, and throws one error: the process is left with nothing open.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/schema';
import { systemClock, type Clock } from '../ports/clock';
import type { GatewayHealth } from '../ports/health';
import type { CardReaders } from '../ports/card-reader';
import { openLedger } from '../adapters/sqlite/open-ledger';
import type { Db } from '../adapters/sqlite/open-database';
import { buildApi } from '../api/build-api';
import { configuredKiosks, kioskRoutes } from '../api/kiosk-routes';
import { ensureScreenKeys, type ScreenKeys } from './kiosk/screen-keys';
import { phoneRoutes } from '../api/phone-routes';
import { createOffersService, type OffersService } from './offers/offers-service';
import { createRewards } from './loyalty/rewards';
import { createProgramDaily } from './loyalty/program-daily';
import { createProgramBonuses } from './loyalty/program-bonuses';
import { kioskRewardsFrom } from './kiosk/kiosk-rewards';
import { kioskTiersFrom } from './kiosk/kiosk-tiers';
import { createTillService } from './till/till-service';
import { createMembersService, seedMembers } from './members/members';
import { createCardLinks } from './members/card-links';
import { createStaffSessions } from './members/staff-sessions';
import { createLanes } from './till/lanes';
import { summariseHealth } from './summarise-health';
import { startCards, type CardSubsystem } from './cards/cards';
import { createPresenceService, type PresenceService } from './presence/presence-service';
import { loadRadioMap } from '../config/radio-map-file';
import { presenceRoutes } from '../api/presence-routes';
import { presenceCalibrationRoutes } from '../api/presence-calibration-routes';
import { createPresenceCalibration } from './presence/presence-calibration-setup';
import { checkHqZones, startGatewaySync, type SyncAgent } from './sync/gateway-sync';
import type { PresenceZoneConfig } from '../config/presence-schema';
import type { StoreConfig } from '../../sync/schemas/downlink';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/gateway-metrics';
import { gatewayVersion, metricsToken } from './metrics/metrics-setup';
import { buildMetricsServer, metricsRoutes } from '../api/metrics-routes';
import { schemaVersion } from '../adapters/sqlite/migrate';
import { radioMapAge } from './metrics/gateway-metrics';
import { createLedgerTallies } from './metrics/ledger-tallies';
import { createStoreLive, type StoreLive } from './store-page/store-live';
import { storePageRoutes } from '../api/store-page-routes';
import { claimDatabase } from '../adapters/sqlite/gateway-lock';
import { createMemberProgram } from './loyalty/member-program';
import { fault } from '../core/faults';

export interface GatewayDeps {
  logger: Logger;
  clock?: Clock;
  /** Card readers to use instead of nfc-pcsc (the demo's in-process readers, tests). */
  cardReaders?: CardReaders;
  /** Listen on HTTP (default true). Tests and benchmarks may skip it. */
  listen?: boolean;
  /** Where a generated kiosk screen key is shown once, for pairing (default: stdout, never the log). */
  printPairing?: (line: string) => void;
  /** Test seam: sees every HTTP route as it is registered (buildApi's onRoute). */
  onApiRoute?: Parameters<typeof buildApi>[0]['onRoute'];
}

export interface RunningGateway {
  readonly config: Readonly<GatewayConfig>;
  readonly db: Db;
  readonly api: FastifyInstance;
  /** The till service, for in-process drivers (demo, benchmarks). */
  readonly till: ReturnType<typeof createTillService>;
  /** Version of the HQ config whose earning rules are in force (undefined: the file's). */
  readonly rulesVersion: number | undefined;
  readonly cards: CardSubsystem | undefined;
  readonly presence: PresenceService;
  /** Location-triggered offers (issue 8), for in-process drivers (benchmarks, demo). */
  readonly offers: OffersService;
  /** HQ sync (undefined when `sync.brokerUrl` is not set). */
  readonly sync: SyncAgent | undefined;
  /** Every kiosk's screen key (configured or generated), for pairing URLs. */
  readonly screenKeys: ScreenKeys;
  /** Prometheus metrics (issue 16); undefined when `metrics.enabled` is false. */
  readonly metrics: GatewayMetrics | undefined;
  url(): string | undefined;
  /** The metrics-only listener's URL (`metrics.listen`), when there is one. */
  metricsUrl(): string | undefined;
  health(): GatewayHealth;
  stop(): Promise<void>;
}

type Started = (what: string, undo: () => unknown) => void;

export async function startGateway(config: Readonly<GatewayConfig>, deps: GatewayDeps): Promise<RunningGateway> {
  const undo: Array<{ what: string; run: () => unknown }> = [];
  try {
    return await assembleGateway(config, deps, (what, run) => undo.push({ what, run }));
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        await u.run();
      } catch (e2) {
        deps.logger.warn({ err: e2, what: u.what }, 'start failed; could not undo a step');
      }
    }
    throw startFailure(e, config);
  }
}

/** A listen that failed because the port is taken is a fault with one line; other errors pass as they are. */
function startFailure(e: unknown, config: Readonly<GatewayConfig>): unknown {
  const err = e as { code?: string; address?: string; port?: number };
  if (err?.code === 'EADDRINUSE') {
    const where = err.address !== undefined ? `${err.address}:${err.port}` : `${config.http.host}:${config.http.port}`;
    return fault('TROUW_START_FAILED', `${where} is in use (another process listens there; set http.port or metrics.listen)`, { cause: e });
  }
  return e;
}

async function assembleGateway(config: Readonly<GatewayConfig>, deps: GatewayDeps, started: Started): Promise<RunningGateway> {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger;
  const startedAt = clock.now();
  // A bad radio map (presence.radioMap) stops the start before anything is opened.
  const radioMap = loadRadioMap(config.presence) ?? null;

  // One gateway per database (a pid file beside it; restore and a second start refuse).
  const release = claimDatabase(config.database.path);
  started('database claim', release);
  const ledger = openLedger(config.database.path, { busyTimeoutMs: config.database.busyTimeoutMs });
  started('database', () => ledger.close());
  const db = ledger.db;
  const seeded = seedMembers(db, config.members, clock.now());
  log.info({ seeded, schemaVersion: schemaVersion(db) }, 'database open');
  const token = config.metrics.enabled ? metricsToken(config.metrics) : undefined;

  // Metrics read the subsystems when scraped, so they are made first and see them as they come.
  // eslint-disable-next-line prefer-const -- assigned once, below; the metrics closures read it before
  let sync: SyncAgent | undefined;
  const live: { presence?: PresenceService; lanes?: ReturnType<typeof createLanes> } = {};
  let kioskSessionsOpen: (() => number) | undefined;
  // eslint-disable-next-line prefer-const -- assigned once, below; the metrics closures read it before
  let cards: CardSubsystem | undefined;
  const metrics = config.metrics.enabled
    ? createGatewayMetrics(
        {
          db,
          clock,
          version: gatewayVersion(),
          schemaVersion: schemaVersion(db),
          laneIds: config.lanes.map((l) => l.id),
          lanes: () => live.lanes?.health() ?? [],
          sync: () => (sync ? { link: sync.link.state, stats: sync.publisher.stats() } : undefined),
          presence: () => {
            const p = live.presence;
            if (!p?.active) return undefined;
            const o = p.occupancy();
            return { scanners: o.scanners, adverts: p.heard(), tracked: p.stats().tracked, zones: o.zones, radioMap: o.radioMap };
          },
          radioMapFile: config.presence.radioMap?.file,
          cards: () => cards?.health() ?? [],
          readerPlaces: [...new Set(config.cards.readers.map((r) => r.place))],
          kioskSessionsActive: () => kioskSessionsOpen?.() ?? 0,
        },
        { buckets: config.metrics.buckets },
      )
    : undefined;
  cards = startCards(config, { db, clock, logger: log, readers: deps.cardReaders });
  started('cards', () => cards?.stop());
  // The till service is rebuilt when HQ sends new earning rules (sync `cfg`); requests in
  // flight finish on the service that took them, the next ones use the new rules.
  const tillFor = (rules: GatewayConfig['loyalty']) =>
    createTillService({
      db,
      rules,
      program: config.program,
      store: config.store,
      clock,
      cardTaps: cards?.router,
      staffSession: staffSessionAt,
      ...(metrics && {
        onCommit: (s: number) => metrics!.ledgerCommit(s),
        onFault: (e: unknown, info: { lane: string; type: string }) => {
          metrics!.tillFault(e);
          const err = e as { name?: string; code?: string; message?: string };
          // Never the request body (it may carry a member number): name, code and message.
          log.error({ lane: info.lane, type: info.type, error: { name: err?.name, code: err?.code, message: err?.message } }, 'till request fault');
        },
      }),
      reviewAbovePoints: config.till.reviewAbovePoints,
    });
  // A staff pass tapped at a lane opens a session through that lane's till (issue 14): the
  // link is the proof of place. Only a staff tap is consumed; a member's waits for the sale.
  const staffSessionAt = (lane: string) => {
    const place = `lane:${lane}`;
    const now = clock.now();
    const tap = cards?.router.peek(place, now);
    if (tap?.outcome !== 'identified' || !tap.staff) return undefined;
    cards?.router.take(place, now);
    return sessions.open(tap, place);
  };
  let till = tillFor(config.loyalty);
  let rulesVersion: number | undefined;
  const applyHqConfig = (cfg: StoreConfig): string[] => {
    const applied: string[] = [];
    if (cfg.loyalty) {
      till = tillFor(cfg.loyalty);
      rulesVersion = cfg.version;
      applied.push('loyalty');
    }
    if (cfg.tokens) {
      // Rotating BLE tokens of consenting members for epochs e-1…e+1 (DESIGN.md §4).
      presence.setTokens(cfg.tokens.epochs.flatMap((e) => e.entries.map((t) => ({ member: t.member, epoch: e.epoch, token: t.token }))));
      applied.push('tokens');
    }
    if (cfg.zones) {
      // Checked before a new document is accepted (checkHqConfig); checked again here for the
      // stored one applied at start, which the local presence config may have outgrown.
      const problems = checkHqZones(cfg.zones, config.presence);
      if (problems.length)
        log.warn({ version: cfg.version, problems: problems.slice(0, 3) }, "sync: HQ zone settings do not fit this store's presence config; not applied");
      else {
        presence.applyZoneOverrides(cfg.zones as PresenceZoneConfig[]);
        applied.push('zones');
      }
    }
    if (cfg.staff) {
      // HQ's staff tokens (role `admin`: the store-IT API); a token left out is refused at once.
      sessions.setHqStaff(cfg.staff);
      applied.push('staff');
    }
    return applied;
  };
  // Store-IT authority: http.adminToken, staff passes, and HQ's staff list (set by applyHqConfig).
  const sessions = createStaffSessions({ clock, adminToken: config.http.adminToken });
  // Presence (issue 4): scanners → zones, dwell, visits; off without scanners.
  const presence = createPresenceService({
    config: config.presence,
    db,
    clock,
    logger: log,
    timeZone: config.store.timeZone,
    outboxTtlMs: config.sync.outbox.presenceTtlSeconds * 1000,
    fingerprint: radioMap,
  });
  live.presence = presence;
  presence.start();
  started('presence', () => presence.stop());
  // HQ sync (issue 5): publishes the outbox the ledger writes; off unless sync.brokerUrl is set.
  sync = await startGatewaySync(config, { db, clock, logger: log, applyHqConfig, forgetMember: (n) => void presence.eraseMember(n) });
  started('sync', () => sync?.stop());
  // HQ's last accepted config outlives restarts: apply it over the file's rules.
  const stored = sync?.downlink.runningConfig();
  if (stored) applyHqConfig(stored.config);
  // Store midnight: expiry, expiry notices, tier reviews; catches up first after a power-off.
  const daily = createProgramDaily({
    db,
    clock,
    timeZone: config.store.timeZone,
    program: config.program,
    onError: (e) => {
      if (typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('SQLITE')) metrics?.databaseError('program-daily');
      log.error({ err: e }, 'daily program job failed');
    },
  });
  daily.start();
  started('daily jobs', () => daily.stop());
  // Location-triggered offers (issue 8): presence events in, offers to phones out.
  const offers = createOffersService({
    config: config.offers,
    db,
    clock,
    timeZone: config.store.timeZone,
    program: config.program,
    logger: log,
    ...(metrics && { onDecided: (r: string) => metrics.offerDecided(r) }),
  });
  offers.start();
  started('offers', () => offers.stop());
  const detachOffers = offers.attach(presence);
  started('offers ← presence', detachOffers);
  // Earning without buying (issue 6): event attendance from presence, a join bonus.
  const bonuses = createProgramBonuses({
    db,
    clock,
    timeZone: config.store.timeZone,
    program: config.program,
    onError: (e) => log.error({ err: e }, 'bonus award failed'),
  });
  const detachBonuses = bonuses.attach(presence);
  started('bonuses ← presence', detachBonuses);
  // The visit bonus (program.bonuses.visitPoints): a member's visit start as presence sees it.
  const detachVisits = createMemberProgram({ db, clock, timeZone: config.store.timeZone, program: config.program }).attachVisits(presence, (e) =>
    log.error({ err: e }, 'visit bonus failed'),
  );
  started('visit bonus ← presence', detachVisits);
  const lanes = createLanes(config, { logger: log, clock });
  live.lanes = lanes;
  let stopping = false;
  // Last request per lane (the store page): one Map.set of an existing key per request.
  const laneActivity = new Map<string, number>();
  if (metrics) {
    // One histogram observe per request; the lane's child is looked up in a Map made once.
    lanes.start(async (body, ctx) => {
      const t0 = performance.now();
      laneActivity.set(ctx.lane, clock.now());
      try {
        return await till.handle(body, ctx);
      } finally {
        metrics.tillRequest(ctx.lane).observe((performance.now() - t0) / 1000);
      }
    });
  } else {
    lanes.start((body, ctx) => {
      laneActivity.set(ctx.lane, clock.now());
      return till.handle(body, ctx);
    });
  }
  started('lanes', () => lanes.stop());
  // The store page (issue 16): the live view of lanes, devices, zones, outbox and events.
  const readerActivity = new Map<string, number>();
  const readerPlaces = [...new Set(config.cards.readers.map((r) => r.place))];
  const outboxOldest = db.prepare('SELECT time FROM outbox ORDER BY seq LIMIT 1');
  const outboxRows = db.prepare('SELECT coalesce(max(seq) - min(seq) + 1, 0) AS n FROM outbox');
  const mapCreatedAt = radioMapAge(config.presence.radioMap?.file);
  const scannerZones = new Map(config.presence.scanners.map((s) => [s.name, s.zone]));
  const storeLive: StoreLive = createStoreLive({
    clock,
    tallies: createLedgerTallies(db),
    input: () => {
      const o = presence.occupancy();
      const oldest = db.open ? (outboxOldest.get() as { time: string } | undefined) : undefined;
      return {
        health: health(),
        lanes: lanes.health(),
        laneActivity,
        readerPlaces,
        readerActivity,
        zones: o.zones,
        scannerZones,
        scannerHeard: presence.heard(),
        sync: sync ? { stats: sync.publisher.stats() } : undefined,
        outboxOldestAt: oldest ? Date.parse(oldest.time) : undefined,
        outboxRows: db.open ? (outboxRows.get() as { n: number }).n : 0,
        radioMap: o.radioMap,
        radioMapCreatedAt: mapCreatedAt(),
        floorPlan: config.floorPlan,
      };
    },
  });
  started('store page', () => storeLive.stop());
  const detachTaps = cards?.readers.onTap((tap) => {
    metrics?.cardTap(tap);
    if (tap.place) readerActivity.set(`${tap.place.type}:${tap.place.id}`, tap.at);
    storeLive.tap(tap);
  });

  const health = (): GatewayHealth =>
    summariseHealth({
      config,
      startedAt,
      lanes: lanes.health(),
      database: { name: 'ledger', kind: 'sqlite', state: db.open ? 'up' : 'down' },
      devices: [
        ...(cards ? cards.health() : [{ name: 'card-readers', kind: 'pcsc', state: 'disabled' as const, detail: 'no readers configured' }]),
        ...presence.health(),
        ...(sync ? sync.health() : []),
      ],
    });

  const memberRecords = createMembersService({ db, clock });
  const members: typeof memberRecords = {
    ...memberRecords,
    create: (input) => {
      const created = memberRecords.create(input);
      if (created.ok) bonuses.awardJoin(created.value.id);
      return created;
    },
  };
  const store = {
    sessions,
    members,
    cardLinks: createCardLinks({ db, clock, members }),
    taps: cards?.router,
    clock,
  };
  // Every kiosk has a screen key: configured, or generated once into the data directory.
  const screenKeys = ensureScreenKeys({
    kiosks: configuredKiosks(config.cards.readers),
    configured: config.kiosk.screenKeys,
    dataDir: config.database.path === ':memory:' || config.database.path === '' ? undefined : dirname(config.database.path),
    print: deps.printPairing ?? ((line) => void process.stdout.write(`${line}\n`)),
  });
  const api = await buildApi({ logger: log, health, ready: () => db.open && !stopping, store, staff: sessions, screenKeys, onRoute: deps.onApiRoute });
  started('http', () => api.close());
  await api.register(kioskRoutes, {
    router: cards?.router,
    members,
    cardLinks: store.cardLinks,
    db,
    clock,
    config,
    health,
    screenKeys,
    staffSessions: sessions,
    screenIdleMs: config.kiosk.idleMs,
    rewards: kioskRewardsFrom(createRewards({ db, clock, timeZone: config.store.timeZone, program: config.program })),
    tiers: kioskTiersFrom({ db, clock, timeZone: config.store.timeZone, program: config.program }),
    ...(metrics && {
      sessionMetrics: { opened: (k: 'member' | 'join' | 'staff') => metrics.kioskSessionOpened(k), track: (n: () => number) => void (kioskSessionsOpen = n) },
    }),
  });
  await api.register(storePageRoutes, { live: storeLive });
  await api.register(presenceRoutes, { occupancy: () => presence.occupancy() });
  // Recording a calibration walk (docs/presence.md, "Radio map"): the reference tag only.
  const calibration = createPresenceCalibration(config.presence, { presence, clock, logger: log, databasePath: config.database.path });
  await api.register(presenceCalibrationRoutes, calibration);
  await api.register(phoneRoutes, {
    offers,
    clock,
    hqPublicKey: config.offers.phone.hqPublicKey,
    knownMember: (n) => members.findByNumber(n) !== undefined,
    pingMs: config.offers.phone.pingMs,
    maxStreamsPerMember: config.offers.phone.maxStreamsPerMember,
  });
  // Prometheus (issue 16): on its own listener when `metrics.listen` is set, else here behind the token.
  const metricsServer = metrics && config.metrics.listen ? await buildMetricsServer({ scrape: metrics.scrape, token, logger: log }) : undefined;
  started('metrics http', () => metricsServer?.close());
  if (metrics && !metricsServer) await api.register(metricsRoutes, { scrape: metrics.scrape, token, ownListener: false });
  let url: string | undefined;
  let metricsUrl: string | undefined;
  if (deps.listen !== false) {
    url = await api.listen({ host: config.http.host, port: config.http.port });
    log.info({ url }, 'http listening');
    if (metricsServer && config.metrics.listen) {
      metricsUrl = await metricsServer.listen({ host: config.metrics.listen.host, port: config.metrics.listen.port });
      log.info({ url: metricsUrl }, 'metrics listening');
    }
  }

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      log.info('stopping: lanes');
      await lanes.stop();
      await cards?.stop();
      detachOffers();
      detachBonuses();
      detachVisits();
      await presence.stop();
      await sync?.stop();
      await daily.stop();
      offers.stop();
      await api.close();
      await metricsServer?.close();
      detachTaps?.();
      storeLive.stop();
      await ledger.close();
      release();
      log.info('stopped');
    })());

  return {
    config,
    db,
    api,
    get till() {
      return till;
    },
    get rulesVersion() {
      return rulesVersion;
    },
    cards,
    presence,
    offers,
    sync,
    screenKeys,
    metrics,
    url: () => url,
    metricsUrl: () => metricsUrl,
    health,
    stop,
  };
}
