/**
 * `tsx sync/hq/cli.ts settle --member M` as an operator runs it: a real mosquitto, an HQ
 * SQLite database prepared with the HQ store, two stores listening on their command topics.
 * The service underneath is tested in test/unit/sync-settlement.test.ts; this checks the
 * command's wiring: options, the settlement database, the commands sent, output and exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { controlCredentials, gatewayCredentials } from '../support/broker-identities';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { IngestedEvent } from '../../sync/hq/store';
import { createMqttLink, type MqttLink } from '../../sync/gateway/mqtt-link';
import { until } from '../../sync/testing/harness';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const T0 = Date.parse('2026-11-20T10:00:00Z');

let m: Mosquitto;
let dir: string;
let hqDb: string;
const links: MqttLink[] = [];
const received: { store: string; type: string; data: Record<string, unknown> }[] = [];

function event(store: string, n: number, type: string, pointsDelta: number, data: Record<string, unknown>): IngestedEvent {
  const timeMs = T0 + n * 60_000;
  return {
    source: `/stores/${store}/gw-1`,
    id: `01JCLI${String(n).padStart(20, '0')}`,
    store,
    gateway: 'gw-1',
    type,
    time: new Date(timeMs).toISOString(),
    timeMs,
    subject: null,
    member: 'M-1',
    pointsDelta,
    data: JSON.stringify(data),
    receivedAt: timeMs,
  };
}
const spend = (store: string, n: number, points: number) =>
  event(store, n, 'trouw.points.spent.v1', -points, {
    memberId: 'local',
    memberNumber: 'M-1',
    receipt: `R${n}`,
    lane: 'lane-1',
    points,
    amountCents: points,
    balance: 0,
  });

/** A store's side of the broker: subscribed to its commands, so HQ's publishes have a taker. */
async function listen(store: string) {
  const link = createMqttLink({ url: m.url, ...gatewayCredentials(m, { store, gateway: 'gw-1' }), reconnectMinMs: 100, reconnectMaxMs: 500 });
  links.push(link);
  link.setHandler((msg) => {
    const e = JSON.parse(msg.payload.toString('utf8')) as { type: string; data: Record<string, unknown> };
    received.push({ store, type: e.type, data: e.data });
  });
  await link.whenUp(15_000);
  await link.subscribe([`trouw/v1/${store}/gw-1/cmd/+`]);
}

const cli = (args: string[]) =>
  run(TSX, ['sync/hq/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 45_000,
    env: { ...process.env, TROUW_HQ_USERNAME: 'hq-control', TROUW_HQ_PASSWORD: controlCredentials(m).password },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-hq-settle-cli-'));
  hqDb = join(dir, 'hq.db');
  m = await startMosquitto({
    setup: {
      gateways: [
        { store: 'store-a', gateway: 'gw-1' },
        { store: 'store-b', gateway: 'gw-1' },
      ],
    },
  });
  const store = openSqliteHqStore(hqDb);
  await store.migrate();
  await store.insertEvents([
    event('store-a', 0, 'trouw.sale.completed.v1', 1000, { receipt: 'S0', pointsAwarded: 1000, memberNumber: 'M-1' }),
    spend('store-a', 5, 800),
    spend('store-b', 6, 800),
  ]);
  await store.close();
  await listen('store-a');
  await listen('store-b');
});

afterAll(async () => {
  for (const l of links) await l.close();
  await m?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('hq cli: settle', () => {
  it('settles the member across stores, sends settle-member to each, and records the account', async () => {
    const settlementDb = join(dir, 'settlement', 'hq-settlement.db'); // a folder that does not exist yet
    const r = await cli(['settle', '--broker', m.url, '--db', hqDb, '--settlement-db', settlementDb, '--member', 'M-1', '--log-level', 'warn']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      member: string;
      balance: number;
      debt: number;
      sent: { to: { store: string } }[];
      failed: unknown[];
    };
    expect(out).toMatchObject({ member: 'M-1', balance: 0, debt: 600, failed: [] });
    expect(out.sent.map((s) => s.to.store).sort()).toEqual(['store-a', 'store-b']);

    await until(() => received.length >= 2, 'both stores got the command', 15_000);
    expect(received.map((c) => c.store).sort()).toEqual(['store-a', 'store-b']);
    for (const c of received) {
      expect(c.type).toBe('trouw.command.settle-member.v1');
      expect(c.data).toEqual({ member: 'M-1', balance: 0, debt: 600, asOf: T0 + 6 * 60_000 });
    }

    const db = new Database(settlementDb, { readonly: true });
    try {
      expect(db.prepare('SELECT balance, debt, events FROM hq_member_accounts WHERE member = ?').get('M-1')).toEqual({ balance: 0, debt: 600, events: 3 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM hq_settlement_commands').get()).toEqual({ n: 2 });
    } finally {
      db.close();
    }
  });

  it('without --member: exit 2 and says what is missing', async () => {
    const r = await cli(['settle', '--broker', m.url, '--db', hqDb]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('settle needs --member');
  });
});
