/**
 * The gateway's sync, assembled from its config section: one MQTT link (persistent session,
 * status/will), the outbox publisher and the downlink on it. The gateway calls
 * `startSyncAgent` after the database is open and its migrations ran; `stop()` before the
 * database closes. Returns undefined when `sync.brokerUrl` is not set (sync off).
 */
import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { SyncConfig } from '../../gateway/config/sync-schema';
import type { Clock } from '../../gateway/ports/clock';
import type { DeviceHealth } from '../../gateway/ports/health';
import { statusTopic, type GatewayAddress } from '../envelope/topics';
import { createMqttLink, type MqttLink } from './mqtt-link';
import { createOutboxPublisher, type OutboxPublisher } from './publisher';
import { createDownlink, type Downlink, type DownlinkOptions } from './downlink';
import { ensureSyncTables } from './tables';

export interface SyncAgentOptions {
  config: SyncConfig;
  address: GatewayAddress;
  db: Database;
  logger: Logger;
  clock?: Clock;
  /** Downlink hooks (see downlink.ts). */
  onConfig: DownlinkOptions['onConfig'];
  checkConfig?: DownlinkOptions['checkConfig'];
  storedForm?: DownlinkOptions['storedForm'];
  commands: DownlinkOptions['commands'];
}

export interface SyncAgent {
  readonly link: MqttLink;
  readonly publisher: OutboxPublisher;
  readonly downlink: Downlink;
  /** Health entries: the broker link and the outbox. */
  health(): DeviceHealth[];
  stop(): Promise<void>;
}

export function mqttLinkOptionsFrom(config: SyncConfig, address: GatewayAddress, logger?: Logger) {
  if (!config.brokerUrl) throw new Error('sync.brokerUrl is not set');
  const read = (file: string | undefined) => (file ? readFileSync(file) : undefined);
  const password = config.passwordFile ? readFileSync(config.passwordFile, 'utf8').trim() : config.password;
  return {
    url: config.brokerUrl,
    clientId: config.clientId ?? `trouw-${address.store}-${address.gateway}`,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(password !== undefined ? { password } : {}),
    tls: {
      ca: read(config.tls.caFile),
      cert: read(config.tls.certFile),
      key: read(config.tls.keyFile),
      rejectUnauthorized: config.tls.rejectUnauthorized,
      ...(config.tls.serverName ? { servername: config.tls.serverName } : {}),
    },
    protocol: config.protocol,
    keepaliveSeconds: config.keepaliveSeconds,
    sessionExpirySeconds: config.sessionExpirySeconds,
    connectTimeoutMs: config.connectTimeoutMs,
    reconnectMinMs: config.reconnectMinMs,
    reconnectMaxMs: config.reconnectMaxMs,
    statusTopic: statusTopic(address),
    name: 'hq-broker',
    ...(logger ? { logger } : {}),
  };
}

export async function startSyncAgent(o: SyncAgentOptions): Promise<SyncAgent | undefined> {
  const c = o.config;
  if (!c.brokerUrl) return undefined;
  const log = o.logger.child({ subsystem: 'sync' });
  ensureSyncTables(o.db);
  const link = createMqttLink({ ...mqttLinkOptionsFrom(c, o.address, log), ...(o.clock ? { clock: o.clock } : {}) });
  const publisher = createOutboxPublisher({
    db: o.db,
    link,
    address: o.address,
    logger: log,
    ...(o.clock ? { clock: o.clock } : {}),
    ...c.publisher,
    maxRows: c.outbox.maxRows,
    businessMaxPriority: c.outbox.businessMaxPriority,
    sweepIntervalMs: c.outbox.sweepIntervalMs,
  });
  const downlink = createDownlink({
    db: o.db,
    link,
    address: o.address,
    logger: log,
    ...(o.clock ? { clock: o.clock } : {}),
    onConfig: o.onConfig,
    ...(o.checkConfig ? { checkConfig: o.checkConfig } : {}),
    ...(o.storedForm ? { storedForm: o.storedForm } : {}),
    commands: o.commands,
    onEventQueued: () => publisher.notify(),
    onAck: (payload) => publisher.acknowledge(payload),
  });
  await downlink.start();
  publisher.start();
  let stopped: Promise<void> | undefined;
  return {
    link,
    publisher,
    downlink,
    health: () => [link.health(), publisher.health()],
    stop: () =>
      (stopped ??= (async () => {
        await publisher.stop();
        await link.close();
      })()),
  };
}
