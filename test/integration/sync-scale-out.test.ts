/**
 * Two HQ ingest processes on one shared subscription ($share/<group>/trouw/v1/+/+/evt/#)
 * split the stream and together store each event exactly once, against SQLite (one file,
 * two writers) and against PostgreSQL. The ingest processes are the real CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { startPostgres, type Postgres } from '../support/postgres';
import { openHqStore } from '../../sync/hq/open-store';
import { createMqttLink } from '../../sync/gateway/mqtt-link';
import { routeAcks } from '../../sync/gateway/ack-route';
import { createOutboxPublisher } from '../../sync/gateway/publisher';
import { fillOutbox, openGatewayDb, until } from '../../sync/testing/harness';
import { statusTopic } from '../../sync/envelope/topics';

const CLI = resolve(import.meta.dirname, '../../sync/hq/cli.ts');
let m: Mosquitto;
let pg: Postgres;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-sync-scale-'));
  [m, pg] = await Promise.all([startMosquitto(), startPostgres()]);
});
afterAll(async () => {
  await m?.dispose();
  await pg?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface IngestChild {
  child: ChildProcess;
  last: { received: number; stored: number; duplicates: number; deadLettered: number } | undefined;
  up: Promise<void>;
  stop(): Promise<void>;
}

function spawnIngest(db: string, group: string, instance: number): IngestChild {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'ingest', '--broker', m.url, '--db', db, '--group', group, '--client-id', `${group}-${instance}`, '--log-level', 'warn'],
    {
      env: { ...process.env, TROUW_HQ_USERNAME: 'hq', TROUW_HQ_PASSWORD: m.users.hq! },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const self: IngestChild = {
    child,
    last: undefined,
    up: new Promise((resolveUp, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (l) => {
        const msg = JSON.parse(l) as Record<string, unknown>;
        if (msg.ingest === 'up') resolveUp();
        else if ('received' in msg) self.last = msg as never;
      });
      void exited.then(() => reject(new Error('ingest exited before it was up')));
    }),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
  return self;
}

describe.each([
  ['SQLite', () => join(dir, 'hq-shared.db')],
  ['PostgreSQL', () => pg.createDatabase('hq_scale')],
])('two ingest processes, one shared subscription: %s', (_name, dbUrl) => {
  it('split the events and store each exactly once', async () => {
    const db = dbUrl();
    const group = `g${Math.random().toString(36).slice(2, 8)}`;
    const ingests = [spawnIngest(db, group, 1), spawnIngest(db, group, 2)];
    try {
      await Promise.all(ingests.map((i) => i.up));
      const stores = [
        { store: 'store-a', gateway: `gw-${group}` },
        { store: 'store-b', gateway: `gw-${group}` },
      ];
      const all: string[] = [];
      const runs = stores.map(async (gw, k) => {
        const gdb = openGatewayDb(join(dir, `${group}-${k}.db`));
        all.push(...fillOutbox(gdb, 3000));
        const link = createMqttLink({
          url: m.url,
          clientId: `trouw-${gw.store}-${gw.gateway}`,
          username: gw.store,
          password: m.users[gw.store]!,
          statusTopic: statusTopic(gw),
        });
        const pub = createOutboxPublisher({ db: gdb, link, address: gw, idlePollMs: 20 });
        await routeAcks(link, pub, gw);
        pub.start();
        await pub.whenDrained();
        await pub.stop();
        await link.close();
        gdb.close();
      });
      await Promise.all(runs);
      const hq = await openHqStore(db);
      try {
        await until(async () => (await hq.counts()).events === all.length, `HQ holds ${all.length} events`, 60_000);
        const stored = await hq.queryEvents({ limit: 100_000 });
        expect(stored.length).toBe(all.length);
        expect(new Set(stored.map((e) => `${e.source} ${e.id}`)).size).toBe(all.length);
        expect((await hq.counts()).deadLetters).toBe(0);
        // Both processes took a share (counts are reported once a second).
        await until(() => ingests.every((i) => i.last) && ingests.reduce((a, i) => a + i.last!.received, 0) >= all.length, 'both report');
        const received = ingests.map((i) => i.last!.received);
        expect(received.every((n) => n > 0)).toBe(true);
        expect(received[0]! + received[1]!).toBe(all.length);
      } finally {
        await hq.close();
      }
    } finally {
      await Promise.all(ingests.map((i) => i.stop()));
    }
  });
});
