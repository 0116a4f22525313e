/**
 * HQ ingest (issue 5): subscribes to every store's events inside a shared subscription group
 * (`$share/hq/trouw/v1/+/+/evt/#`), so N processes on M machines split the stream; validates
 * each event; inserts by (source, id), so a redelivery changes nothing; files anything that
 * fails validation in the dead-letter table with its reason. The PUBACK goes out when an
 * event is admitted to the group commit (createAdmission, below); a crash or a storage outage
 * before the commit means no end-to-end ack, so the gateway resends: never loss.
 *
 * After the commit this process acknowledges end to end what it stored (or refused for good)
 * to the gateway that sent it (`…/{store}/{gateway}/ack`, ack-sender.ts): the gateway deletes
 * an outbox row only on that, never on a PUBACK, which only says the broker took it. With N
 * processes on the shared subscription each acknowledges its own share.
 *
 * Over MQTT 3.1.1 (the embedded demo broker: aedes has no shared subscriptions) it
 * subscribes to the plain filter: one process gets everything. Running two there is still
 * correct (each stores, the second insert changes nothing) but does not split the load.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../gateway/ports/clock';
import { ALL_EVENTS_FILTER, ALL_STATUS_FILTER, parseTopic, sharedFilter } from '../envelope/topics';
import { DEFAULT_MAX_EVENT_BYTES, validateUplinkEvent } from '../schemas/validate-event';
import { createMqttLink, type MqttLink, type MqttLinkOptions } from '../gateway/mqtt-link';
import type { InboundMessage } from '../gateway/broker-link';
import { DEAD_LETTER_PAYLOAD_BYTES, type HqStore, type IngestedEvent } from './store';
import { minimiseForHq } from './personal-data';
import { createAckSender, type AckSender, type AckSenderStats } from './ack-sender';
import { ULID_PATTERN } from '../envelope/cloudevent';
import { ingestUsername } from '../broker/mosquitto-setup';

/**
 * How long the broker keeps a disconnected ingest session (and queues its share of a shared
 * subscription for it). Short on purpose: since the gateways delete only on HQ's end-to-end
 * ack, what an expired session held is resent by them; a long expiry only means a dead
 * process keeps taking (and sitting on) its share for longer. Long enough for a restart.
 */
export const DEFAULT_INGEST_SESSION_EXPIRY_SECONDS = 300;

export const DEFAULT_MAX_UNCOMMITTED = 2000;

export interface IngestOptions {
  url: string;
  store: HqStore;
  /** Stable per ingest instance (its persistent session holds its share of in-flight events). */
  clientId?: string;
  username?: string;
  password?: string;
  tls?: MqttLinkOptions['tls'];
  protocol?: 'auto' | '5' | '3.1.1';
  /** Shared subscription group; all ingest processes of one HQ use the same. */
  group?: string;
  maxEventBytes?: number;
  sessionExpirySeconds?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * MQTT connections in the shared group (default 8; 1 over MQTT 3.1.1). mqtt.js hands over a
   * connection's messages one at a time, so several connections let one commit carry several
   * events. Each has its own persistent session (`clientId`, `clientId-c1`, ...): keep the
   * number stable for an instance, since an abandoned session keeps its queue until it expires.
   */
  connections?: number;
  /** Most events PUBACKed and not yet committed (default 2,000): past it the PUBACKs wait (createAdmission). */
  maxUncommitted?: number;
  /**
   * The broker binds each client id to one username (the product's broker setup,
   * sync/broker/mosquitto-setup.ts): connection i ≥ 1 logs in as `{username}.c{i}` (same
   * password) with client id `{clientId}-c{i}`. Off: every connection uses `username`.
   */
  boundIdentity?: boolean;
  /** How long start waits for the broker (default 30 s). */
  startTimeoutMs?: number;
  /** End-to-end acknowledgements to the gateways (default on; off only to measure without). */
  acknowledge?: boolean;
  logger?: Logger;
  clock?: Clock;
}

export interface IngestStats {
  received: number;
  stored: number;
  duplicates: number;
  deadLettered: number;
  /** Whether this process receives a share (MQTT 5 shared subscription) or everything. */
  shared: boolean;
  connections: number;
  /** Group commits and the events they carried (their mean is the batch size). */
  commits: number;
  committed: number;
  acks: AckSenderStats;
}

export interface IngestService {
  /** The first connection (status topics; health). */
  readonly link: MqttLink;
  readonly links: readonly MqttLink[];
  stats(): IngestStats;
  /** Handles one message as if it came from the broker (exposed for tests). */
  handle(m: InboundMessage): Promise<void>;
  stop(): Promise<void>;
}

