/**
 * The gateway's one configuration file (YAML or JSON), validated once at start and frozen
 * (STYLE.md §6). Every field has a default so the demo runs with no file at all.
 * Environment overrides: TROUW_<SECTION>__<KEY>=value (see config/load.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { CardsConfig } from './cards-schema';
import { SyncConfig } from './sync-schema';
import { PresenceConfig } from './presence-schema';
import { ProgramConfig } from './loyalty-program-schema';
import { OffersConfig } from './offers-schema';
import { FloorPlanConfig, MetricsConfig } from './metrics-schema';

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (store-local)' });

export const SerialLaneConfig = Type.Object(
  {
    id: Name,
    transport: Type.Literal('serial'),
    path: Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0' }),
    baudRate: Type.Union([Type.Literal(9600), Type.Literal(19200), Type.Literal(38400), Type.Literal(57600), Type.Literal(115200)], { default: 115200 }),
  },
  { additionalProperties: false },
);

export const TcpLaneConfig = Type.Object(
  {
    id: Name,
    transport: Type.Literal('tcp'),
    /** `listen`: the gateway accepts one till connection; `connect`: the gateway dials the till. */
    mode: Type.Union([Type.Literal('listen'), Type.Literal('connect')], { default: 'listen' }),
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
  },
  { additionalProperties: false },
);

export const LaneConfig = Type.Union([SerialLaneConfig, TcpLaneConfig]);
export type LaneConfig = Static<typeof LaneConfig>;

export const EarningRulesConfig = Type.Object(
  {
    /** Points per whole euro of eligible spend. */
    pointsPerEuro: Type.Number({ minimum: 0, maximum: 1000, default: 1 }),
    /**
     * Rounding of the sale's weighted eligible cents to points: `floor` (never award a
     * partial point: the usual rule) or `half-up`.
     */
    rounding: Type.Union([Type.Literal('floor'), Type.Literal('half-up')], { default: 'floor' }),
    /** Below this eligible spend (cents) a sale earns nothing. */
    minimumSpendCents: Type.Integer({ minimum: 0, default: 0 }),
    /** Lifetime of earned points, in whole months from the day of the sale. */
    expiryMonths: Type.Integer({ minimum: 1, maximum: 120, default: 12 }),
    multipliers: Type.Array(
      Type.Object(
        {
          category: Type.Optional(Type.String({ minLength: 1 })),
          sku: Type.Optional(Type.String({ minLength: 1 })),
          factor: Type.Number({ minimum: 0, maximum: 100 }),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    exclusions: Type.Object(
      {
        categories: Type.Array(Type.String({ minLength: 1 }), { default: ['tobacco', 'gift-card'] }),
        skus: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    promotions: Type.Array(
      Type.Object(
        {
          id: Name,
          /** Inclusive store-local dates. */
          from: IsoDate,
          to: IsoDate,
          factor: Type.Number({ minimum: 0, maximum: 100, default: 1 }),
          categories: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          skus: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** Flat bonus for a qualifying sale (one that has at least one matching line). */
          bonusPoints: Type.Integer({ minimum: 0, default: 0 }),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type EarningRulesConfig = Static<typeof EarningRulesConfig>;

export const SeedMember = Type.Object(
  {
    number: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** Card tokens (HMAC identities, never card numbers) linked to this member. */
    cards: Type.Array(Type.String({ minLength: 8, maxLength: 128 }), { default: [] }),
  },
  { additionalProperties: false },
);

export const GatewayConfig = Type.Object(
  {
    store: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$', default: 'demo-store' }),
        gateway: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$', default: 'gw-1' }),
        /** IANA time zone of the store: business days and expiry dates follow it. */
        timeZone: Type.String({ minLength: 1, default: 'Europe/Amsterdam' }),
      },
      { additionalProperties: false, default: {} },
    ),
    database: Type.Object(
      {
        path: Type.String({ minLength: 1, default: '.trouw/trouw.db' }),
        busyTimeoutMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 5000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        /** Bearer token for store-IT endpoints; unset means those endpoints are refused. */
        adminToken: Type.Optional(Type.String({ minLength: 16 })),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    lanes: Type.Array(LaneConfig, { default: [] }),
    health: Type.Object(
      {
        /**
         * Devices the store cannot run without (issue 14): while one is not up, /healthz is
         * `down` and answers 503, so a monitor reading the status code sees it. `lanes` = every
         * lane, `lane:<id>`, `kind:<kind>` (e.g. `kind:pcsc`, `kind:mqtt`), or a device name.
         * Any other device not up only degrades (200).
         */
        needed: Type.Array(Type.String({ pattern: '^(lanes|lane:[A-Za-z0-9][A-Za-z0-9_.-]*|kind:[a-z0-9-]+|[A-Za-z0-9][A-Za-z0-9_ .:-]*)$', maxLength: 100 }), {
          default: ['lanes'],
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    till: Type.Object(
      {
        /** Back-off bounds for reopening a missing or unplugged port. */
        reconnectMinMs: Type.Integer({ minimum: 10, default: 500 }),
        reconnectMaxMs: Type.Integer({ minimum: 100, default: 10_000 }),
        /**
         * A single sale awarding more points than this is recorded but its points are held
         * (not credited) and flagged to HQ (`trouw.award.held.v1`) for review (issue 14).
         */
        reviewAbovePoints: Type.Integer({ minimum: 1, default: 100_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    loyalty: EarningRulesConfig,
    kiosk: Type.Object(
      {
        /** Idle time before the kiosk screen returns to the attract screen and forgets the member. */
        idleMs: Type.Integer({ minimum: 5_000, maximum: 600_000, default: 45_000 }),
        /**
         * Per-kiosk screen keys (`{ "k1": "…" }`): a kiosk's event stream, which carries session
         * tokens, then needs `?key=`; the Electron shell puts it in the kiosk URL. Set them in
         * any store whose network is reachable by shoppers.
         */
        screenKeys: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), Type.String({ minLength: 16 }), { default: {} }),
      },
      { additionalProperties: false, default: {} },
    ),
    members: Type.Array(SeedMember, { default: [] }),
    /** HQ sync over MQTT (issue 5); off unless `sync.brokerUrl` is set. */
    sync: SyncConfig,
    /** Card readers and card identity (issue 3); see config/cards-schema.ts. */
    cards: CardsConfig,
    /** BLE presence (issue 4); off while no scanner is configured; see config/presence-schema.ts. */
    presence: PresenceConfig,
    /** Loyalty program depth (issue 6): tiers, expiry notices, rewards, points tender, offline budget; see config/loyalty-program-schema.ts. */
    program: ProgramConfig,
    /** Location-triggered offers (issue 8): definitions, caps, phone credentials; see config/offers-schema.ts. */
    offers: OffersConfig,
    /** Prometheus /metrics (issue 16); see config/metrics-schema.ts. */
    metrics: MetricsConfig,
    /** Zones and devices on the store page's floor plan (issue 16). */
    floorPlan: FloorPlanConfig,
  },
  { additionalProperties: false },
);
export type GatewayConfig = Static<typeof GatewayConfig>;
