/**
 * The sync against a real broker (Debian mosquitto 2, password auth and per-store ACLs):
 * broker restart mid-drain, a store offline while HQ sends config and commands, malformed
 * config at the gateway, bad input at HQ, ACL refusals (mqtt.js and mosquitto_pub), and the
 * MQTT 3.1.1 fallback on the embedded aedes broker. Every event HQ receives passes through
 * the same validation as production ingest: "no dead letters" means every event produced
 * validated against its schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ulid } from 'ulid';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { createMqttLink, type MqttLink } from '../../sync/gateway/mqtt-link';
import { routeAcks } from '../../sync/gateway/ack-route';
import { createOutboxPublisher, type OutboxPublisher } from '../../sync/gateway/publisher';
import { createDownlink, type Downlink } from '../../sync/gateway/downlink';
import { PublishRefused } from '../../sync/gateway/broker-link';
import { startIngest, type IngestService } from '../../sync/hq/ingest';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore } from '../../sync/hq/store';
import { publishStoreConfig, retainedConfigVersion, sendCommand } from '../../sync/hq/control';
import { startDemoHq } from '../../sync/hq/demo';
import { configTopic, eventTopic, statusTopic, type GatewayAddress } from '../../sync/envelope/topics';
import { makeCloudEvent, storeSource } from '../../sync/envelope/cloudevent';
import { fillOutbox, openGatewayDb, outboxCount, until } from '../../sync/testing/harness';
import type { StoreConfig } from '../../sync/schemas/downlink';
import { ok } from '../../gateway/core/result';

let m: Mosquitto;
let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-sync-it-'));
  m = await startMosquitto();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await m?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function gatewayLink(gw: GatewayAddress, url = m.url, password = m.users[gw.store]): MqttLink {
  const link = createMqttLink({
    url,
    clientId: `trouw-${gw.store}-${gw.gateway}`,
    username: gw.store,
    ...(password !== undefined ? { password } : {}),
    statusTopic: statusTopic(gw),
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
  });
  cleanups.push(() => link.close());
  return link;
}

async function startHq(tag: string, url = m.url): Promise<{ store: HqStore; ingest: IngestService }> {
  const store = openSqliteHqStore(join(dir, `hq-${tag}.db`));
  await store.migrate();
  const ingest = await startIngest({
    url,
    store,
    username: 'hq',
    password: m.users.hq!,
    clientId: `hq-ingest-${tag}`,
    group: `hq-${tag}`,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
  });
  cleanups.push(async () => {
    await ingest.stop();
    await store.close();
  });
  return { store, ingest };
}

function hqControl(tag: string): MqttLink {
  const link = createMqttLink({ url: m.url, clientId: `hq-control-${tag}`, username: 'hq', password: m.users.hq!, reconnectMinMs: 100, reconnectMaxMs: 1000 });
  cleanups.push(() => link.close());
  return link;
}

const eventsOf = async (store: HqStore, gw: GatewayAddress, type?: string) =>
  store.queryEvents({ store: gw.store, gateway: gw.gateway, limit: 100_000, ...(type ? { type } : {}) });

describe('sync over mosquitto', () => {
  it('broker stopped and started mid-drain: HQ holds every event exactly once', async () => {
    const gw = { store: 'store-a', gateway: 'gw-restart' };
    const db = openGatewayDb(join(dir, 'gw-restart.db'));
    cleanups.push(() => void db.close());
    const ids = fillOutbox(db, 5000);
    const hq = await startHq('restart');
    const link = gatewayLink(gw);
    const pub = createOutboxPublisher({ db, link, address: gw, idlePollMs: 20 });
    cleanups.push(() => pub.stop());
    await routeAcks(link, pub, gw);
    pub.start();
    await until(() => pub.stats().acknowledged >= 1000, '1000 acknowledged');
    await m.stop();
    await until(() => link.state !== 'up' && hq.ingest.link.state !== 'up', 'both links down');
    expect(outboxCount(db)).toBeGreaterThan(0);
    await m.start();
    await pub.whenDrained();
    await until(async () => (await hq.store.counts()).events === 5000, 'HQ has 5000 events');
    const stored = await eventsOf(hq.store, gw);
    expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect((await hq.store.counts()).deadLetters).toBe(0);
    expect(outboxCount(db)).toBe(0);
    const [g] = (await hq.store.gateways()).filter((r) => r.gateway === gw.gateway);
    expect(g).toMatchObject({ events: 5000, status: 'online' });
  });

  it('store offline while HQ sends a config and an erase command: applied once when it is back', async () => {
    const gw = { store: 'store-b', gateway: 'gw-offline' };
    const db = openGatewayDb(join(dir, 'gw-offline.db'));
    cleanups.push(() => void db.close());
    const hq = await startHq('offline');
    const applied: StoreConfig[] = [];
    const erased: string[] = [];
    let agent: { link: MqttLink; pub: OutboxPublisher; downlink: Downlink } | undefined;
    const startAgent = async () => {
      const link = gatewayLink(gw);
      const pub = createOutboxPublisher({ db, link, address: gw, idlePollMs: 20 });
      const downlink = createDownlink({
        db,
        link,
        address: gw,
        onConfig: (c) => void applied.push(c),
        commands: {
          'erase-member': (a) => {
            erased.push(a.member);
            return ok({ purged: { presence: 3, tokens: 1, cards: 1 } });
          },
          'adjust-points': () => ok({}),
        },
        onEventQueued: () => pub.notify(),
        onAck: (p) => pub.acknowledge(p),
      });
      await downlink.start();
      pub.start();
      await link.whenUp();
      agent = { link, pub, downlink };
    };
    const stopAgent = async () => {
      await agent!.pub.stop();
      await agent!.link.close();
    };
    await startAgent(); // first contact: the broker now holds this gateway's session
    await stopAgent();
    await until(async () => (await hq.store.gateways()).find((g) => g.gateway === gw.gateway)?.status === 'offline', 'HQ sees the store offline');

    const ctl = hqControl('offline');
    await ctl.whenUp();
    const published = await publishStoreConfig(ctl, gw, { version: 2, loyalty: { pointsPerEuro: 2 } });
    expect(published.ok).toBe(true);
    const sent = await sendCommand(ctl, gw, 'erase-member', { member: 'M-5', reason: 'GDPR request' });
    if (!sent.ok) throw new Error(sent.error);
    expect(await retainedConfigVersion(ctl, gw)).toBe(2);

    await startAgent();
    await until(() => applied.length === 1 && erased.length === 1, 'config and command applied');
    await sendCommand(ctl, gw, 'erase-member', { member: 'M-5', reason: 'GDPR request' }, { id: sent.value.id }); // HQ resends the same command (same content: other content would be command.rejected id-reused)
    await until(() => agent!.downlink.stats().commandsReplayed === 1, 'replay seen');
    await until(
      async () =>
        (await eventsOf(hq.store, gw, 'trouw.command.applied.v1')).length === 1 && (await eventsOf(hq.store, gw, 'trouw.config.applied.v1')).length === 1,
      'outcomes at HQ',
    );

    expect(erased).toEqual(['M-5']);
    expect(applied.map((c) => c.version)).toEqual([2]);
    expect(agent!.downlink.runningConfig()?.config.loyalty?.pointsPerEuro).toBe(2);
    const [outcome] = await eventsOf(hq.store, gw, 'trouw.command.applied.v1');
    expect(outcome!.data).toEqual({
      commandId: sent.value.id,
      name: 'erase-member',
      outcome: 'applied',
      detail: { purged: { presence: 3, tokens: 1, cards: 1 } },
    });
    expect(await agent!.pub.whenDrained()).toBeUndefined();
    expect((await hq.store.counts()).deadLetters).toBe(0);
  });

  it('a malformed or older config is rejected at the gateway, which keeps running its own', async () => {
    const gw = { store: 'store-a', gateway: 'gw-cfg' };
    const db = openGatewayDb(join(dir, 'gw-cfg.db'));
    cleanups.push(() => void db.close());
    const hq = await startHq('cfg');
    const link = gatewayLink(gw);
    const pub = createOutboxPublisher({ db, link, address: gw, idlePollMs: 20 });
    cleanups.push(() => pub.stop());
    const versions: number[] = [];
    const downlink = createDownlink({
      db,
      link,
      address: gw,
      onConfig: (c) => void versions.push(c.version),
      commands: { 'erase-member': () => ok({}), 'adjust-points': () => ok({}) },
      onEventQueued: () => pub.notify(),
      onAck: (p) => pub.acknowledge(p),
    });
    await downlink.start();
    pub.start();
    await link.whenUp();
    const ctl = hqControl('cfg');
    await ctl.whenUp();
    const typeCount = async (t: string) => (await eventsOf(hq.store, gw, t)).length;

    await publishStoreConfig(ctl, gw, { version: 1 });
    await until(async () => (await typeCount('trouw.config.applied.v1')) === 1, 'v1 applied');
    await ctl.publish(configTopic(gw), '{"specversion":"1.0","data":{"version":', { retain: true }); // broken JSON
    await until(async () => (await typeCount('trouw.config.rejected.v1')) === 1, 'malformed rejected');
    await publishStoreConfig(ctl, gw, { version: 1, loyalty: { pointsPerEuro: 9 } }); // not newer
    await until(async () => (await typeCount('trouw.config.rejected.v1')) === 2, 'older rejected');
    const schemaBad = makeCloudEvent({
      id: ulid(),
      source: '/hq',
      type: 'trouw.config.published.v1',
      time: new Date().toISOString(),
      data: { version: 5, loyalty: { pointsPerEuro: 'lots' } },
    });
    await ctl.publish(configTopic(gw), JSON.stringify(schemaBad), { retain: true });
    await until(async () => (await typeCount('trouw.config.rejected.v1')) === 3, 'invalid rejected');
    await publishStoreConfig(ctl, gw, { version: 3 });
    await until(async () => (await typeCount('trouw.config.applied.v1')) === 2, 'v3 applied');

    expect(versions).toEqual([1, 3]);
    const rejected = await eventsOf(hq.store, gw, 'trouw.config.rejected.v1');
    expect(rejected.map((e) => (e.data as { reason: string; runningVersion: number }).reason)).toEqual(['malformed', 'older', 'invalid']);
    expect(rejected.every((e) => (e.data as { runningVersion: number }).runningVersion === 1)).toBe(true);
    expect(link.state).toBe('up');
  });

  it('bad input at HQ goes to the dead-letter table and HQ keeps going', async () => {
    const gw = { store: 'store-a', gateway: 'gw-bad' };
    const hq = await startHq('bad');
    const raw = await mqtt.connectAsync(m.url, { username: 'store-a', password: m.users['store-a'], protocolVersion: 5, clientId: 'raw-store-a' });
    cleanups.push(() => raw.endAsync());
    const topic = eventTopic(gw, 'trouw.sale.completed.v1');
    const env = (type: string, data: unknown, source = storeSource(gw)) =>
      JSON.stringify(makeCloudEvent({ id: ulid(), source, type, time: new Date().toISOString(), data }));
    await raw.publishAsync(topic, '{"specversion":"1.0",', { qos: 1 });
    await raw.publishAsync(topic, env('trouw.sale.completed.v1', { receipt: 'R1', pointsAwarded: 'ten' }), { qos: 1 });
    await raw.publishAsync(eventTopic(gw, 'trouw.unknown.thing.v1'), env('trouw.unknown.thing.v1', {}), { qos: 1 });
    await raw.publishAsync(topic, Buffer.alloc(400 * 1024, 0x61), { qos: 1 });
    await raw.publishAsync(topic, env('trouw.sale.completed.v1', { receipt: 'R1', pointsAwarded: 1 }, '/stores/store-b/gw-1'), { qos: 1 }); // forged source
    await raw.publishAsync(topic, env('trouw.sale.completed.v1', { receipt: 'R2', pointsAwarded: 3 }), { qos: 1 });
    await until(async () => (await hq.store.counts()).events === 1, 'the good event stored');
    const reasons = (await hq.store.deadLetters({ limit: 10 })).map((d) => d.reason).sort();
    expect(reasons).toEqual(['bad-data', 'malformed-json', 'oversized', 'topic-mismatch', 'unknown-type']);
    expect(hq.ingest.link.state).toBe('up');
  });

  it('ACL: store A cannot publish under store B, nor read store B’s config (mqtt.js and mosquitto_pub)', async () => {
    const hq = await startHq('acl');
    const a = gatewayLink({ store: 'store-a', gateway: 'gw-acl' });
    await a.whenUp();
    const foreign = eventTopic({ store: 'store-b', gateway: 'gw-1' }, 'trouw.sale.completed.v1');
    const forged = JSON.stringify(
      makeCloudEvent({
        id: ulid(),
        source: '/stores/store-b/gw-1',
        type: 'trouw.sale.completed.v1',
        time: new Date().toISOString(),
        data: { receipt: 'X', pointsAwarded: 1000 },
      }),
    );
    const refused = await a.publish(foreign, forged).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(PublishRefused);
    expect((refused as PublishRefused).reasonCode).toBe(0x87);

    const pub = (version: string, topic: string) =>
      spawnSync(
        'mosquitto_pub',
        ['-h', '127.0.0.1', '-p', String(m.port), '-u', 'store-a', '-P', m.users['store-a']!, '-V', version, '-q', '1', '-t', topic, '-m', forged],
        { encoding: 'utf8', timeout: 20_000 },
      );
    const v5 = pub('mqttv5', foreign);
    expect(v5.stderr).toMatch(/Not authorized/);
    pub('mqttv311', foreign); // 3.1.1 has no way to say no: the broker drops it and disconnects
    // A sentinel from the rightful owner, published after the refusals: once it is stored,
    // anything the broker had let through would be stored already.
    const b = await mqtt.connectAsync(m.url, { username: 'store-b', password: m.users['store-b'], protocolVersion: 5, clientId: 'raw-store-b' });
    cleanups.push(() => b.endAsync());
    const sentinel = makeCloudEvent({
      id: ulid(),
      source: '/stores/store-b/gw-1',
      type: 'trouw.sale.completed.v1',
      time: new Date().toISOString(),
      data: { receipt: 'SENTINEL', pointsAwarded: 1 },
    });
    await b.publishAsync(foreign, JSON.stringify(sentinel), { qos: 1 });
    await until(async () => (await hq.store.counts()).events >= 1, 'sentinel stored');
    const stored = await hq.store.queryEvents({ store: 'store-b', limit: 10 });
    expect(stored.map((e) => (e.data as { receipt: string }).receipt)).toEqual(['SENTINEL']);

    // Reading: store A subscribes to store B's config; only its own arrives.
    const ctl = hqControl('acl');
    await ctl.whenUp();
    const spy = await mqtt.connectAsync(m.url, { username: 'store-a', password: m.users['store-a'], protocolVersion: 5, clientId: 'spy-store-a' });
    cleanups.push(() => spy.endAsync());
    const seen: string[] = [];
    spy.on('message', (t) => seen.push(t));
    await spy.subscribeAsync(['trouw/v1/store-b/+/cfg', 'trouw/v1/store-b/+/cmd/#', 'trouw/v1/store-a/gw-acl/cfg'], { qos: 1 });
    await publishStoreConfig(ctl, { store: 'store-b', gateway: 'gw-1' }, { version: 1 });
    await sendCommand(ctl, { store: 'store-b', gateway: 'gw-1' }, 'erase-member', { member: 'M-1' });
    await publishStoreConfig(ctl, { store: 'store-a', gateway: 'gw-acl' }, { version: 1 });
    await until(() => seen.includes('trouw/v1/store-a/gw-acl/cfg'), 'own config');
    expect(seen).toEqual(['trouw/v1/store-a/gw-acl/cfg']);
    // And a wrong password is refused outright.
    await expect(mqtt.connectAsync(m.url, { username: 'store-a', password: 'guess', protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow(
      /Not authorized|Bad User Name/,
    );
  });
});

describe('sync over the embedded demo broker (aedes, MQTT 3.1.1) with the demo HQ', () => {
  it('falls back to 3.1.1 and still delivers every event once; config and commands work', async () => {
    const hq = await startDemoHq({ dataDir: join(dir, 'demo') });
    cleanups.push(() => hq.stop());
    const broker = { url: hq.brokerUrl };
    const { store, ingest } = hq;
    expect(ingest.stats()).toMatchObject({ shared: false, connections: 1 });
    const gw = { store: 'demo-store', gateway: 'gw-1' };
    const db = openGatewayDb(join(dir, 'gw-aedes.db'));
    cleanups.push(() => void db.close());
    const ids = fillOutbox(db, 2000);
    const link = gatewayLink(gw, broker.url, undefined);
    const pub = createOutboxPublisher({ db, link, address: gw, idlePollMs: 20 });
    cleanups.push(() => pub.stop());
    const erased: string[] = [];
    const downlink = createDownlink({
      db,
      link,
      address: gw,
      onConfig: () => undefined,
      commands: { 'erase-member': (a) => (erased.push(a.member), ok({})), 'adjust-points': () => ok({}) },
      onEventQueued: () => pub.notify(),
      onAck: (p) => pub.acknowledge(p),
    });
    await downlink.start();
    pub.start();
    await link.whenUp();
    expect(link.protocolVersion).toBe(4);
    await pub.whenDrained();
    await until(async () => (await store.counts()).events === 2000, 'all events at HQ');
    expect((await store.queryEvents({ limit: 10_000 })).map((e) => e.id).sort()).toEqual([...ids].sort());

    const ctl = createMqttLink({ url: broker.url, clientId: 'hq-ctl-aedes', reconnectMinMs: 100 });
    cleanups.push(() => ctl.close());
    await ctl.whenUp();
    await publishStoreConfig(ctl, gw, { version: 4 });
    await sendCommand(ctl, gw, 'erase-member', { member: 'M-2' });
    await until(() => downlink.runningConfig()?.version === 4 && erased.length === 1, 'downlink over 3.1.1');
    await until(async () => (await store.counts()).events === 2002, 'outcomes at HQ');
    const view = await hq.view();
    expect(view).toMatchObject({ events: 2002, deadLetters: 0, gateways: [{ store: 'demo-store', gateway: 'gw-1', status: 'online', events: 2002 }] });
    expect(view.gateways[0]!.lastLagMs).toBeGreaterThanOrEqual(0);
  });
});