/** The per-message logic, without a broker (unit tests drive it directly). */
export function createIngestHandler(o: {
  store: HqStore;
  maxEventBytes?: number;
  clock?: Clock;
  logger?: Logger;
  /** How events are written (default: one insert each); the ingest passes its group commit. */
  insert?: (e: IngestedEvent) => Promise<boolean>;
  /** Told of every id once its commit resolved (stored, a copy, or dead-lettered for good). */
  acks?: AckSender;
}) {
  const clock = o.clock ?? systemClock;
  const log = o.logger;
  const store = o.store;
  const insert = o.insert ?? ((e: IngestedEvent) => store.insertEvent(e));
  const maxBytes = o.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const stats = { received: 0, stored: 0, duplicates: 0, deadLettered: 0 };

  async function deadLetter(m: InboundMessage, reason: string, detail: string, now: number) {
    stats.deadLettered++;
    const t = parseTopic(m.topic);
    const id = t?.kind === 'evt' && reason !== 'oversized' ? readableId(m.payload) : undefined;
    log?.warn({ topic: m.topic.slice(0, 200), reason, detail: detail.slice(0, 200) }, 'hq: event dead-lettered');
    await store.deadLetter({
      receivedAt: now,
      topic: m.topic.slice(0, 1000),
      reason,
      detail: detail.slice(0, 2000),
      payload: m.payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES),
      size: m.payload.length,
    });
    // Filed for good: tell the gateway (the topic's, which the broker authenticated) to stop resending it.
    if (id && t) o.acks?.refused({ store: t.store, gateway: t.gateway }, id, reason, detail);
  }

  async function handle(m: InboundMessage) {
    const now = clock.now();
    const t = parseTopic(m.topic);
    if (t?.kind === 'status') {
      const status = m.payload.toString('utf8').slice(0, 32);
      if (status) await store.recordStatus(t.store, t.gateway, status, now);
      return;
    }
    stats.received++;
    const v = validateUplinkEvent(m.topic, m.payload, maxBytes);
    if (!v.ok) return deadLetter(m, v.error.reason, v.error.detail, now);
    const { event, definition } = v.value;
    const timeMs = Date.parse(event.time);
    if (!Number.isFinite(timeMs)) return deadLetter(m, 'bad-envelope', `time ${event.time} is not a date`, now);
    const data = event.data as never;
    const inserted = await insert({
      source: event.source,
      id: event.id,
      store: v.value.store,
      gateway: v.value.gateway,
      type: event.type,
      time: event.time,
      timeMs,
      subject: event.subject ?? null,
      member: definition.member?.(data) ?? null,
      pointsDelta: definition.pointsDelta ? definition.pointsDelta(data) : null,
      data: JSON.stringify(minimiseForHq(event.type, event.data)),
      receivedAt: now,
    });
    if (inserted) stats.stored++;
    else stats.duplicates++;
    o.acks?.stored({ store: v.value.store, gateway: v.value.gateway }, event.id);
  }

  return { handle, stats: () => ({ ...stats }) };
}

/**
 * Group commit: events handed in while a commit is being prepared share one transaction, and
 * each caller hears back (so its end-to-end ack goes out) only after that commit. With the
 * PUBACK on admission (createAdmission) a connection's messages stream in while one commit
 * runs, so the next commit takes everything that arrived meanwhile (up to `maxBatch`).
 */
export function createGroupCommit(store: HqStore, opts: { target: number; maxBatch?: number }) {
  const maxBatch = opts.maxBatch ?? 1000;
  let pending: { e: IngestedEvent; resolve: (v: boolean) => void; reject: (err: unknown) => void }[] = [];
  let scheduled = false;
  let flushing = false;
  const counts = { commits: 0, committed: 0 };

  function schedule() {
    if (flushing || scheduled) return;
    scheduled = true;
    // Every connection has a message waiting: nothing more can come before a commit.
    if (pending.length >= opts.target) queueMicrotask(flush);
    else setImmediate(flush);
  }

  async function flush() {
    scheduled = false;
    if (flushing || pending.length === 0) return;
    flushing = true;
    const batch = pending.slice(0, maxBatch);
    pending = pending.slice(batch.length);
    try {
      const r = await store.insertEvents(batch.map((b) => b.e));
      counts.commits++;
      counts.committed += batch.length;
      batch.forEach((b, i) => b.resolve(r[i]!));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      flushing = false;
      if (pending.length) schedule();
    }
  }

  return {
    stats: () => ({ ...counts }),
    add(e: IngestedEvent): Promise<boolean> {
      return new Promise((resolve, reject) => {
        pending.push({ e, resolve, reject });
        schedule();
      });
    },
  };
}

/**
 * The PUBACK goes out when an event is admitted to the group commit, not after the commit:
 * mqtt.js hands a connection's next message over only after the PUBACK of the previous one,
 * so PUBACK-after-commit meant one event per connection per commit (~8 per commit; profile:
 * COMMIT and its WAL checkpoints were a quarter of the ingest's CPU). Since issue 13 a PUBACK
 * promises the broker nothing about HQ's storage: the gateway deletes only on the end-to-end
 * ack, which still follows the commit, and resends what stays unacknowledged. An event
 * admitted but not committed when the process dies is therefore resent by its gateway
 * (after `hqAckTimeoutMs`), not redelivered by the broker: later recovery, same guarantee.
 *
 * At most `max` events wait for their commit (the broker's flow control per connection,
 * Receive Maximum, then holds the rest): past it, admission (and so the PUBACK) waits.
 */
