/**
 * Issue 6, "Offline redemption, safely": two stores (two real gateways in this process, each
 * with its own SQLite and till over a socat pty pair) on one real mosquitto, with the real HQ
 * ingest and the settlement service:
 * - HQ's snapshot (settle-member, no debt) gives both stores the member's 1000 points;
 * - the broker goes away; both stores, offline at once, take 800 points as tender;
 * - the broker comes back, both sync; HQ settles: balance 0, debt 600 on the member's HQ
 *   account; both stores get `settle-member` and apply it once (a replay changes nothing);
 *   the member's next balance at either till is 0 with a deficit of 600, and every event of
 *   both stores is at HQ exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { validateConfig } from '../../gateway/config/load';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { startSocat, type PtyPair } from '../support/socat';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { controlCredentials, gatewayCredentials, startTestIngest } from '../support/broker-identities';
import type { IngestService } from '../../sync/hq/ingest';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore } from '../../sync/hq/store';
import { createMqttLink, type MqttLink } from '../../sync/gateway/mqtt-link';
import { sendCommand } from '../../sync/hq/control';
import { createSettlementService, type SettlementService } from '../../sync/hq/settlement-service';
import { createSnapshotFeeder } from '../../sync/hq/settlement-snapshots';
import { until } from '../../sync/testing/harness';

const MEMBER = 'M-1';
const A = { store: 'store-a', gateway: 'gw-a' };
const B = { store: 'store-b', gateway: 'gw-b' };

interface Store {
  to: { store: string; gateway: string };
  gw: RunningGateway;
  till: SimTill;
  pair: PtyPair;
}

let m: Mosquitto;
let dir: string;
let hqStore: HqStore;
let ingest: IngestService;
let hq: MqttLink;
let settleDb: Database.Database;
let settlement: SettlementService;
const stores: Store[] = [];

async function startStore(to: { store: string; gateway: string }): Promise<Store> {
  const pair = await startSocat();
  const config = validateConfig({
    store: { id: to.store, gateway: to.gateway },
    database: { path: join(dir, `${to.store}.db`) },
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
    lanes: [{ id: 'lane-1', transport: 'serial', path: pair.a }],
    till: { reconnectMinMs: 50, reconnectMaxMs: 300 },
    loyalty: { minimumSpendCents: 0 },
    members: [{ number: MEMBER, name: 'Sanne de Vries' }],
    sync: { brokerUrl: m.url, ...gatewayCredentials(m, to), reconnectMinMs: 100, reconnectMaxMs: 500, publisher: { idlePollMs: 50 } },
  });
  const logger = createLogger({ level: 'warn' }, new Writable({ write: (_c, _e, cb) => cb() }));
  const gw = await startGateway(config, { logger, listen: false });
  const till = new SimTill({
    transport: { kind: 'serial', path: pair.b },
    journal: join(dir, `${to.store}-till.jsonl`),
    lane: 'lane-1',
    seed: to.store === 'store-a' ? 11 : 12,
  });
  await till.open();
  await until(() => gw.health().lanes[0]?.state === 'up', `${to.store} lane up`, 15_000);
  return { to, gw, till, pair };
}

const linkState = (s: Store) => s.gw.health().devices.find((d) => d.name === 'hq-broker')?.state;
const account = (s: Store) => s.gw.db.prepare('SELECT balance, deficit FROM members WHERE number = ?').get(MEMBER) as { balance: number; deficit: number };
const allEvents = (to?: { store: string; gateway: string }) => hqStore.queryEvents({ limit: 100_000, ...(to ?? {}) });

async function applied(to: { store: string; gateway: string }, commandId: string) {
  await until(
    async () =>
      (await hqStore.queryEvents({ ...to, type: 'trouw.command.applied.v1', limit: 10_000 })).some(
        (e) => (e.data as { commandId: string }).commandId === commandId,
      ),
    `${to.store} reports command ${commandId}`,
    20_000,
  );
  return (await hqStore.queryEvents({ ...to, type: 'trouw.command.applied.v1', limit: 10_000 })).filter(
    (e) => (e.data as { commandId: string }).commandId === commandId,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-settlement-'));
  m = await startMosquitto({ setup: { gateways: [A, B] } });
  hqStore = openSqliteHqStore(join(dir, 'hq.db'));
  await hqStore.migrate();
  ingest = await startTestIngest(m, hqStore);
  hq = createMqttLink({ url: m.url, clientId: 'hq-settle-control', ...controlCredentials(m), reconnectMinMs: 100, reconnectMaxMs: 500 });
  await until(() => hq.health().state === 'up', 'HQ control link up', 15_000);
  settleDb = new Database(join(dir, 'hq-settlement.db'));
  settlement = createSettlementService({ store: hqStore, db: settleDb, link: hq });
  stores.push(await startStore(A), await startStore(B));
  for (const s of stores) await until(() => linkState(s) === 'up', `${s.to.store} sync up`, 15_000);
}, 90_000);

afterAll(async () => {
  for (const s of stores) {
    await s.till.close();
    await s.gw.stop();
    await s.pair.close();
  }
  await hq?.close();
  await ingest?.stop();
  await hqStore?.close();
  settleDb?.close();
  await m?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('two stores offline at once spend the same points; HQ settles', () => {
  it("the member has 1000 points at HQ, and both stores hold them after HQ's snapshot", async () => {
    const [a, b] = stores as [Store, Store];
    const adj = await sendCommand(hq, A, 'adjust-points', { member: MEMBER, points: 1000, reason: 'opening balance', by: 'ops@hq' });
    if (!adj.ok) throw new Error(adj.error);
    expect((await applied(A, adj.value.id))[0]!.data).toMatchObject({ outcome: 'applied' });
    await until(async () => (await allEvents(A)).some((e) => e.type === 'trouw.points.adjusted.v1'), 'adjustment at HQ', 20_000);

    const out = await settlement.settleMember(MEMBER, { to: [A, B] });
    expect(out.failed).toEqual([]);
    expect(out.settlement).toMatchObject({ balance: 1000, debt: 0 });
    for (const { to, commandId } of out.sent) expect((await applied(to, commandId))[0]!.data).toMatchObject({ outcome: 'applied' });
    expect(account(a)).toEqual({ balance: 1000, deficit: 0 });
    expect(account(b)).toEqual({ balance: 1000, deficit: 0 });
    expect(b.gw.db.prepare('SELECT kind, points FROM ledger_entries WHERE key LIKE ?').all('cmd:%:settle')).toEqual([{ kind: 'adjust', points: 1000 }]);
  }, 60_000);

  it('offline at once, both stores take 800 of those points as tender; back online, HQ settles a debt of 600, both stores apply it once', async () => {
    const [a, b] = stores as [Store, Store];
    await m.stop();
    for (const s of stores) await until(() => linkState(s) !== 'up', `${s.to.store} offline`, 15_000);
    await until(() => hq.health().state !== 'up', 'HQ offline', 15_000);

    const spends = await Promise.all(
      stores.map((s) =>
        s.till.sale({
          member: null,
          lines: [{ sku: 'SKU-9', category: 'grocery', qty: 1, amountCents: 800 }],
          tenders: [{ kind: 'points', amountCents: 800, member: MEMBER }],
        }),
      ),
    );
    for (const r of spends) {
      if (!r.ok) throw new Error(`sale failed: ${r.error.code}`);
      expect(r.value).toMatchObject({ type: 'sale.ok', pointsSpent: 800 });
    }
    expect(account(a)).toEqual({ balance: 200, deficit: 0 });
    expect(account(b)).toEqual({ balance: 200, deficit: 0 });
    // Nothing reached HQ yet.
    expect((await allEvents()).filter((e) => e.type === 'trouw.points.spent.v1')).toHaveLength(0);

    await m.start();
    for (const s of stores) await until(() => linkState(s) === 'up', `${s.to.store} back`, 20_000);
    await until(() => hq.health().state === 'up', 'HQ back', 20_000);
    for (const s of stores)
      await until(() => (s.gw.db.prepare('SELECT count(*) FROM outbox').pluck().get() as number) === 0, `${s.to.store} outbox drained`, 30_000);
    await until(async () => (await allEvents()).filter((e) => e.type === 'trouw.points.spent.v1').length === 2, 'both spends at HQ', 20_000);

    const out = await settlement.settleMember(MEMBER, { to: [A, B] });
    expect(out.failed).toEqual([]);
    expect(out.settlement).toMatchObject({ balance: 0, debt: 600 });
    // HQ shows the debt on the member's account.
    expect(settlement.account(MEMBER)).toMatchObject({ member: MEMBER, balance: 0, debt: 600 });
    const lines = settlement.lines(MEMBER);
    expect(lines.map((l) => [l.store, l.type, l.delta])).toEqual([
      ['store-a', 'trouw.points.adjusted.v1', 1000],
      ...[...lines.slice(1)].map((l) => [l.store, 'trouw.points.spent.v1', -800]),
    ]);
    expect(new Set(lines.slice(1).map((l) => l.store))).toEqual(new Set(['store-a', 'store-b']));
    expect(lines.reduce((s, l) => s + l.debtDelta, 0)).toBe(600);

    // Both stores receive the settlement and apply it.
    for (const { to, commandId } of out.sent) {
      const outcome = await applied(to, commandId);
      expect(outcome).toHaveLength(1);
      expect(outcome[0]!.data).toMatchObject({ outcome: 'applied', detail: { balance: 0, deficit: 600 } });
    }
    expect(out.sent.map((s) => s.to.store).sort()).toEqual(['store-a', 'store-b']);
    expect(account(a)).toEqual({ balance: 0, deficit: 600 });
    expect(account(b)).toEqual({ balance: 0, deficit: 600 });

    // A replay of the same command (same id) changes nothing.
    const sentA = out.sent.find((s) => s.to.store === 'store-a')!;
    const replays = a.gw.sync!.downlink.stats().commandsReplayed;
    await sendCommand(hq, A, 'settle-member', { member: MEMBER, balance: 0, debt: 600, asOf: out.settlement.asOf }, { id: sentA.commandId });
    await until(() => a.gw.sync!.downlink.stats().commandsReplayed > replays, 'replay seen', 15_000);
    expect(account(a)).toEqual({ balance: 0, deficit: 600 });
    expect(a.gw.db.prepare('SELECT count(*) FROM ledger_entries WHERE key = ?').pluck().get(`cmd:${sentA.commandId}:settle`)).toBe(1);

    // The member's next balance reflects it: 0 at either till, and an earning pays the debt first.
    for (const s of stores) {
      const r = await s.till.identify({ member: MEMBER });
      expect(r.ok && r.value).toMatchObject({ type: 'identify.ok', member: { number: MEMBER, balance: 0 } });
    }
    const adj = await sendCommand(hq, B, 'adjust-points', { member: MEMBER, points: 650, reason: 'goodwill', by: 'ops@hq' });
    if (!adj.ok) throw new Error(adj.error);
    await applied(B, adj.value.id);
    expect(account(b)).toEqual({ balance: 50, deficit: 0 });
    await until(async () => (await allEvents(B)).some((e) => e.type === 'trouw.points.adjusted.v1'), 'goodwill at HQ', 20_000);
    expect((await settlement.settleMember(MEMBER, { to: [] })).settlement).toMatchObject({ balance: 50, debt: 0 });
  }, 120_000);

  it('member snapshots flow down to the stores where the member was active', async () => {
    const feeder = createSnapshotFeeder({ store: hqStore, settlement });
    const before = (await allEvents()).filter((e) => e.type === 'trouw.command.applied.v1' && (e.data as { name: string }).name === 'member-snapshot').length;
    expect(await feeder.pump()).toBe(2);
    await until(
      async () =>
        (await allEvents()).filter((e) => e.type === 'trouw.command.applied.v1' && (e.data as { name: string }).name === 'member-snapshot').length ===
        before + 2,
      'both stores applied member-snapshot',
      20_000,
    );
    const outcomes = (await allEvents()).filter((e) => e.type === 'trouw.command.applied.v1' && (e.data as { name: string }).name === 'member-snapshot');
    expect(outcomes.map((e) => e.store).sort()).toEqual(['store-a', 'store-b']);
    for (const e of outcomes) expect(e.data).toMatchObject({ outcome: 'applied' });
    await feeder.stop();
  }, 60_000);

  it('no entry is lost: every points event of both stores is at HQ exactly once and in the settlement', async () => {
    const events = await allEvents();
    const keys = events.map((e) => `${e.source}/${e.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect((await hqStore.counts()).deadLetters).toBe(0);
    for (const s of stores) {
      // Every ledger entry of the member at the store, except HQ's own settlement alignments, went up as an event.
      const local = s.gw.db.prepare(`SELECT key FROM ledger_entries WHERE key NOT LIKE 'cmd:%:settle'`).all() as { key: string }[];
      const atHq = events.filter((e) => e.store === s.to.store && ['trouw.points.spent.v1', 'trouw.points.adjusted.v1'].includes(e.type));
      expect(atHq.length).toBe(local.length);
    }
    const lines = settlement.lines(MEMBER);
    const pointsEvents = events.filter((e) => ['trouw.points.spent.v1', 'trouw.points.adjusted.v1'].includes(e.type));
    expect(lines.map((l) => `${l.source}/${l.id}`).sort()).toEqual(pointsEvents.map((e) => `${e.source}/${e.id}`).sort());
  });
});
