/**
 * The publishing process is killed with SIGKILL in the middle of a drain and started again:
 * HQ still ends up with every event exactly once (rows are deleted only on HQ's end-to-end
 * ack; what was sent but not yet deleted is sent again with the same id, and HQ inserts by
 * (source, id)). On the broker setup Trouw ships (one bound identity per gateway and per
 * ingest connection).
 * The child is sync/gateway/standalone.ts, the publisher as its own process over the same
 * database; once the gateway starts the sync agent itself, the gateway is the process to kill.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { startIngest, type IngestService } from '../../sync/hq/ingest';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore } from '../../sync/hq/store';
import { fillOutbox, openGatewayDb, until } from '../../sync/testing/harness';
import { gatewayUsername, ingestClientId } from '../../sync/broker/mosquitto-setup';

const STANDALONE = resolve(import.meta.dirname, '../../sync/gateway/standalone.ts');
const GW = { store: 'store-a', gateway: 'gw-kill' };
let m: Mosquitto;
let dir: string;
let store: HqStore;
let ingest: IngestService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-sync-kill-'));
  m = await startMosquitto({ setup: { gateways: [GW], groups: ['hq-kill'] } });
  store = openSqliteHqStore(join(dir, 'hq.db'));
  await store.migrate();
  ingest = await startIngest({
    url: m.url,
    store,
    username: 'hq-ingest',
    password: m.users['hq-ingest']!,
    clientId: ingestClientId('hq-ingest'),
    boundIdentity: true,
    group: 'hq-kill',
    reconnectMinMs: 100,
  });
});
afterAll(async () => {
  await ingest?.stop();
  await store?.close();
  await m?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function spawnPublisher(dbPath: string): { child: ChildProcess; exited: Promise<number | null> } {
  const log = createWriteStream(join(dir, 'publisher.log'), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', STANDALONE, '--exit-when-drained'], {
    env: {
      ...process.env,
      TROUW_DATABASE__PATH: dbPath,
      TROUW_STORE__ID: GW.store,
      TROUW_STORE__GATEWAY: GW.gateway,
      TROUW_SYNC__BROKER_URL: m.url,
      TROUW_SYNC__USERNAME: gatewayUsername(GW),
      TROUW_SYNC__PASSWORD: m.users[gatewayUsername(GW)]!,
      TROUW_SYNC__RECONNECT_MIN_MS: '100',
      TROUW_LOG__LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(signal ? -1 : code)));
  return { child, exited };
}

it('publisher killed with SIGKILL mid-drain and restarted: every event exactly once at HQ', async () => {
  const dbPath = join(dir, 'gateway.db');
  const setupDb = openGatewayDb(dbPath);
  const ids = fillOutbox(setupDb, 30_000);
  setupDb.close();
  const watch = new Database(dbPath, { readonly: true });
  const remaining = () => watch.prepare('SELECT COUNT(*) FROM outbox').pluck().get() as number;
  try {
    const first = spawnPublisher(dbPath);
    await until(() => remaining() < 28_000, 'the drain under way', 60_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(-1);
    const left = remaining();
    expect(left).toBeGreaterThan(0);

    const second = spawnPublisher(dbPath);
    expect(await second.exited).toBe(0); // --exit-when-drained
    expect(remaining()).toBe(0);
    await until(async () => (await store.counts()).events === ids.length, 'HQ has every event', 60_000);
    const stored = await store.queryEvents({ store: 'store-a', gateway: 'gw-kill', limit: 100_000 });
    expect(stored.length).toBe(ids.length);
    expect(new Set(stored.map((e) => e.id))).toEqual(new Set(ids));
    expect((await store.counts()).deadLetters).toBe(0);
  } finally {
    watch.close();
  }
});