export function createAdmission(o: { max: number; onError: (e: unknown) => void }) {
  let waiting = 0;
  const idle: (() => void)[] = [];
  const blocked: (() => void)[] = [];
  function settled() {
    waiting--;
    while (blocked.length && waiting < o.max) blocked.shift()!();
    if (waiting === 0) for (const r of idle.splice(0)) r();
  }
  return {
    admit(work: Promise<void>): Promise<void> {
      waiting++;
      work.catch(o.onError).finally(settled);
      return waiting <= o.max ? Promise.resolve() : new Promise<void>((r) => blocked.push(r));
    },
    /** Resolves once every admitted event's commit has settled (stop). */
    whenIdle(): Promise<void> {
      return waiting === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r));
    },
    get waiting() {
      return waiting;
    },
  };
}

export async function startIngest(o: IngestOptions): Promise<IngestService> {
  const clock = o.clock ?? systemClock;
  const log = o.logger;
  const clientId = o.clientId ?? `trouw-hq-ingest-${hostname()}-1`;
  const wanted = Math.max(1, o.connections ?? 8);
  const commit = createGroupCommit(o.store, { target: wanted });
  const links: MqttLink[] = [];
  // Any connection that is up carries the acks; order does not matter, each names its ids.
  const acks = createAckSender({
    publish: (topic, payload) => (links.find((l) => l.state === 'up') ?? links[0]!).publish(topic, payload),
    ...(log ? { logger: log } : {}),
  });
  const handler = createIngestHandler({
    store: o.store,
    clock,
    insert: commit.add,
    ...(o.acknowledge === false ? {} : { acks }),
    ...(o.maxEventBytes ? { maxEventBytes: o.maxEventBytes } : {}),
    ...(log ? { logger: log } : {}),
  });

  const admission = createAdmission({
    max: o.maxUncommitted ?? DEFAULT_MAX_UNCOMMITTED,
    // Not stored, not acknowledged: its gateway sends it again after its ack timeout.
    onError: (e) => log?.error({ err: e }, 'hq: event not stored (storage failed); its gateway will resend it'),
  });
  const onMessage = (m: InboundMessage) => admission.admit(handler.handle(m));

  const makeLink = (i: number, protocol: 'auto' | '5' | '3.1.1') => {
    const username = o.username !== undefined && o.boundIdentity ? ingestUsername(o.username, i) : o.username;
    const l = createMqttLink({
      url: o.url,
      clientId: i === 0 ? clientId : `${clientId}-c${i}`,
      ...(username !== undefined ? { username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
      protocol,
      sessionExpirySeconds: o.sessionExpirySeconds ?? DEFAULT_INGEST_SESSION_EXPIRY_SECONDS,
      reconnectMinMs: o.reconnectMinMs ?? 500,
      reconnectMaxMs: o.reconnectMaxMs ?? 30_000,
      receiveMaximum: 100,
      name: 'hq-ingest',
      ...(log ? { logger: log } : {}),
      clock,
    });
    l.setHandler(onMessage);
    return l;
  };

  const first = makeLink(0, o.protocol ?? 'auto');
  await first.whenUp(o.startTimeoutMs ?? 30_000);
  const shared = first.protocolVersion === 5;
  const group = o.group ?? 'hq';
  const events = shared ? sharedFilter(group, ALL_EVENTS_FILTER) : ALL_EVENTS_FILTER;
  links.push(first);
  // Without shared subscriptions every connection would get every event: one connection only.
  if (shared) for (let i = 1; i < wanted; i++) links.push(makeLink(i, '5'));
  await Promise.all(links.map((l) => l.whenUp(o.startTimeoutMs ?? 30_000)));
  await first.subscribe([events, ALL_STATUS_FILTER]);
  await Promise.all(links.slice(1).map((l) => l.subscribe([events])));
  if (!shared) log?.warn('hq: broker speaks MQTT 3.1.1 only: no shared subscription, this process receives every event');
  log?.info({ shared, group, connections: links.length }, 'hq: ingest subscribed');

  return {
    link: first,
    links,
    stats: () => ({ ...handler.stats(), shared, connections: links.length, ...commit.stats(), acks: acks.stats() }),
    handle: handler.handle,
    async stop() {
      // What was admitted is committed and acknowledged before the connections close.
      await Promise.race([admission.whenIdle().then(() => acks.flush()), new Promise((r) => setTimeout(r, 2000))]);
      await Promise.all(links.map((l) => l.close()));
    },
  };
}

const ulid = new RegExp(ULID_PATTERN);

/** The CloudEvents id of a payload HQ could not accept, if one can be read (to acknowledge it as refused). */
function readableId(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && ulid.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
