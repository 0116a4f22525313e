/**
 * `sync:` section of the gateway config: the MQTT link to HQ (DESIGN.md §8, issue 5).
 * Sync is off unless `brokerUrl` is set. Every other key has a default.
 * Environment: TROUW_SYNC__BROKER_URL=mqtts://broker:8883, TROUW_SYNC__PASSWORD=...
 */
import { Type, type Static } from '@sinclair/typebox';

export const SyncTlsConfig = Type.Object(
  {
    /** PEM file of the CA that signed the broker's certificate (else the system CAs). */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Client certificate and key (PEM), for brokers that ask for one. */
    certFile: Type.Optional(Type.String({ minLength: 1 })),
    keyFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Only ever false on a lab bench. */
    rejectUnauthorized: Type.Boolean({ default: true }),
    /** SNI / name to verify, when it differs from the URL's host. */
    serverName: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false, default: {} },
);

export const SyncPublisherConfig = Type.Object(
  {
    /** QoS 1 messages awaiting PUBACK at once (also capped by the broker's Receive Maximum). */
    inFlight: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    /** Rows read and published per slice of work before yielding to the event loop. */
    sliceRows: Type.Integer({ minimum: 1, maximum: 5000, default: 100 }),
    /** Time budget of one slice (ms); a slice stops early when it is spent. */
    sliceMs: Type.Number({ minimum: 0.5, maximum: 100, default: 4 }),
    /** Acknowledged rows are deleted in batches of this size (or after `deleteAfterMs`). */
    deleteBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
    deleteAfterMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 200 }),
    /** How often an idle publisher looks for new rows (a writer may also call notify()). */
    idlePollMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 250 }),
    /** A publish without PUBACK this long on a live link is sent again (HQ deduplicates). */
    ackTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 60_000 }),
    /**
     * A row the broker took but HQ has not acknowledged end to end this long (link up) is sent
     * again with the same id (HQ stores it once and acknowledges the copy).
     */
    hqAckTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 30_000 }),
    /** Most rows sent and waiting for HQ's ack at once; reading pauses at this many. */
    maxAwaitingHq: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 20_000 }),
    /** Cap on events sent per second (0 = none): for a thin store uplink, or to drain a backlog gently. */
    maxEventsPerSecond: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
    /** Largest event payload; a larger row is set aside locally, never sent (HQ's limit is the same). */
    maxPayloadBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 256 * 1024 }),
  },
  { additionalProperties: false, default: {} },
);

export const SyncOutboxConfig = Type.Object(
  {
    /**
     * Cap on outbox rows. Policy when over: drop non-business rows (priority above
     * `businessMaxPriority`), least important and oldest first, and count them; business rows
     * are never dropped, so the outbox can exceed the cap with business rows alone (health
     * then says so).
     */
    maxRows: Type.Integer({ minimum: 1000, default: 2_000_000 }),
    /** Rows with priority ≤ this are business events: no TTL, never dropped. */
    businessMaxPriority: Type.Integer({ minimum: 0, maximum: 100, default: 1 }),
    /** TTL a producer should give presence rows (`expires_at`); expired rows are dropped, counted. */
    presenceTtlSeconds: Type.Integer({ minimum: 60, default: 86_400 }),
    /** How often expired rows are swept and the cap checked. */
    sweepIntervalMs: Type.Integer({ minimum: 100, default: 60_000 }),
  },
  { additionalProperties: false, default: {} },
);

export const SyncConfig = Type.Object(
  {
    /** `mqtt://host:1883` or `mqtts://host:8883`; unset means sync is off. */
    brokerUrl: Type.Optional(Type.String({ pattern: '^(mqtts?|wss?)://[^\\s]+$', description: 'a broker URL such as mqtts://broker.example:8883' })),
    /** Per-store credentials (DESIGN.md §9); the broker's ACL ties them to this store's topics. */
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    /** Read the password from this file instead (keeps the secret out of the config file). */
    passwordFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Stable client id for the persistent session; default `trouw-{store}-{gateway}`. */
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' })),
    /** `auto`: MQTT 5, falling back to 3.1.1 when the broker refuses 5 (the embedded demo broker). */
    protocol: Type.Union([Type.Literal('auto'), Type.Literal('5'), Type.Literal('3.1.1')], { default: 'auto' }),
    tls: SyncTlsConfig,
    keepaliveSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 30 }),
    /** How long the broker keeps the session (queued commands) while the store is offline. */
    sessionExpirySeconds: Type.Integer({ minimum: 60, maximum: 4_294_967_295, default: 14 * 86_400 }),
    connectTimeoutMs: Type.Integer({ minimum: 1000, maximum: 120_000, default: 10_000 }),
    /** Reconnect back-off: doubles from min to max, with random jitter. */
    reconnectMinMs: Type.Integer({ minimum: 10, default: 1000 }),
    reconnectMaxMs: Type.Integer({ minimum: 100, default: 60_000 }),
    publisher: SyncPublisherConfig,
    outbox: SyncOutboxConfig,
  },
  { additionalProperties: false, default: {} },
);
export type SyncConfig = Static<typeof SyncConfig>;
