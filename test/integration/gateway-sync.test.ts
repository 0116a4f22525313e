/**
 * The real gateway (startGateway in this process) with sync on, a till (SimTill over a socat
 * pty pair), a real mosquitto with the chain's ACL and the real HQ ingest on SQLite:
 * - sales rung at the till reach HQ, each exactly once;
 * - HQ's `adjust-points` and `erase-member` are applied once each (a replay with the same id
 *   is ignored), the balance moves, the member's cards are gone, the ledger is kept;
 * - a malformed `cfg` is rejected (reported to HQ) and the gateway keeps running;
 * - HQ's `zones` (labels, zone parameters) and `staff` (store-IT tokens) apply live; a zone
 *   this store does not have refuses the document with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import type { IngestService } from '../../sync/hq/ingest';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore } from '../../sync/hq/store';
import { createMqttLink, type MqttLink } from '../../sync/gateway/mqtt-link';
import { publishStoreConfig, sendCommand } from '../../sync/hq/control';
import { configTopic, eventTopic } from '../../sync/envelope/topics';
import { makeCloudEvent } from '../../sync/envelope/cloudevent';
import { validateUplinkEvent } from '../../sync/schemas/validate-event';
import { until } from '../../sync/testing/harness';
import { hashedStaffToken } from '../../gateway/app/members/staff-sessions';
import { controlCredentials, gatewayCredentials, startTestIngest } from '../support/broker-identities';

const STORE = 'store-a';
const GATEWAY = 'gw-sync';
const to = { store: STORE, gateway: GATEWAY };
const CARD = 'tok-m1-card-0001';
/** A store-IT token HQ issues (sync `cfg` `staff`, role `admin`). */
const HQ_ADMIN = 'hq-issued-admin-token-7f3a9c';

let m: Mosquitto;
let pair: PtyPair;
let dir: string;
let hqStore: HqStore;
let ingest: IngestService;
let hq: MqttLink;
let gw: RunningGateway;
let till: SimTill;
const logLines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-gw-sync-'));
  // The broker setup Trouw ships: this gateway's own identity bound to its client id, bound
  // ingest connections, and a control identity for HQ's commands and configs.
  m = await startMosquitto({ setup: { gateways: [to] } });
  pair = await startSocat();
  hqStore = openSqliteHqStore(join(dir, 'hq.db'));
  await hqStore.migrate();
  ingest = await startTestIngest(m, hqStore);
  hq = createMqttLink({
    url: m.url,
    clientId: 'hq-control-gw-sync',
    ...controlCredentials(m),
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
  });
  await until(() => hq.health().state === 'up', 'HQ control link up', 15_000);

  const config = validateConfig({
    store: { id: STORE, gateway: GATEWAY },
    database: { path: join(dir, 'gateway.db') },
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'debug' },
    lanes: [{ id: 'lane-1', transport: 'serial', path: pair.a }],
    till: { reconnectMinMs: 50, reconnectMaxMs: 300 },
    loyalty: { minimumSpendCents: 0 },
    presence: {
      driver: 'simulated',
      scanners: [
        { name: 's-fresh', zone: 'fresh', port: '/sim/fresh' },
        { name: 's-bakery', zone: 'bakery', port: '/sim/bakery' },
      ],
      zones: [{ id: 'fresh', label: 'Fresh produce', switchMarginDb: 5 }],
    },
    members: [
      { number: 'M-1', name: 'Sanne de Vries', cards: [CARD] },
      { number: 'M-2', name: 'Daan Jansen' },
    ],
    sync: {
      brokerUrl: m.url,
      ...gatewayCredentials(m, to),
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
      publisher: { idlePollMs: 50 },
    },
  });
  const logger = createLogger({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }));
  gw = await startGateway(config, { logger, listen: false });
  till = new SimTill({ transport: { kind: 'serial', path: pair.b }, journal: join(dir, 'till.jsonl'), lane: 'lane-1', seed: 5 });
  await till.open();
  await until(() => gw.health().lanes[0]?.state === 'up', 'lane-1 up', 15_000);
  await until(() => gw.health().devices.some((d) => d.name === 'hq-broker' && d.state === 'up'), 'gateway sync link up', 15_000);
}, 60_000);

