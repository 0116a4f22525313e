/**
 * BrokerLink over mqtt.js (see broker-link.ts for the contract).
 *
 * - Persistent session: clean start off and, on MQTT 5, a session expiry, so QoS 1 commands
 *   queue at the broker while the store is offline and outgoing publishes resume after.
 * - MQTT 5 first; when the broker refuses the protocol version (CONNACK 1 / 0x84, as aedes
 *   does) and `protocol` is `auto`, the same client retries as 3.1.1 (DESIGN.md §10).
 * - Reconnect is ours, not mqtt.js's fixed interval: exponential back-off with jitter. The
 *   client's in-flight store is handed back on every reconnect (mqtt.js would otherwise start
 *   an empty one and strand the pending publishes).
 * - Status: retained `online` on every connect, will `offline` (retained); `close()`
 *   publishes `offline` itself, since a clean disconnect does not fire the will.
 * - Inbound: `handleMessage` is overridden so the PUBACK follows the handler (at-least-once
 *   into the handler's storage).
 */
import mqtt, { type IClientOptions, type MqttClient, type IConnackPacket, type IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { DeviceHealth } from '../../gateway/ports/health';
import { systemClock, type Clock } from '../../gateway/ports/clock';
import { backoffDelay } from '../../gateway/adapters/backoff';
import { NoSubscribers, PublishRefused, type BrokerLink, type LinkState, type MessageHandler } from './broker-link';

export interface MqttLinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  protocol?: 'auto' | '5' | '3.1.1';
  keepaliveSeconds?: number;
  sessionExpirySeconds?: number;
  connectTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Gateway links: the retained status topic (`online`, will `offline`). */
  statusTopic?: string;
  /** The most inbound QoS 1 messages the broker may send before our PUBACKs (MQTT 5). */
  receiveMaximum?: number;
  /** Health entry name. */
  name?: string;
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
}

export interface MqttLink extends BrokerLink {
  /** Resolves when the link is up (first CONNACK), rejects after `timeoutMs`. */
  whenUp(timeoutMs?: number): Promise<void>;
  /** Drops the TCP connection now, as a network fault would (tests, "reconnect now"). */
  dropConnection(): void;
}

/** MQTT 5 reason codes a resend cannot cure (broker-link.ts: PublishRefused). */
const PERMANENT = new Set([0x80, 0x83, 0x87, 0x90, 0x95, 0x99]);
const UNSUPPORTED_VERSION = new Set([1, 0x84]);

