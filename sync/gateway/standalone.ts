/**
 * Runs the outbox publisher alone against a gateway database, outside the gateway process:
 *   tsx sync/gateway/standalone.ts [--config gateway.yaml] [--exit-when-drained]
 * Config and environment as the gateway's (TROUW_SYNC__BROKER_URL, TROUW_DATABASE__PATH, ...).
 * For store IT (drain a backlog from a copy of a gateway's database) and for the tests that
 * SIGKILL a publisher mid-drain. It does not take the downlink: commands and configs wait
 * at the broker for the gateway itself. Prints one JSON line per second with its progress.
 */
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig } from '../../gateway/config/load';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createMqttLink } from './mqtt-link';
import { routeAcks } from './ack-route';
import { createOutboxPublisher } from './publisher';
import { mqttLinkOptionsFrom } from './sync-agent';

const { values } = parseArgs({ options: { config: { type: 'string' }, 'exit-when-drained': { type: 'boolean' } } });
const config = loadConfig(values.config ? { file: values.config } : {});
const log = createLogger({ level: config.log.level, name: 'trouw-sync' }, process.stderr as never);
if (!config.sync.brokerUrl) {
  console.error('sync.brokerUrl is not set (TROUW_SYNC__BROKER_URL)');
  process.exit(2);
}
const address = { store: config.store.id, gateway: config.store.gateway };
const db = new Database(config.database.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${config.database.busyTimeoutMs}`);
const link = createMqttLink(mqttLinkOptionsFrom(config.sync, address, log));
const publisher = createOutboxPublisher({
  db,
  link,
  address,
  logger: log,
  ...config.sync.publisher,
  maxRows: config.sync.outbox.maxRows,
  businessMaxPriority: config.sync.outbox.businessMaxPriority,
  sweepIntervalMs: config.sync.outbox.sweepIntervalMs,
});
await routeAcks(link, publisher, address);
publisher.start();
const progress = setInterval(() => console.log(JSON.stringify({ ...publisher.stats(), link: link.state })), 1000);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  clearInterval(progress);
  await publisher.stop();
  await link.close();
  db.close();
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
if (values['exit-when-drained']) {
  void publisher.whenDrained().then(() => {
    console.log(JSON.stringify({ drained: true, ...publisher.stats() }));
    return stop(0);
  });
}
