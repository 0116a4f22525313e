/**
 * The chaos matrix of issue 13, on a real mosquitto 2.0 with the broker setup Trouw ships:
 * the broker is restarted mid-drain ×
 *   { HQ ingest up, HQ ingest down, an extra plain subscriber as HQ's ingest identity,
 *     a second `$share` group }
 * × { gateway SIGKILLed mid-drain, or not }.
 * Each cell drains 5,000 events from its own gateway's outbox (40,000 in all). It passes when
 * HQ's store holds every event of that outbox exactly once — compared id by id with the rows
 * the outbox produced, in its own seq order — and the outbox ends empty.
 *
 * Why these: mosquitto 2.0.11 restores persistent sessions after a restart without their
 * shared subscriptions. With another subscriber matching the events (a monitor, a second
 * consumer group), the broker answers PUBACK 0x00 for events HQ never gets; a publisher that
 * deleted on PUBACK lost them (issue 13: 2,622 of 7,520). The gateway now deletes only on
 * HQ's end-to-end ack and resends what HQ has not acknowledged after `hqAckTimeoutMs`.
 * `TROUW_CHAOS_DELETE_ON=broker` runs the unkilled cells with the old rule (delete on
 * PUBACK) to see them fail.
 *
 * The ingest reconnects slowly on purpose (2.5–3 s) and the gateway fast (0.1 s), so the
 * gateway publishes into the window where HQ's shared subscription is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { createMqttLink } from '../../sync/gateway/mqtt-link';
import { createOutboxPublisher } from '../../sync/gateway/publisher';
import { routeAcks } from '../../sync/gateway/ack-route';
import { startIngest, type IngestService } from '../../sync/hq/ingest';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore } from '../../sync/hq/store';
import { statusTopic, type GatewayAddress } from '../../sync/envelope/topics';
import { gatewayClientId, gatewayUsername, ingestClientId, ingestUsername } from '../../sync/broker/mosquitto-setup';
import { fillOutbox, openGatewayDb, until } from '../../sync/testing/harness';

const STANDALONE = resolve(import.meta.dirname, '../../sync/gateway/standalone.ts');
const EVENTS = 5000;
const HQ_ACK_TIMEOUT_MS = 3000;
const SCENARIOS = ['ingest-up', 'ingest-down', 'plain-subscriber', 'second-group'] as const;
type Scenario = (typeof SCENARIOS)[number];
const CELLS = SCENARIOS.flatMap((scenario) => [false, true].map((kill) => ({ scenario, kill })));
const gatewayOf = (c: { scenario: Scenario; kill: boolean }): GatewayAddress => ({ store: 'store-a', gateway: `${c.scenario}-${c.kill ? 'kill' : 'live'}` });
const deleteOn = process.env.TROUW_CHAOS_DELETE_ON === 'broker' ? 'broker' : 'hq';

let m: Mosquitto;
let dir: string;
let hq: HqStore;
let ingest: IngestService | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

async function startHqIngest() {
  ingest = await startIngest({
    url: m.url,
    store: hq,
    username: 'hq-ingest',
    password: m.users['hq-ingest']!,
    // The product's setup binds each connection's client id to its own username.
    clientId: ingestClientId('hq-ingest'),
    boundIdentity: true,
    connections: 2,
    sessionExpirySeconds: 300,
    reconnectMinMs: 2500,
    reconnectMaxMs: 3000,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-chaos-ack-'));
  m = await startMosquitto({ setup: { gateways: CELLS.map(gatewayOf), groups: ['hq', 'audit'], ingest: ['hq-ingest', 'hq-monitor'], ingestConnections: 2 } });
  hq = openSqliteHqStore(join(dir, 'hq.db'));
  await hq.migrate();
  await startHqIngest();
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await ingest?.stop();
  await hq?.close();
  await m?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** mosquitto_sub as another subscriber on the events, with a second HQ ingest identity (its two bound connections). */
