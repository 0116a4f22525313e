/**
 * HQ command line:
 *   tsx sync/hq/cli.ts ingest          --broker URL --db URL [--instance N] [--group hq] [--connections 8] [--session-expiry s] [--settle-every s] [--bound-identity] [--insights-config f.yaml]
 *   tsx sync/hq/cli.ts api             --db URL [--port 8090] [--host 127.0.0.1] [--insights-config f.yaml]
 *   tsx sync/hq/cli.ts publish-config  --broker URL --store S --gateway G --file cfg.yaml [--version N]
 *   tsx sync/hq/cli.ts send-command    --broker URL --store S --gateway G --name erase-member --args '{"member":"M-1"}' [--id ULID]
 *   tsx sync/hq/cli.ts settle          --broker URL --db URL --member M [--settlement-db path]
 *   tsx sync/hq/cli.ts stores          --db URL
 *   tsx sync/hq/cli.ts erase-member    --broker URL --db URL --member M [--reason TEXT] [--wait s]
 *   tsx sync/hq/cli.ts broker-setup    --gateways gateways.yaml --out DIR [--listen-port 1883|8883] [--listen-host H] [--tls-cert f --tls-key f [--tls-ca f]] [--run-as user]
 * `--db`: a SQLite path (default .trouw/hq.db) or postgres://… . Credentials: --username,
 * --password or TROUW_HQ_USERNAME / TROUW_HQ_PASSWORD (the ingest identity), and
 * --control-username / --control-password (TROUW_HQ_CONTROL_*) for config and commands; TROUW_HQ_BROKER, TROUW_HQ_DB,
 * TROUW_HQ_API_TOKEN, TROUW_HQ_INSIGHTS_CONFIG likewise. The insights config (time zone, euro per point, uplift
 * window, k; docs/hq-insights.md) is read by ingest and api alike: give both the same file. publish-config without a version takes the retained one + 1.
 * A dead ingest instance's sessions keep taking their share of the events until they expire
 * (--session-expiry, default 300 s; docs/sync.md "A dead ingest process"): restart it with the
 * same --instance within that time and it takes its queue back; after it, the broker drops
 * the queue and the gateways resend what HQ never acknowledged. Retiring an instance for
 * good: run it once more with --session-expiry 0 and stop it.
 * The ingest also runs the settlement scheduler (settlement-scheduler.ts) every --settle-every
 * seconds (0: off). Without the option only instance 1 runs it: one scheduler per settlement
 * database, or members are settled once per instance.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createMqttLink } from '../gateway/mqtt-link';
import { openHqStore } from './open-store';
import { parseRollupConfig, type RollupConfig } from './rollups/config';
import { DEFAULT_INGEST_SESSION_EXPIRY_SECONDS, startIngest } from './ingest';
import { buildHqApi } from './api';
import { createSegmentPublisher } from './publish-segment';
import { publishStoreConfig, retainedConfigVersion, sendCommand } from './control';
import { createSettlementService } from './settlement-service';
import { openSettlementDb, startHqSettlement } from './settlement-loop';
import { parseSetupFile, writeBrokerSetup } from '../broker/write-setup';
import { ingestClientId } from '../broker/mosquitto-setup';
import { CommandApplied } from '../schemas/command-events';

const { positionals, values: v } = parseArgs({
  allowPositionals: true,
  options: {
    broker: { type: 'string', default: process.env.TROUW_HQ_BROKER ?? 'mqtt://127.0.0.1:1883' },
    db: { type: 'string', default: process.env.TROUW_HQ_DB ?? '.trouw/hq.db' },
    username: { type: 'string', default: process.env.TROUW_HQ_USERNAME },
    'control-username': { type: 'string', default: process.env.TROUW_HQ_CONTROL_USERNAME },
    'control-password': { type: 'string', default: process.env.TROUW_HQ_CONTROL_PASSWORD },
    password: { type: 'string', default: process.env.TROUW_HQ_PASSWORD },
    instance: { type: 'string', default: '1' },
    connections: { type: 'string', default: '8' },
    'session-expiry': { type: 'string', default: String(DEFAULT_INGEST_SESSION_EXPIRY_SECONDS) },
    'client-id': { type: 'string' },
    'bound-identity': { type: 'boolean', default: false },
    group: { type: 'string', default: 'hq' },
    protocol: { type: 'string', default: 'auto' },
    port: { type: 'string', default: '8090' },
    host: { type: 'string', default: '127.0.0.1' },
    store: { type: 'string' },
    gateway: { type: 'string', default: 'gw-1' },
    file: { type: 'string' },
    version: { type: 'string' },
    name: { type: 'string' },
    args: { type: 'string', default: '{}' },
    id: { type: 'string' },
    member: { type: 'string' },
    'settle-every': { type: 'string' },
    'insights-config': { type: 'string', default: process.env.TROUW_HQ_INSIGHTS_CONFIG },
    'settlement-db': { type: 'string', default: process.env.TROUW_HQ_SETTLEMENT_DB ?? '.trouw/hq-settlement.db' },
    'log-level': { type: 'string', default: 'info' },
    gateways: { type: 'string' },
    out: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-ca': { type: 'string' },
    plugin: { type: 'string' },
    'listen-port': { type: 'string' },
    'listen-host': { type: 'string' },
    'run-as': { type: 'string' },
    reason: { type: 'string' },
    wait: { type: 'string' },
  },
});
const log = createLogger({ level: v['log-level']!, name: 'trouw-hq' }, process.stderr as never);
const creds = { ...(v.username ? { username: v.username } : {}), ...(v.password ? { password: v.password } : {}) };
// HQ's command publisher is a separate broker identity from its ingest (docs/sync.md, "Brokers"):
// --control-username/--control-password (TROUW_HQ_CONTROL_*) for config and commands; without
// them the one identity above is used for both (the older single `hq` ACL).
const controlCreds = v['control-username'] ? { username: v['control-username'], ...(v['control-password'] ? { password: v['control-password'] } : {}) } : creds;
const fail = (msg: string): never => {
  console.error(msg);
  process.exit(2);
};

function controlLink() {
  return createMqttLink({
    url: v.broker!,
    clientId: `trouw-hq-cli-${process.pid}`,
    ...controlCreds,
    sessionExpirySeconds: 60,
    reconnectMinMs: 200,
    reconnectMaxMs: 2000,
    logger: log,
  });
}

function onSignal(stop: () => Promise<void>) {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    void stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** The insights config file, checked before anything starts (a bad file stops the process with its problems). */
function insightsConfig(): RollupConfig {
  const path = v['insights-config'];
  if (!path) return parseRollupConfig(undefined);
  try {
    return parseRollupConfig(parseYaml(readFileSync(path, 'utf8')));
  } catch (err) {
    return fail(`--insights-config ${path}: ${(err as Error).message}`);
  }
}