afterAll(async () => {
  await till?.close();
  await gw?.stop();
  await hq?.close();
  await ingest?.stop();
  await hqStore?.close();
  await pair?.close();
  await m?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const events = (type?: string) => hqStore.queryEvents({ store: STORE, gateway: GATEWAY, limit: 10_000, ...(type ? { type } : {}) });
const balanceOf = (number: string) =>
  gw.db.prepare('SELECT balance, deficit FROM members WHERE number = ?').get(number) as { balance: number; deficit: number };
const line = { sku: 'SKU-1', category: 'grocery', qty: 1, amountCents: 2500 };

async function commandOutcome(id: string) {
  await until(
    async () => (await events('trouw.command.applied.v1')).some((e) => (e.data as { commandId: string }).commandId === id),
    `HQ hears back about command ${id}`,
    15_000,
  );
  return (await events('trouw.command.applied.v1')).filter((e) => (e.data as { commandId: string }).commandId === id);
}

describe('gateway ↔ HQ over mosquitto', () => {
  it('sales rung at the till reach HQ exactly once each', async () => {
    const receipts: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await till.sale({ member: i % 2 === 0 ? 'M-1' : null, lines: [line], tenders: [{ kind: 'card', amountCents: 2500 }] });
      if (!r.ok) throw new Error(`sale failed open: ${r.error.code}`);
      expect(r.value.type).toBe('sale.ok');
      receipts.push((r.value as { receipt: string }).receipt);
    }
    await until(async () => (await events('trouw.sale.completed.v1')).length >= 20, 'HQ has the 20 sales', 30_000);
    await until(() => (gw.db.prepare('SELECT count(*) FROM outbox').pluck().get() as number) === 0, 'outbox drained', 15_000);
    const sales = await events('trouw.sale.completed.v1');
    expect(sales.map((e) => (e.data as { receipt: string }).receipt).sort()).toEqual([...receipts].sort());
    expect(new Set(sales.map((e) => e.id)).size).toBe(sales.length);
    expect((await hqStore.counts()).deadLetters).toBe(0);
    const points = await hqStore.memberPoints('M-1');
    expect(points.total).toBe(balanceOf('M-1').balance);
  });

  it('adjust-points from HQ: applied once (replay ignored), balance moves, event at HQ', async () => {
    const before = balanceOf('M-1');
    const sent = await sendCommand(hq, to, 'adjust-points', { member: 'M-1', points: 500, reason: 'goodwill: broken trolley', by: 'ops@hq' });
    if (!sent.ok) throw new Error(sent.error);
    expect((await commandOutcome(sent.value.id))[0]!.data).toMatchObject({ outcome: 'applied' });
    // The same command again (same id): acknowledged, not applied again.
    await sendCommand(hq, to, 'adjust-points', { member: 'M-1', points: 500, reason: 'goodwill: broken trolley', by: 'ops@hq' }, { id: sent.value.id });
    await until(() => (gw.sync!.downlink.stats().commandsReplayed ?? 0) >= 1, 'the replay seen', 15_000);
    expect(balanceOf('M-1').balance).toBe(before.balance + 500);
    const entries = gw.db.prepare(`SELECT kind, points, reason FROM ledger_entries WHERE key = ?`).all(`cmd:${sent.value.id}:adjust`);
    expect(entries).toEqual([{ kind: 'adjust', points: 500, reason: 'hq by ops@hq: goodwill: broken trolley' }]);
    await until(async () => (await events('trouw.points.adjusted.v1')).length === 1, 'adjusted event at HQ', 15_000);
    expect((await events('trouw.points.adjusted.v1'))[0]!.data).toMatchObject({ memberNumber: 'M-1', points: 500, by: 'ops@hq', commandId: sent.value.id });
    expect((await hqStore.memberPoints('M-1')).total).toBe(balanceOf('M-1').balance);
  });

  it('a negative adjustment larger than the balance leaves a deficit, never a negative balance', async () => {
    const before = balanceOf('M-1');
    const sent = await sendCommand(hq, to, 'adjust-points', { member: 'M-1', points: -(before.balance + 40), reason: 'fraud reversal', by: 'ops@hq' });
    if (!sent.ok) throw new Error(sent.error);
    expect((await commandOutcome(sent.value.id))[0]!.data).toMatchObject({ outcome: 'applied' });
    expect(balanceOf('M-1')).toEqual({ balance: 0, deficit: before.deficit + 40 });
  });

  it('adjust-points for an unknown member is refused and recorded', async () => {
    const sent = await sendCommand(hq, to, 'adjust-points', { member: 'M-404', points: 10, reason: 'x', by: 'ops@hq' });
    if (!sent.ok) throw new Error(sent.error);
    expect((await commandOutcome(sent.value.id))[0]!.data).toMatchObject({ outcome: 'rejected', error: { code: 'unknown-member' } });
  });

  it('erase-member: cards gone, ledger kept, applied once', async () => {
    const memberId = gw.db.prepare('SELECT id FROM members WHERE number = ?').pluck().get('M-1') as string;
    expect(gw.db.prepare('SELECT count(*) FROM cards WHERE member_id = ?').pluck().get(memberId)).toBe(1);
    const ledgerBefore = gw.db.prepare('SELECT count(*) FROM ledger_entries WHERE member_id = ?').pluck().get(memberId) as number;
    const sent = await sendCommand(hq, to, 'erase-member', { member: 'M-1', reason: 'GDPR request 42' });
    if (!sent.ok) throw new Error(sent.error);
    const out = await commandOutcome(sent.value.id);
    expect(out).toHaveLength(1);
    expect(out[0]!.data).toMatchObject({ outcome: 'applied', detail: { purged: { cards: 1, name: 1 } } });
    expect(gw.db.prepare('SELECT count(*) FROM cards WHERE member_id = ?').pluck().get(memberId)).toBe(0);
    expect(gw.db.prepare('SELECT count(*) FROM ledger_entries WHERE member_id = ?').pluck().get(memberId)).toBe(ledgerBefore);
    const replays = gw.sync!.downlink.stats().commandsReplayed;
    await sendCommand(hq, to, 'erase-member', { member: 'M-1', reason: 'GDPR request 42' }, { id: sent.value.id });
    await until(() => gw.sync!.downlink.stats().commandsReplayed > replays, 'the replay seen', 15_000);
    expect(gw.db.prepare('SELECT count(*) FROM sync_applied_commands WHERE id = ?').pluck().get(sent.value.id)).toBe(1);
    // The member is still known by number at the till (bookkeeping kept), the name is not.
    const r = await till.identify({ member: 'M-1' });
    expect(r.ok && r.value).toMatchObject({ type: 'identify.ok', member: { number: 'M-1', name: 'erased', balance: 0 } });
  });

  it('a malformed cfg is rejected, reported to HQ, and the gateway keeps running', async () => {
    await hq.publish(configTopic(to), '{"specversion":"1.0", this is not json', { retain: true });
    await until(async () => (await events('trouw.config.rejected.v1')).length >= 1, 'config.rejected at HQ', 15_000);
    expect((await events('trouw.config.rejected.v1'))[0]!.data).toMatchObject({ reason: 'malformed' });
    expect(gw.health().devices.find((d) => d.name === 'hq-broker')?.state).toBe('up');
    const r = await till.sale({ member: 'M-2', lines: [line], tenders: [{ kind: 'card', amountCents: 2500 }] });
    expect(r.ok && r.value.type).toBe('sale.ok');
    await until(async () => (await events('trouw.sale.completed.v1')).length >= 21, 'the next sale reaches HQ', 15_000);
    // Clear the retained garbage so a later start does not see it.
    await hq.publish(configTopic(to), '', { retain: true });
  });

  it('new earning rules from HQ take effect at the till without a restart; an older version is refused', async () => {
    const rules = {
      pointsPerEuro: 10,
      rounding: 'floor',
      minimumSpendCents: 0,
      expiryMonths: 12,
      multipliers: [],
      exclusions: { categories: [], skus: [] },
      promotions: [],
    };
    expect((await publishStoreConfig(hq, to, { version: 7, loyalty: rules })).ok).toBe(true);
    await until(() => gw.rulesVersion === 7, 'rules v7 in force', 15_000);
    const r = await till.sale({ member: 'M-2', lines: [line], tenders: [{ kind: 'card', amountCents: 2500 }] });
    expect(r.ok && r.value).toMatchObject({ type: 'sale.ok', pointsAwarded: 250 });
    await publishStoreConfig(hq, to, { version: 6, loyalty: { ...rules, pointsPerEuro: 1 } });
    await until(
      async () => (await events('trouw.config.rejected.v1')).some((e) => (e.data as { reason?: string }).reason === 'older'),
      'older config rejected',
      15_000,
    );
    expect(gw.rulesVersion).toBe(7);
    await hq.publish(configTopic(to), '', { retain: true });
  });

  it("HQ's token table reaches presence without a restart", async () => {
    const tokens = { epochs: [{ epoch: 1_000, entries: [{ token: 0x01020304, member: 'M-1' }] }] };
    expect((await publishStoreConfig(hq, to, { version: 9, tokens })).ok).toBe(true);
    await until(
      () => logLines.some((l) => l.includes('HQ config applied') && l.includes('"version":9') && l.includes('"applied":["tokens"]')),
      'tokens applied',
      15_000,
    );
    // A config without earning rules leaves the rules in force alone.
    expect(gw.rulesVersion).not.toBe(9);
    await hq.publish(configTopic(to), '', { retain: true });
  });

  it("HQ's zones: labels in the occupancy API and parameters in the engine, at once; kept for a restart", async () => {
    const occupancy = async (auth = `Bearer ${HQ_ADMIN}`) => gw.api.inject({ method: 'GET', url: '/api/presence/occupancy', headers: { authorization: auth } });
    // Until HQ sends staff the occupancy API is refused (no admin token configured here).
    expect((await occupancy()).statusCode).toBe(401);
    expect(gw.presence.zoneParams('bakery')?.switchMarginDb).toBe(4);
    const zones = [
      { id: 'bakery', label: 'Bakery', switchMarginDb: 9 },
      { id: 'fresh', label: 'Fruit & veg' },
    ];
    expect((await publishStoreConfig(hq, to, { version: 10, zones, staff: [{ token: HQ_ADMIN, role: 'admin' }] })).ok).toBe(true);
    await until(() => gw.sync!.downlink.runningConfig()?.version === 10, 'zones v10 applied', 15_000);
    expect(logLines.some((l) => l.includes('HQ config applied') && l.includes('"applied":["zones","staff"]'))).toBe(true);
    expect(gw.presence.zoneParams('bakery')?.switchMarginDb).toBe(9);
    // HQ sent a label for fresh only: its local switch margin stays.
    expect(gw.presence.zoneParams('fresh')?.switchMarginDb).toBe(5);
    const res = await occupancy();
    expect(res.statusCode).toBe(200);
    const labels = Object.fromEntries((res.json() as { zones: Array<{ zone: string; label?: string }> }).zones.map((z) => [z.zone, z.label]));
    expect(labels).toEqual({ fresh: 'Fruit & veg', bakery: 'Bakery' });
    await hq.publish(configTopic(to), '', { retain: true });
  });

  it('a cfg naming a zone this store does not have is refused with the reason; the running zones stay', async () => {
    expect(
      (
        await publishStoreConfig(hq, to, {
          version: 11,
          zones: [
            { id: 'bakery', switchMarginDb: 2 },
            { id: 'garden-centre', label: 'Garden' },
          ],
        })
      ).ok,
    ).toBe(true);
    await until(
      async () => (await events('trouw.config.rejected.v1')).some((e) => (e.data as { version?: number }).version === 11),
      'v11 rejected at HQ',
      15_000,
    );
    const rejected = (await events('trouw.config.rejected.v1')).find((e) => (e.data as { version?: number }).version === 11)!.data as {
      reason: string;
      problems: Array<{ path: string; message: string }>;
    };
    expect(rejected.reason).toBe('invalid');
    expect(rejected.problems).toEqual([{ path: '/data/zones/1/id', message: "unknown zone garden-centre: not a zone of this store's presence config" }]);
    // A bad value is refused the same way, by the presence zone schema.
    expect((await publishStoreConfig(hq, to, { version: 12, zones: [{ id: 'bakery', switchMarginDb: 99 }] })).ok).toBe(true);
    await until(
      async () => (await events('trouw.config.rejected.v1')).some((e) => (e.data as { version?: number }).version === 12),
      'v12 rejected at HQ',
      15_000,
    );
    const bad = (await events('trouw.config.rejected.v1')).find((e) => (e.data as { version?: number }).version === 12)!.data as {
      problems: Array<{ path: string }>;
    };
    expect(bad.problems[0]!.path).toBe('/data/zones/0/switchMarginDb');
    expect(gw.sync!.downlink.runningConfig()?.version).toBe(10);
    expect(gw.presence.zoneParams('bakery')?.switchMarginDb).toBe(9);
    await hq.publish(configTopic(to), '', { retain: true });
  });

  it("HQ's staff list: an HQ-issued admin token reads the store-IT API until HQ removes it; only its hash is kept", async () => {
    const occupancy = async (token: string) =>
      (await gw.api.inject({ method: 'GET', url: '/api/presence/occupancy', headers: { authorization: `Bearer ${token}` } })).statusCode;
    expect(await occupancy(HQ_ADMIN)).toBe(200); // from v10
    const clerk = 'clerk-token-0001';
    expect((await publishStoreConfig(hq, to, { version: 13, staff: [{ token: clerk, role: 'clerk' }] })).ok).toBe(true);
    await until(() => gw.sync!.downlink.runningConfig()?.version === 13, 'staff v13 applied', 15_000);
    expect(await occupancy(HQ_ADMIN)).toBe(401); // removed by HQ: refused at once
    expect(await occupancy(clerk)).toBe(403); // known, but not an admin (access `store-it`)
    // Kept for a restart: v10's zones under v13's staff, the tokens only as SHA-256.
    const stored = gw.db.prepare('SELECT doc FROM sync_config_state WHERE k = 1').pluck().get() as string;
    expect(JSON.parse(stored)).toMatchObject({
      version: 13,
      zones: [{ id: 'bakery', switchMarginDb: 9 }, { id: 'fresh' }],
      staff: [{ role: 'clerk', token: hashedStaffToken(clerk) }],
    });
    expect(stored).not.toContain(clerk);
    expect(logLines.join('')).not.toContain(clerk);
    expect(logLines.join('')).not.toContain(HQ_ADMIN);
    await hq.publish(configTopic(to), '', { retain: true });
  });

  it('every event HQ holds validates against its schema', async () => {
    const all = await events();
    expect(all.length).toBeGreaterThan(20);
    expect((await hqStore.counts()).deadLetters).toBe(0);
    for (const e of all) {
      const ev = makeCloudEvent({ id: e.id, source: e.source, type: e.type, time: e.time, ...(e.subject ? { subject: e.subject } : {}), data: e.data });
      const v = validateUplinkEvent(eventTopic(to, e.type), JSON.stringify(ev));
      expect(v.ok, `${e.type}: ${JSON.stringify(v)}`).toBe(true);
    }
  });
});