function startExtraSubscriber(kind: 'plain' | 'audit'): ChildProcess {
  const i = kind === 'plain' ? 0 : 1;
  const args = ['-h', '127.0.0.1', '-p', String(m.port), '-V', '5', '-q', '1', '-u', ingestUsername('hq-monitor', i), '-P', m.users['hq-monitor']!];
  args.push('-i', ingestClientId('hq-monitor', i));
  // The plain one keeps a persistent session, so the broker restores its subscription at once.
  if (kind === 'plain') args.push('-c', '-x', '600', '-t', 'trouw/v1/+/+/evt/#');
  else args.push('-t', '$share/audit/trouw/v1/+/+/evt/#');
  const p = spawn('mosquitto_sub', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanups.push(() => void p.kill('SIGKILL'));
  return p;
}

/** The publisher as its own process (sync/gateway/standalone.ts), so it can be SIGKILLed. */
function spawnGateway(gw: GatewayAddress, dbPath: string) {
  const u = gatewayUsername(gw);
  const log = createWriteStream(join(dir, `${gw.gateway}.log`), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', STANDALONE, '--exit-when-drained'], {
    env: {
      ...process.env,
      TROUW_DATABASE__PATH: dbPath,
      TROUW_STORE__ID: gw.store,
      TROUW_STORE__GATEWAY: gw.gateway,
      TROUW_SYNC__BROKER_URL: m.url,
      TROUW_SYNC__USERNAME: u,
      TROUW_SYNC__PASSWORD: m.users[u]!,
      TROUW_SYNC__RECONNECT_MIN_MS: '100',
      TROUW_SYNC__RECONNECT_MAX_MS: '500',
      TROUW_SYNC__PUBLISHER__HQ_ACK_TIMEOUT_MS: String(HQ_ACK_TIMEOUT_MS),
      TROUW_SYNC__PUBLISHER__IDLE_POLL_MS: '20',
      TROUW_LOG__LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(signal ? -1 : code)));
  cleanups.push(() => void child.kill('SIGKILL'));
  return { child, exited };
}

/** The publisher in this process (the unkilled cells). */
async function startInProcess(gw: GatewayAddress, db: Database.Database) {
  const u = gatewayUsername(gw);
  const link = createMqttLink({
    url: m.url,
    clientId: gatewayClientId(gw),
    username: u,
    password: m.users[u]!,
    statusTopic: statusTopic(gw),
    protocol: '5',
    reconnectMinMs: 100,
    reconnectMaxMs: 500,
  });
  const pub = createOutboxPublisher({ db, link, address: gw, idlePollMs: 20, hqAckTimeoutMs: HQ_ACK_TIMEOUT_MS, deleteOn });
  await routeAcks(link, pub, gw);
  pub.start();
  return {
    drained: () => pub.whenDrained(),
    async stop() {
      await pub.stop();
      await link.close();
    },
  };
}

/** Events HQ holds from this gateway (its hq_gateways row: cheap to poll, unlike reading the events). */
const atHq = async (gw: GatewayAddress) => (await hq.gateways()).find((g) => g.store === gw.store && g.gateway === gw.gateway)?.events ?? 0;

describe('chaos: broker restarted mid-drain; HQ holds every outbox event exactly once', () => {
  for (const cell of CELLS) {
    it(`${cell.scenario}, gateway ${cell.kill ? 'SIGKILLed mid-drain' : 'kept running'}`, async () => {
      const gw = gatewayOf(cell);
      const dbPath = join(dir, `${gw.gateway}.db`);
      const setupDb = openGatewayDb(dbPath);
      // The outbox's own sequence: ids in seq order, as the ledger wrote them.
      fillOutbox(setupDb, EVENTS);
      const produced = setupDb.prepare('SELECT seq, id FROM outbox ORDER BY seq').all() as { seq: number; id: string }[];
      expect(produced.length).toBe(EVENTS);
      let extra =
        cell.scenario === 'plain-subscriber' ? startExtraSubscriber('plain') : cell.scenario === 'second-group' ? startExtraSubscriber('audit') : undefined;

      let proc: ReturnType<typeof spawnGateway> | undefined;
      let inProc: Awaited<ReturnType<typeof startInProcess>> | undefined;
      if (cell.kill) {
        setupDb.close();
        proc = spawnGateway(gw, dbPath);
      } else {
        inProc = await startInProcess(gw, setupDb);
        cleanups.push(() => inProc?.stop());
        cleanups.push(() => void setupDb.close());
      }
      const watch = new Database(dbPath, { readonly: true, fileMustExist: true });
      cleanups.push(() => void watch.close());
      const outboxRows = () => watch.prepare('SELECT COUNT(*) FROM outbox').pluck().get() as number;

      await until(async () => (await atHq(gw)) >= 1000, 'the drain under way', 60_000, 5);
      if (cell.scenario === 'ingest-down') {
        await ingest!.stop();
        ingest = undefined;
      }
      if (proc) {
        proc.child.kill('SIGKILL');
        expect(await proc.exited).toBe(-1);
      }
      await m.stop();
      await m.start();
      if (cell.scenario === 'second-group') {
        // The other group's consumer is back at once (shared subscriptions are not restored
        // with the session, so it subscribes again), before HQ's ingest: the broker now
        // acknowledges events that only the other group gets.
        extra?.kill('SIGKILL');
        extra = startExtraSubscriber('audit');
      }
      if (cell.kill) proc = spawnGateway(gw, dbPath);
      if (cell.scenario === 'ingest-down') {
        // The gateway publishes into a broker that restored HQ's sessions without their shared
        // subscription, and nobody else subscribes: PUBACK 0x10, it waits; then HQ comes back.
        await new Promise((r) => setTimeout(r, 2000));
        await startHqIngest();
      }

      if (proc)
        expect(await proc.exited).toBe(0); // --exit-when-drained: the outbox is empty
      else await inProc!.drained();
      await until(async () => (await atHq(gw)) >= EVENTS, `HQ holds ${EVENTS} events`, 20_000);
      const stored = await hq.queryEvents({ store: gw.store, gateway: gw.gateway, limit: 100_000 });
      const byId = new Map(stored.map((e) => [e.id, e]));
      const missing = produced.filter((r) => !byId.has(r.id));
      expect(
        missing.length,
        `missing at HQ (first seqs ${missing
          .slice(0, 5)
          .map((r) => r.seq)
          .join(', ')})`,
      ).toBe(0);
      expect(stored.length).toBe(EVENTS); // (source, id) is HQ's key: equal counts mean each once
      expect(outboxRows()).toBe(0);
      expect((await hq.counts()).deadLetters).toBe(0);
      extra?.kill('SIGKILL');
      await inProc?.stop();
    }, 180_000);
  }
});
