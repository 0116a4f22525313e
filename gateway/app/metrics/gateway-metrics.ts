/**
 * The gateway's Prometheus metrics (issue 16; docs/operations.md lists every series).
 *
 * Conventions: base units (`_seconds`, `_bytes`), counters end in `_total`, one `trouw_`
 * prefix. Labels are bounded by the config: lane ids, scanner names, zone ids, reader places,
 * outcome and reason codes from fixed lists. No member number, token or card data is ever a
 * label value (test/unit/metrics.test.ts scrapes a busy gateway and checks).
 *
 * Cost: state that already exists (link counters, health, stats) is read when Prometheus
 * scrapes (`collect`), not pushed on every event. On the till path there is one histogram
 * observe per request (lane child looked up once) and one per commit.
 */
import { readFileSync, statSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../adapters/sqlite/open-database';
import type { LinkHealth } from '../../ports/pos-link';
import type { DeviceHealth } from '../../ports/health';
import type { CardTap } from '../../ports/card-reader';
import type { Clock } from '../../ports/clock';
import type { PublisherStats } from '../../../sync/gateway/publisher';
import type { LinkState } from '../../../sync/gateway/broker-link';
import { createLedgerTallies } from './ledger-tallies';

export interface MetricSources {
  db: Db;
  clock: Clock;
  lanes: () => readonly LinkHealth[];
  /** Configured lane ids (the request histogram has a child per lane, made once). */
  laneIds: readonly string[];
  /** HQ sync; undefined when `sync.brokerUrl` is not set. */
  sync?: () => { link: LinkState; stats: PublisherStats } | undefined;
  presence?: () =>
    | undefined
    | {
        scanners: readonly DeviceHealth[];
        /** Adverts heard per scanner since start, and when each was last heard (epoch ms). */
        adverts: ReadonlyMap<string, { count: number; lastAt: number }>;
        tracked: number;
        zones: ReadonlyArray<{ zone: string; members: number; tags: number; anonymous: number }>;
        radioMap: { points: number; medianMisfitDb: number | null } | null;
      };
  /** The radio map file, for its age (`createdAt` in it, else its modification time). */
  radioMapFile?: string | undefined;
  /** Card-reader health entries and the configured places. */
  cards?: () => readonly DeviceHealth[];
  readerPlaces: readonly string[];
  kioskSessionsActive?: () => number;
  schemaVersion: number;
  version: string;
}

/** Rejected-tap reasons that point at the reader or its driver rather than the card. */
const READER_ERRORS = new Set(['read-failed', 'timeout', 'removed']);
const CAPS = new Set(['campaign-cap', 'member-daily-cap', 'min-gap', 'store-rate']);

export interface GatewayMetrics {
  readonly registry: Registry;
  /** The request-time histogram child of a lane (look it up once per lane). */
  tillRequest(lane: string): { observe(seconds: number): void };
  /** One ledger commit (a group of till requests) took this long. */
  ledgerCommit(seconds: number): void;
  /** A till request failed with a fault (answered `internal`). */
  tillFault(error: unknown): void;
  /** A database error outside the till (daily jobs, presence storage). */
  databaseError(component: 'till' | 'program-daily' | 'presence' | 'offers'): void;
  cardTap(tap: CardTap): void;
  offerDecided(result: 'sent' | string): void;
  kioskSessionOpened(kind: 'member' | 'join' | 'staff'): void;
  /** The exposition text, and its content type. */
  scrape(): Promise<{ text: string; contentType: string }>;
}

const isSqliteError = (e: unknown) => typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('SQLITE');

export function createGatewayMetrics(src: MetricSources, opts: { buckets: readonly number[] }): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const tallies = createLedgerTallies(src.db);
  const outboxOldest = src.db.prepare('SELECT time FROM outbox ORDER BY seq LIMIT 1') as Statement<[], { time: string }>;
  const nowS = () => src.clock.now() / 1000;
  const startedAt = src.clock.now();

  new Gauge({ name: 'trouw_build_info', help: 'Gateway version and database schema version (value 1)', labelNames: ['version', 'schema'], registers }).set(
    { version: src.version, schema: String(src.schemaVersion) },
    1,
  );

  // --- Till lanes: link state and frame counters, read from each link at scrape time.
  const laneGauge = (name: string, help: string, pick: (l: LinkHealth) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['lane'],
      registers,
      collect() {
        this.reset();
        for (const l of src.lanes()) this.set({ lane: l.lane }, pick(l));
      },
    });
  // A counter whose per-lane values are read at scrape time (the sources keep their own totals).
  const perLaneCounter = (name: string, help: string, rows: () => Iterable<readonly [lane: string, value: number]>) =>
    new Counter({
      name,
      help,
      labelNames: ['lane'],
      registers,
      collect() {
        this.reset();
        for (const [lane, value] of rows()) this.inc({ lane }, value);
      },
    });
  const laneCounter = (name: string, help: string, pick: (l: LinkHealth) => number) =>
    perLaneCounter(name, help, () => src.lanes().map((l) => [l.lane, pick(l)] as const));
  laneGauge('trouw_lane_up', 'Till link state: 1 up, 0 connecting, down or stopped', (l) => (l.state === 'up' ? 1 : 0));
  laneGauge('trouw_lane_state_change_timestamp_seconds', 'When the till link last changed state', (l) => l.since / 1000);
  laneCounter('trouw_lane_frames_received_total', 'Valid frames received from the till', (l) => l.counters.framesIn);
  laneCounter('trouw_lane_frames_sent_total', 'Frames sent to the till', (l) => l.counters.framesOut);
  laneCounter('trouw_lane_naks_sent_total', 'NAKs sent (corrupt frames from the till)', (l) => l.counters.naksSent);
  laneCounter('trouw_lane_naks_received_total', 'NAKs received from the till', (l) => l.counters.naksReceived);
  laneCounter('trouw_lane_retries_total', 'Answers sent again (NAK or timeout)', (l) => l.counters.retries);
  laneCounter('trouw_lane_duplicate_frames_total', 'Repeated frames ACKed and not handled again', (l) => l.counters.duplicates);
  laneCounter('trouw_lane_garbage_bytes_total', 'Bytes dropped between frames', (l) => l.counters.garbageBytes);

  const request = new Histogram({
    name: 'trouw_till_request_duration_seconds',
    help: 'Till request processing time, frame in to answer ready',
    labelNames: ['lane'],
    buckets: [...opts.buckets],
    registers,
  });
  const requestChildren = new Map(src.laneIds.map((id) => [id, request.labels({ lane: id })]));
  const commit = new Histogram({
    name: 'trouw_ledger_commit_duration_seconds',
    help: 'Ledger transaction time (one group commit of till requests)',
    buckets: [...opts.buckets],
    registers,
  });
  const faults = new Counter({ name: 'trouw_till_faults_total', help: 'Till requests answered "internal" because of a fault', registers });
  const dbErrors = new Counter({ name: 'trouw_database_errors_total', help: 'SQLite errors by component', labelNames: ['component'], registers });
  for (const c of ['till', 'program-daily', 'presence', 'offers']) dbErrors.inc({ component: c }, 0);

  // --- Ledger: committed sales, points and returns per lane.
  type Tally = ReturnType<typeof tallies.read> extends ReadonlyMap<string, infer T> ? T : never;
  // Every lane shows 0 before its first sale, so a rate() over it starts at the first scrape.
  const tallyCounter = (name: string, help: string, pick: (t: Tally) => number) =>
    perLaneCounter(name, help, () => [...src.laneIds.map((id) => [id, 0] as const), ...[...tallies.read()].map(([lane, t]) => [lane, pick(t)] as const)]);
  tallyCounter('trouw_sales_total', 'Sales committed to the ledger since start', (t) => t.sales);
  tallyCounter('trouw_points_awarded_total', 'Points awarded by sales since start', (t) => t.points);
  tallyCounter('trouw_refunds_total', 'Refunds committed since start', (t) => t.refunds);
  tallyCounter('trouw_voids_total', 'Voids committed since start', (t) => t.voids);
  tallyCounter('trouw_points_reversed_total', 'Points taken back by refunds and voids since start', (t) => t.pointsReversed);

  // --- Outbox and HQ.
  const syncNow = () => src.sync?.();
  const outboxCount = src.db.prepare('SELECT coalesce(max(seq) - min(seq) + 1, 0) AS n FROM outbox') as Statement<[], { n: number }>;
  new Gauge({
    name: 'trouw_outbox_rows',
    help: 'Outbox rows by state: unsent (not yet sent) or awaiting_hq (sent, HQ has not confirmed)',
    labelNames: ['state'],
    registers,
    collect() {
      const s = syncNow()?.stats;
      this.set({ state: 'unsent' }, s ? s.unsentEstimate : src.db.open ? (outboxCount.get()?.n ?? 0) : 0);
      this.set({ state: 'awaiting_hq' }, s?.awaitingHq ?? 0);
    },
  });
  new Gauge({
    name: 'trouw_outbox_oldest_age_seconds',
    help: 'Age of the oldest outbox row (0 when empty)',
    registers,
    collect() {
      const row = src.db.open ? outboxOldest.get() : undefined;
      this.set(row ? Math.max(0, nowS() - Date.parse(row.time) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'trouw_outbox_awaiting_hq_oldest_age_seconds',
    help: 'Longest wait of a row sent but not confirmed by HQ',
    registers,
    collect() {
      this.set((syncNow()?.stats.awaitingHqOldestMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'trouw_hq_link_up',
    help: 'MQTT link to HQ: 1 up, 0 otherwise (absent without sync)',
    registers,
    collect() {
      this.reset();
      const s = syncNow();
      if (s) this.set(s.link === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'trouw_hq_last_ack_timestamp_seconds',
    help: 'When the broker last acknowledged an outbox row (0: never since start)',
    registers,
    collect() {
      this.set((syncNow()?.stats.lastAckAt ?? 0) / 1000);
    },
  });
  new Counter({
    name: 'trouw_hq_confirmed_total',
    help: 'Outbox rows HQ confirmed it stored, since start',
    registers,
    collect() {
      this.reset();
      this.inc(syncNow()?.stats.confirmed ?? 0);
    },
  });
  new Counter({
    name: 'trouw_outbox_resent_total',
    help: 'Rows sent again for lack of an HQ confirmation, since start',
    registers,
    collect() {
      this.reset();
      this.inc(syncNow()?.stats.resent ?? 0);
    },
  });
  new Counter({
    name: 'trouw_outbox_dropped_total',
    help: 'Outbox rows dropped or set aside, by reason (since the database was created)',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const s = syncNow()?.stats;
      this.inc({ reason: 'expired' }, s?.expiredDropped ?? 0);
      this.inc({ reason: 'cap' }, s?.capDropped ?? 0);
      this.inc({ reason: 'rejected' }, s?.rejected ?? 0);
    },
  });

  // --- Presence.
  const presenceNow = () => src.presence?.();
  new Gauge({
    name: 'trouw_scanner_up',
    help: 'BLE scanner controller state: 1 scanning, 0 otherwise',
    labelNames: ['scanner'],
    registers,
    collect() {
      this.reset();
      for (const s of presenceNow()?.scanners ?? []) if (s.state !== 'disabled') this.set({ scanner: s.name }, s.state === 'up' ? 1 : 0);
    },
  });
  new Counter({
    name: 'trouw_scanner_adverts_total',
    help: 'Adverts heard per scanner since start (rate() gives adverts per second)',
    labelNames: ['scanner'],
    registers,
    collect() {
      this.reset();
      for (const [scanner, a] of presenceNow()?.adverts ?? []) this.inc({ scanner }, a.count);
    },
  });
  new Gauge({
    name: 'trouw_scanner_last_advert_age_seconds',
    help: 'Seconds since a scanner last reported an advert (since start when never)',
    labelNames: ['scanner'],
    registers,
    collect() {
      this.reset();
      const p = presenceNow();
      if (!p) return;
      for (const s of p.scanners) {
        if (s.state === 'disabled') continue;
        const at = p.adverts.get(s.name)?.lastAt ?? startedAt;
        this.set({ scanner: s.name }, Math.max(0, (src.clock.now() - at) / 1000));
      }
    },
  });
  new Gauge({
    name: 'trouw_presence_tracked_devices',
    help: 'Devices the presence engine tracks now',
    registers,
    collect() {
      this.set(presenceNow()?.tracked ?? 0);
    },
  });
  new Gauge({
    name: 'trouw_zone_occupancy',
    help: 'Devices per zone now, by kind (member: consenting members; counts only)',
    labelNames: ['zone', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const z of presenceNow()?.zones ?? []) {
        this.set({ zone: z.zone, kind: 'member' }, z.members);
        this.set({ zone: z.zone, kind: 'tag' }, z.tags);
        this.set({ zone: z.zone, kind: 'anonymous' }, z.anonymous);
      }
    },
  });
  new Gauge({
    name: 'trouw_radio_map_points',
    help: 'Points in the radio map in use (absent without one)',
    registers,
    collect() {
      this.reset();
      const m = presenceNow()?.radioMap;
      if (m) this.set(m.points);
    },
  });
  new Gauge({
    name: 'trouw_radio_map_median_misfit_decibels',
    help: 'Median best misfit of recent fits to the radio map (dB; grows as the map goes stale)',
    registers,
    collect() {
      this.reset();
      const m = presenceNow()?.radioMap?.medianMisfitDb;
      if (m !== undefined && m !== null) this.set(m);
    },
  });
  const mapAge = radioMapAge(src.radioMapFile);
  new Gauge({
    name: 'trouw_radio_map_age_seconds',
    help: 'Age of the radio map file (its createdAt, else its modification time)',
    registers,
    collect() {
      this.reset();
      const at = mapAge();
      if (at !== undefined) this.set(Math.max(0, nowS() - at / 1000));
    },
  });

  // --- Card readers: up per configured place, taps by outcome, reader-side errors.
  new Gauge({
    name: 'trouw_card_reader_up',
    help: 'A card reader is present at the place: 1, else 0',
    labelNames: ['place'],
    registers,
    collect() {
      this.reset();
      const h = src.cards?.() ?? [];
      for (const place of src.readerPlaces) this.set({ place }, h.some((d) => d.kind === 'card-reader' && d.state === 'up' && d.detail === place) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'trouw_pcsc_up',
    help: 'The PC/SC service (pcscd) answers: 1, else 0 (absent without card readers)',
    registers,
    collect() {
      this.reset();
      const p = src.cards?.().find((d) => d.kind === 'pcsc');
      if (p && p.state !== 'disabled') this.set(p.state === 'up' ? 1 : 0);
    },
  });
  const placeOf = (tap: CardTap) =>
    tap.place && src.readerPlaces.includes(`${tap.place.type}:${tap.place.id}`) ? `${tap.place.type}:${tap.place.id}` : 'unbound';
  const taps = new Counter({
    name: 'trouw_card_taps_total',
    help: 'Card taps by place and outcome (identified, or why not)',
    labelNames: ['place', 'outcome'],
    registers,
  });
  const readerErrors = new Counter({
    name: 'trouw_card_reader_errors_total',
    help: 'Taps lost to the reader or its link (read failed, timeout, removed mid-read)',
    labelNames: ['place'],
    registers,
  });
  for (const place of src.readerPlaces) {
    taps.inc({ place, outcome: 'identified' }, 0);
    readerErrors.inc({ place }, 0);
  }

  // --- Offers and kiosk.
  const offersSent = new Counter({ name: 'trouw_offers_delivered_total', help: 'Offers pushed to phones', registers });
  const offersCapped = new Counter({
    name: 'trouw_offers_capped_total',
    help: 'Offers held back by a cap or rate limit, by cap',
    labelNames: ['cap'],
    registers,
  });
  for (const c of CAPS) offersCapped.inc({ cap: c }, 0);
  const kioskOpened = new Counter({
    name: 'trouw_kiosk_sessions_opened_total',
    help: 'Kiosk sessions opened by a tap, by kind',
    labelNames: ['kind'],
    registers,
  });
  for (const k of ['member', 'join', 'staff']) kioskOpened.inc({ kind: k }, 0);
  new Gauge({
    name: 'trouw_kiosk_sessions_active',
    help: 'Kiosk sessions open now',
    registers,
    collect() {
      this.set(src.kioskSessionsActive?.() ?? 0);
    },
  });

  return {
    registry,
    // A lane not in the config cannot happen (links are made from it); 'other' keeps labels bounded anyway.
    tillRequest: (lane) => requestChildren.get(lane) ?? request.labels({ lane: 'other' }),
    ledgerCommit: (s) => commit.observe(s),
    tillFault(e) {
      faults.inc();
      if (isSqliteError(e)) dbErrors.inc({ component: 'till' });
    },
    databaseError: (component) => dbErrors.inc({ component }),
    cardTap(tap) {
      const place = placeOf(tap);
      taps.inc({ place, outcome: tap.outcome === 'identified' ? 'identified' : tap.reason });
      if (tap.outcome === 'rejected' && READER_ERRORS.has(tap.reason)) readerErrors.inc({ place });
    },
    offerDecided(result) {
      if (result === 'sent') offersSent.inc();
      else if (CAPS.has(result)) offersCapped.inc({ cap: result });
    },
    kioskSessionOpened: (kind) => kioskOpened.inc({ kind }),
    scrape: async () => ({ text: await registry.metrics(), contentType: registry.contentType }),
  };
}

/** When the radio map was made: `createdAt` in the file, else its mtime; read again only when the file changes. */
export function radioMapAge(file: string | undefined): () => number | undefined {
  if (!file) return () => undefined;
  let seenMtime = -1;
  let at: number | undefined;
  return () => {
    try {
      const m = statSync(file).mtimeMs;
      if (m !== seenMtime) {
        seenMtime = m;
        const created = (JSON.parse(readFileSync(file, 'utf8')) as { createdAt?: unknown }).createdAt;
        const parsed = typeof created === 'string' ? Date.parse(created) : NaN;
        at = Number.isFinite(parsed) ? parsed : m;
      }
    } catch {
      at = undefined;
    }
    return at;
  };
}