const command = positionals[0];
switch (command) {
  case 'ingest': {
    const settleEvery = Number(v['settle-every'] ?? (v.instance === '1' ? 60 : 0));
    if (!Number.isFinite(settleEvery) || settleEvery < 0) fail(`--settle-every: expected seconds ≥ 0 (0: off), got ${v['settle-every']}`);
    // With the product's broker setup each connection's client id is bound to its own username
    // (broker-setup prints them): `trouw-{username}`, `-c1`, ... and `{username}.c1`, ...
    const bound = v['bound-identity'] === true;
    if (bound && !v.username) fail('--bound-identity needs --username (or TROUW_HQ_USERNAME)');
    const clientId = v['client-id'] ?? (bound ? ingestClientId(v.username!) : `trouw-hq-ingest-${hostname()}-${v.instance}`);
    const store = await openHqStore(v.db!, { rollups: insightsConfig() });
    const ingest = await startIngest({
      url: v.broker!,
      store,
      ...creds,
      clientId,
      group: v.group!,
      connections: Number(v.connections),
      boundIdentity: bound,
      sessionExpirySeconds: Number(v['session-expiry']),
      protocol: v.protocol as 'auto' | '5' | '3.1.1',
      startTimeoutMs: 120_000,
      logger: log,
    });
    let settling: { stop(): Promise<void> } | undefined;
    if (settleEvery > 0) {
      // Its own stable client id: commands are published, never received, so a short session will do.
      const link = createMqttLink({
        url: v.broker!,
        clientId: `${clientId}-settle`,
        ...controlCreds,
        sessionExpirySeconds: 60,
        reconnectMinMs: 200,
        reconnectMaxMs: 2000,
        logger: log,
      });
      const db = openSettlementDb(v['settlement-db']!);
      const loop = startHqSettlement({ store, db, link, clock: Date.now, logger: log, intervalMs: settleEvery * 1000 });
      settling = {
        async stop() {
          await loop.stop();
          await link.close();
          db.close();
        },
      };
    }
    console.log(JSON.stringify({ ingest: 'up', shared: ingest.stats().shared, storage: store.kind, settleEverySeconds: settleEvery }));
    const progress = setInterval(() => console.log(JSON.stringify(ingest.stats())), 1000);
    onSignal(async () => {
      clearInterval(progress);
      await settling?.stop();
      await ingest.stop();
      await store.close();
    });
    break;
  }
  case 'api': {
    const insights = insightsConfig();
    const store = await openHqStore(v.db!, { rollups: insights });
    // Publishing segments (dashboard) needs the broker: connected on first use only.
    let control: ReturnType<typeof controlLink> | undefined;
    const publishSegment = createSegmentPublisher(async () => {
      if (!control) {
        control = controlLink();
        await control.whenUp(15_000);
      }
      return control;
    }, store);
    const app = await buildHqApi({
      store,
      logger: log,
      publishSegment,
      insights,
      ...(process.env.TROUW_HQ_API_TOKEN ? { token: process.env.TROUW_HQ_API_TOKEN } : {}),
    });
    const url = await app.listen({ host: v.host!, port: Number(v.port) });
    console.log(JSON.stringify({ api: url }));
    onSignal(async () => {
      await app.close();
      await control?.close();
      await store.close();
    });
    break;
  }
  case 'publish-config': {
    if (!v.store || !v.file) fail('publish-config needs --store and --file');
    const to = { store: v.store!, gateway: v.gateway! };
    const doc = parseYaml(readFileSync(v.file!, 'utf8')) as Record<string, unknown>;
    const link = controlLink();
    await link.whenUp(15_000);
    if (v.version) doc.version = Number(v.version);
    if (doc.version === undefined) doc.version = ((await retainedConfigVersion(link, to)) ?? 0) + 1;
    const r = await publishStoreConfig(link, to, doc);
    await link.close();
    if (!r.ok) fail(r.error);
    if (r.ok) console.log(JSON.stringify(r.value));
    break;
  }
  case 'send-command': {
    if (!v.store || !v.name) fail('send-command needs --store and --name');
    let args: unknown;
    try {
      args = JSON.parse(v.args!);
    } catch {
      fail('--args must be JSON');
    }
    const link = controlLink();
    await link.whenUp(15_000);
    const r = await sendCommand(link, { store: v.store!, gateway: v.gateway! }, v.name!, args, v.id ? { id: v.id } : {});
    await link.close();
    if (!r.ok) fail(r.error);
    if (r.ok) console.log(JSON.stringify(r.value));
    break;
  }
  case 'settle': {
    // Settles one member's points across every store that reported them (issue 6) and sends
    // each of those gateways a `settle-member` command with HQ's balance and debt.
    if (!v.member) fail('settle needs --member');
    const store = await openHqStore(v.db!);
    const link = controlLink();
    await link.whenUp(15_000);
    const settlement = createSettlementService({ store, db: openSettlementDb(v['settlement-db']!), link });
    const r = await settlement.settleMember(v.member!);
    await link.close();
    await store.close();
    console.log(JSON.stringify({ member: v.member, balance: r.settlement.balance, debt: r.settlement.debt, sent: r.sent, failed: r.failed }));
    if (r.failed.length) process.exitCode = 1;
    break;
  }
  case 'stores': {
    const store = await openHqStore(v.db!);
    const now = Date.now();
    for (const g of await store.gateways()) {
      console.log(JSON.stringify({ ...g, silentForMs: g.lastSeenAt === null ? null : now - g.lastSeenAt }));
    }
    await store.close();
    break;
  }
  case 'erase-member': {
    // Erasure (docs/sync.md, "Personal data at HQ"): HQ's own tables first, then every gateway
    // that reported the member gets erase-member; each confirms with trouw.command.applied.v1.
    if (!v.member) fail('erase-member needs --member');
    const store = await openHqStore(v.db!);
    const erased = await store.eraseMember(v.member!, Date.now());
    await store.eraseMemberRollups(v.member!); // issue 17's rollups: the member stays in them as counts only
    const reported = await store.queryEvents({ member: v.member!, limit: 100_000 });
    const gateways = [...new Map(reported.map((e) => [`${e.store}/${e.gateway}`, { store: e.store, gateway: e.gateway }])).values()];
    const link = controlLink();
    await link.whenUp(15_000);
    const sent: { store: string; gateway: string; commandId?: string; error?: string }[] = [];
    for (const to of gateways) {
      const r = await sendCommand(link, to, 'erase-member', { member: v.member!, ...(v.reason ? { reason: v.reason } : {}) });
      sent.push(r.ok ? { ...to, commandId: r.value.id } : { ...to, error: r.error });
    }
    await link.close();
    const waitMs = Number(v.wait ?? 0) * 1000;
    const confirmed = new Set<string>();
    for (const until = Date.now() + waitMs; confirmed.size < sent.filter((x) => x.commandId).length && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 1000));
      for (const x of sent) {
        if (!x.commandId || confirmed.has(x.commandId)) continue;
        const outcomes = await store.queryEvents({ store: x.store, gateway: x.gateway, type: CommandApplied.type, limit: 10_000 });
        if (outcomes.some((e) => (e.data as { commandId?: string }).commandId === x.commandId)) confirmed.add(x.commandId);
      }
    }
    await store.close();
    console.log(JSON.stringify({ ...erased, sent: sent.map((x) => ({ ...x, confirmed: x.commandId ? confirmed.has(x.commandId) : false })) }));
    if (sent.some((x) => x.error)) process.exitCode = 1;
    break;
  }
  case 'broker-setup': {
    // The product's mosquitto setup (sync/broker/mosquitto-setup.ts): one identity per gateway.
    if (!v.gateways || !v.out) fail('broker-setup needs --gateways FILE and --out DIR');
    const input = parseSetupFile(parseYaml(readFileSync(v.gateways!, 'utf8')));
    const tls = v['tls-cert'] && v['tls-key'] ? { certFile: v['tls-cert'], keyFile: v['tls-key'], ...(v['tls-ca'] ? { caFile: v['tls-ca'] } : {}) } : undefined;
    const port = Number(v['listen-port'] ?? (tls ? 8883 : 1883));
    const written = writeBrokerSetup(input, {
      out: v.out!,
      listener: { port, ...(v['listen-host'] ? { host: v['listen-host'] } : {}), ...(tls ? { tls } : {}) },
      ...(v.plugin ? { pluginPath: v.plugin } : {}),
      ...(v['run-as'] ? { runAs: v['run-as'] } : {}),
    });
    console.log(JSON.stringify(written, null, 2));
    break;
  }
  default:
    fail('usage: tsx sync/hq/cli.ts ingest|api|publish-config|send-command|settle|stores|erase-member|broker-setup [options] (see the file header)');
}