export function createMqttLink(o: MqttLinkOptions): MqttLink {
  const log = o.logger;
  const clock = o.clock ?? systemClock;
  let version: 5 | 4 = o.protocol === '3.1.1' ? 4 : 5;
  let state: LinkState = 'connecting';
  let since = clock.now();
  let detail: string | undefined;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let serverReceiveMaximum: number | undefined;
  let handler: MessageHandler | undefined;
  const filters = new Set<string>();
  const listeners = new Set<(s: LinkState) => void>();

  const setState = (s: LinkState, why?: string) => {
    if (s === state && why === detail) return;
    if (s !== state) since = clock.now();
    state = s;
    detail = why;
    for (const l of listeners) l(s);
  };

  const v5Properties = () => ({
    sessionExpiryInterval: o.sessionExpirySeconds ?? 14 * 86_400,
    ...(o.receiveMaximum ? { receiveMaximum: o.receiveMaximum } : {}),
  });

  const options: IClientOptions = {
    clientId: o.clientId,
    clean: false,
    protocolVersion: version,
    keepalive: o.keepaliveSeconds ?? 30,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.tls?.ca ? { ca: o.tls.ca } : {}),
    ...(o.tls?.cert ? { cert: o.tls.cert } : {}),
    ...(o.tls?.key ? { key: o.tls.key } : {}),
    ...(o.tls?.servername ? { servername: o.tls.servername } : {}),
    rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
    ...(version === 5 ? { properties: v5Properties() } : {}),
    ...(o.statusTopic ? { will: { topic: o.statusTopic, payload: Buffer.from('offline'), qos: 1 as const, retain: true } } : {}),
  };

  const client: MqttClient = mqtt.connect(o.url, options);

  client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
    const m = { topic: packet.topic, payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), retain: !!packet.retain };
    const h = handler;
    if (!h) return done();
    let result: Promise<void> | void;
    try {
      result = h(m);
    } catch (e) {
      return failInbound(e, done);
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => done(),
        (e) => failInbound(e, done),
      );
    } else done();
  };

  function failInbound(e: unknown, done: (err?: Error) => void) {
    // No PUBACK: drop the connection so the broker redelivers after the back-off.
    log?.error({ err: e }, 'sync: inbound message not taken in; reconnecting for redelivery');
    done(e as Error);
    client.stream?.destroy();
  }

  const scheduleReconnect = () => {
    if (stopping || reconnectTimer) return;
    const delay = backoffDelay(++attempt, { minMs: o.reconnectMinMs ?? 1000, maxMs: o.reconnectMaxMs ?? 60_000, random: o.random });
    log?.debug({ delay, attempt }, 'sync: reconnect scheduled');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (stopping) return;
      setState('connecting', detail);
      // Hand the in-flight stores back: without them mqtt.js forgets unacknowledged publishes.
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
    reconnectTimer.unref?.();
  };

  // mqtt.js hands the publish callback the stored PUBLISH, not the PUBACK: note PUBACKs that
  // said "no matching subscribers" (0x10) by message id as they arrive.
  const noSubscriberAcks = new Set<number>();
  client.on('packetreceive', (p) => {
    if (p.cmd === 'puback' && p.reasonCode === 0x10 && p.messageId !== undefined) noSubscriberAcks.add(p.messageId);
  });

  client.on('connect', (connack: IConnackPacket) => {
    attempt = 0;
    serverReceiveMaximum = version === 5 ? (connack.properties?.receiveMaximum ?? 65_535) : undefined;
    setState('up');
    log?.info({ protocol: version === 5 ? '5' : '3.1.1', sessionPresent: connack.sessionPresent }, 'sync: broker connected');
    if (o.statusTopic) client.publish(o.statusTopic, 'online', { qos: 1, retain: true }, () => undefined);
    // Subscribe again on every connect, not only when the session is gone: mosquitto 2.0.11
    // restores a persistent session after a restart without its shared subscriptions
    // (seen in test/integration/sync-mqtt.test.ts). Subscribing again is harmless.
    if (filters.size) {
      client.subscribe([...filters], { qos: 1 }, (e) => e && log?.warn({ err: e }, 'sync: resubscribe failed'));
    }
  });

  client.on('error', (e: Error & { code?: number }) => {
    if (stopping) return;
    if (o.protocol !== '5' && version === 5 && typeof e.code === 'number' && UNSUPPORTED_VERSION.has(e.code)) {
      log?.info('sync: broker refused MQTT 5; using MQTT 3.1.1');
      version = 4;
      client.options.protocolVersion = 4;
      delete client.options.properties;
      attempt = 0;
      return;
    }
    detail = e.message;
    log?.warn({ err: e.message, code: e.code }, 'sync: broker link error');
  });

  client.on('close', () => {
    if (stopping) return;
    if (state !== 'down') setState('down', detail ?? 'connection closed');
    scheduleReconnect();
  });

  const publish = (topic: string, payload: Buffer | string, opts?: { retain?: boolean }) =>
    new Promise<void>((resolve, reject) => {
      const retain = opts?.retain ?? false;
      client.publish(topic, payload, { qos: 1, retain }, (e?: Error & { code?: number }, packet?: { messageId?: number }) => {
        const noSubscribers = packet?.messageId !== undefined && noSubscriberAcks.delete(packet.messageId);
        if (!e) return noSubscribers && !retain ? reject(new NoSubscribers(topic)) : resolve();
        if (typeof e.code === 'number' && (PERMANENT.has(e.code) || e.code >= 0x80)) return reject(new PublishRefused(e.code, e.message));
        reject(e);
      });
    });

  const link: MqttLink = {
    get state() {
      return state;
    },
    get protocolVersion() {
      return state === 'up' ? version : undefined;
    },
    get serverReceiveMaximum() {
      return serverReceiveMaximum;
    },
    publish,
    subscribe(list) {
      for (const f of list) filters.add(f);
      if (state !== 'up') return Promise.resolve(); // subscribed on (re)connect
      return new Promise((resolve, reject) => {
        client.subscribe(list, { qos: 1 }, (e, granted) => {
          if (e) return reject(e);
          const refused = (granted ?? []).filter((g) => g.qos >= 0x80);
          if (refused.length) return reject(new Error(`subscription refused: ${refused.map((g) => `${g.topic} (${g.qos})`).join(', ')}`));
          resolve();
        });
      });
    },
    setHandler(h) {
      handler = h;
    },
    onState(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    health(): DeviceHealth {
      return {
        name: o.name ?? 'hq-broker',
        kind: 'mqtt',
        state: state === 'stopped' ? 'stopped' : state,
        since,
        ...(state === 'up' ? { detail: `MQTT ${version === 5 ? '5' : '3.1.1'}` } : detail ? { detail } : {}),
      };
    },
    whenUp(timeoutMs = 30_000) {
      if (state === 'up') return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          off();
          reject(new Error(`broker not reachable within ${timeoutMs} ms: ${detail ?? state}`));
        }, timeoutMs);
        const off = link.onState((s) => {
          if (s === 'up') {
            clearTimeout(t);
            off();
            resolve();
          }
        });
      });
    },
    dropConnection() {
      client.stream?.destroy();
    },
    async close() {
      if (stopping) return;
      if (o.statusTopic && state === 'up') {
        await Promise.race([publish(o.statusTopic, 'offline', { retain: true }).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
      }
      stopping = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await new Promise<void>((resolve) => client.end(state !== 'up', {}, () => resolve()));
      setState('stopped');
    },
  };
  return link;
}
