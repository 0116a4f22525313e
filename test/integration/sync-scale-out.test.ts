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
import { gatewayCredentials } from '../support/broker-identities';
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

const GROUPS = ['g-sqlite', 'g-pg'] as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-sync-scale-'));
  // The broker setup Trouw ships: each ingest process its own bound identity (its 8
  // connections bound to their client ids), the gateways theirs; one group per case.
  const gateways = GROUPS.flatMap((g) => ['store-a', 'store-b'].map((store) => ({ store, gateway: `gw-${g}` })));
  [m, pg] = await Promise.all([
    startMosquitto({ setup: { gateways, groups: [...GROUPS], ingest: ['hq-ingest-1', 'hq-ingest-2', 'hq-ingest-3', 'hq-ingest-4'] } }),
    startPostgres(),
  ]);
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
  const identity = `hq-ingest-${instance}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'ingest', '--broker', m.url, '--db', db, '--group', group, '--bound-identity', '--log-level', 'warn'],
    {
      env: { ...process.env, TROUW_HQ_USERNAME: identity, TROUW_HQ_PASSWORD: m.users[identity]! },
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
  ['SQLite', () => join(dir, 'hq-shared.db'), GROUPS[0]],
  ['PostgreSQL', () => pg.createDatabase('hq_scale'), GROUPS[1]],
])('two ingest processes, one shared subscription: %s', (_name, dbUrl, group) => {
  it('split the events and store each exactly once', async () => {
    const db = dbUrl();
    // Identities of their own per case: a bound identity's session outlives its process (300 s)
    // and keeps its shared subscription, so reusing one in another group would get both.
    const first = group === GROUPS[0] ? 1 : 3;
    const ingests = [spawnIngest(db, group, first), spawnIngest(db, group, first + 1)];
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
          ...gatewayCredentials(m, gw),
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
