/**
 * `npm run bench:sync` (issue 5). Real mosquitto and PostgreSQL from test/support, HQ ingest as
 * child processes (the real CLI), the publisher in this process as in the gateway.
 *  1. Acknowledged drain (issue 13): a filled outbox through mosquitto into HQ ingest (SQLite)
 *     until the outbox is empty — every row deleted on HQ's end-to-end ack — against a raw
 *     mqtt.js QoS 1 publish → subscribe loop of the same payloads with the same in-flight
 *     window, in interleaved blocks (drain, raw, drain, raw, ...) of --block events on the
 *     same broker; `ratio` is total drain rate / total raw rate, `ratio_min`/`ratio_max` the
 *     spread of the per-pair ratios.
 *     Also each stage alone: publisher → counting subscriber; raw publisher → HQ ingest.
 *  2. Backlog: an outbox of --backlog rows drains while a till sends sales through the
 *     gateway's till service (in process, over the same database, group commit as in the
 *     gateway) at --till-rate per second: the till's processing p99 idle vs during the drain,
 *     in alternating windows (--rounds × --till-seconds each). Not over the serial line: that
 *     path's own cost is in bench:till. TODO(till-sim): drive firmware-sim's till over a pty
 *     here once the gateway starts the sync agent itself (see tillLatencies).
 *  3. Sale → ack: sales rung at the till service with the publisher and HQ running; the time
 *     from the sale's request to HQ's ack for its event arriving at the gateway (p50, p99).
 *  4. HQ ingest into PostgreSQL with one and with two ingest processes (shared subscription).
 * Last line: one JSON object (JSON.stringify: a skipped part's NaN prints as null). Options: --parts drain,stages,ack,backlog,pg --events N --backlog N --pg-events N --window N
 * --till-rate N --till-seconds N --rounds N
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import pg from 'pg';
import { Value } from '@sinclair/typebox/value';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { startPostgres } from '../support/postgres';
import { createMqttLink } from '../../sync/gateway/mqtt-link';
import { createOutboxPublisher } from '../../sync/gateway/publisher';
import { routeAcks } from '../../sync/gateway/ack-route';
import { ackTopic } from '../../sync/envelope/topics';
import { ensureSyncTables } from '../../sync/gateway/tables';
import { fillOutbox, openGatewayDb, until } from '../../sync/testing/harness';
import { eventTopic, statusTopic, type GatewayAddress } from '../../sync/envelope/topics';
import { makeCloudEvent, storeSource } from '../../sync/envelope/cloudevent';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { openLedger } from '../../gateway/adapters/sqlite/open-ledger';
import { seedMembers } from '../../gateway/app/members/members';
import { createTillService } from '../../gateway/app/till/till-service';
import { EarningRulesConfig } from '../../gateway/config/schema';
import { systemClock } from '../../gateway/ports/clock';
import { round, summary } from './stats';
import { readFileSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';

/** Profiles this process (the gateway's publisher) from now until the returned function writes the profile. */
async function profileStart(): Promise<(file: string) => Promise<void>> {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** CPU seconds (user + system) of a process so far, from /proc (Linux); NaN when unreadable. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    backlog: { type: 'string', default: '1000000' },
    'pg-events': { type: 'string', default: '20000' },
    window: { type: 'string', default: '100' },
    'till-rate': { type: 'string', default: '50' },
    'till-seconds': { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    block: { type: 'string', default: '10000' },
    'ack-sales': { type: 'string', default: '300' },
    /** Comma-separated subset of drain,stages,ack,backlog,pg (default all); skipped parts' fields are null. */
    parts: { type: 'string', default: 'drain,stages,ack,backlog,pg' },
    /** HQ ingest's MQTT connections per process (its CLI's --connections; each carries one event per commit). */
    'ingest-connections': { type: 'string', default: '8' },
    /** Directory: the HQ ingest processes write V8 CPU profiles there (node --cpu-prof); for the bench process itself run it with node --cpu-prof. */
    'cpu-prof': { type: 'string', default: '' },
    /**
     * Backlog part: run HQ's ingest and the broker at nice 19. In a chain they are not on the
     * store's machine; here they share its two cores with the till, so this separates what the
     * drain costs the till's own thread from the CPU HQ's side takes from it.
     */
    'nice-hq': { type: 'boolean', default: false },
    /** The backlog part's publisher sliceMs (default: the publisher's). */
    'slice-ms': { type: 'string', default: '' },
  },
});
const BLOCK = Number(values.block);
const ACK_SALES = Number(values['ack-sales']);
const EVENTS = Number(values.events);
const BACKLOG = Number(values.backlog);
const PG_EVENTS = Number(values['pg-events']);
const WINDOW = Number(values.window);
const TILL_RATE = Number(values['till-rate']);
const TILL_SECONDS = Number(values['till-seconds']);
const ROUNDS = Number(values.rounds);
const PARTS = new Set(values.parts.split(','));
const INGEST_CONNECTIONS = values['ingest-connections'];
const CLI = resolve(import.meta.dirname, '../../sync/hq/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-sync-'));
const log = (s: string) => console.log(s);
const children: ChildProcess[] = [];
/** The last stats line each ingest process printed (its CLI prints one a second). */
const ingestStats = new Map<ChildProcess, { commits: number; committed: number }>();

/**
 * HQ ingest as its own process (the CLI), as in production. Resolves once subscribed. Session
 * expiry 0: a stopped phase's shared subscription must not go on queueing every later event.
 */
async function spawnIngest(m: Mosquitto, db: string, group: string, instance: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
      '--import',
      'tsx',
      CLI,
      'ingest',
      '--broker',
      m.url,
      '--db',
      db,
      '--group',
      group,
      '--client-id',
      `${group}-${instance}`,
      '--log-level',
      'warn',
      '--session-expiry',
      '0',
      '--connections',
      INGEST_CONNECTIONS,
    ],
    {
      env: { ...process.env, TROUW_HQ_USERNAME: 'hq', TROUW_HQ_PASSWORD: m.users.hq! },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  await new Promise<void>((ok, fail) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l.includes('"ingest":"up"')) ok();
      else if (l.startsWith('{"received"')) ingestStats.set(child, JSON.parse(l) as { commits: number; committed: number });
    });
    child.once('exit', () => fail(new Error('ingest exited early')));
  });
  return child;
}

async function stopChild(c: ChildProcess) {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

/** A subscriber that only counts (acknowledges on receipt, stores nothing): the raw loop's far end. */
async function spawnCounter(m: Mosquitto, topic: string, n: number, user = 'hq'): Promise<{ done: Promise<number>; cpu: Promise<number> }> {
  const code = `
    import mqtt from 'mqtt';
    const [url, user, pass, topic, n] = process.argv.slice(1);
    const c = mqtt.connect(url, { username: user, password: pass, protocolVersion: 5, clientId: 'bench-counter-' + process.pid });
    let count = 0;
    let cpu0;
    c.on('message', () => { if (++count === Number(n)) { const u = process.cpuUsage(cpu0); console.log('done'); console.log('cpu ' + (u.user + u.system)); c.end(); } });
    c.on('connect', () => c.subscribe(topic, { qos: 1 }, () => { cpu0 = process.cpuUsage(); console.log('ready'); }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, m.url, user, m.users[user]!, topic, String(n)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: resolve(import.meta.dirname, '../..'),
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((ok) => lines.on('line', (l) => l === 'ready' && ok()));
  return {
    done: new Promise((ok) => lines.on('line', (l) => l === 'done' && ok(performance.now()))),
    // CPU seconds the counter spent from subscribed to its last message.
    cpu: new Promise((ok) => lines.on('line', (l) => l.startsWith('cpu ') && ok(Number(l.slice(4)) / 1e6))),
  };
}

/** Publishes payloads QoS 1 with at most `window` unacknowledged; resolves when all are acknowledged. */
async function rawPublish(m: Mosquitto, user: string, items: { topic: string; payload: string }[], window: number): Promise<void> {
  const c = await mqtt.connectAsync(m.url, { username: user, password: m.users[user], protocolVersion: 5, clientId: `bench-raw-${user}-${process.pid}` });
  let next = 0;
  let acked = 0;
  await new Promise<void>((done, fail) => {
    const pump = () => {
      while (next < items.length && next - acked < window) {
        const it = items[next++]!;
        c.publish(it.topic, it.payload, { qos: 1 }, (e) => {
          if (e) return fail(e);
          if (++acked === items.length) done();
          else pump();
        });
      }
    };
    pump();
  });
  await c.endAsync();
}

/** The envelopes the publisher would send for the rows of an outbox, for the raw loop. */
function renderOutbox(db: Database.Database, gw: GatewayAddress): { topic: string; payload: string }[] {
  const rows = db.prepare('SELECT id, type, subject, time, data FROM outbox ORDER BY priority, seq').all() as {
    id: string;
    type: string;
    subject: string | null;
    time: string;
    data: string;
  }[];
  return rows.map((r) => ({
    topic: eventTopic(gw, r.type),
    payload: JSON.stringify(
      makeCloudEvent({ id: r.id, source: storeSource(gw), type: r.type, time: r.time, subject: r.subject, data: JSON.parse(r.data) as unknown }),
    ),
  }));
}

/**
 * Drain with end-to-end acks against the raw loop, in alternating blocks of BLOCK events: a
 * block is timed from the first send to the last outbox row deleted on HQ's ack (drain) or
 * to the last message counted at the subscriber (raw).
 */
async function drainRate(m: Mosquitto): Promise<{ drain: number; raw: number; ratios: number[]; pubackDelete: number; ackCosts: number[] }> {
  const gw = { store: 'store-a', gateway: 'gw-drain' };
  const db = openGatewayDb(join(dir, 'drain.db'));
  const hqPath = join(dir, 'hq-drain.db');
  const ingest = await spawnIngest(m, hqPath, 'bench-drain', 1);
  const link = createMqttLink({ url: m.url, clientId: 'bench-gw-drain', username: 'store-a', password: m.users['store-a']!, statusTopic: statusTopic(gw) });
  await link.whenUp();
  const pub = createOutboxPublisher({ db, link, address: gw, inFlight: WINDOW });
  await routeAcks(link, pub, gw);
  pub.start();
  // The pre-issue-13 rule through the same HQ (delete on PUBACK, timed until HQ holds the
  // block): what the end-to-end ack itself costs, apart from what HQ's storage costs.
  const oldGw = { store: 'store-a', gateway: 'gw-puback' };
  const oldDb = openGatewayDb(join(dir, 'drain-puback.db'));
  const oldLink = createMqttLink({
    url: m.url,
    clientId: 'bench-gw-puback',
    username: 'store-a',
    password: m.users['store-a']!,
    statusTopic: statusTopic(oldGw),
  });
  await oldLink.whenUp();
  const oldPub = createOutboxPublisher({ db: oldDb, link: oldLink, address: oldGw, inFlight: WINDOW, deleteOn: 'broker' });
  oldPub.start();
  const hqRead = new Database(hqPath, { readonly: true, fileMustExist: false });
  // HQ's per-gateway count (one row), not COUNT(*) over hq_events: polling a scan every few ms
  // on two shared cores slowed the very ingest it measured (seen: 2–4k/s instead of 9k/s).
  const oldCount = hqRead.prepare(`SELECT events FROM hq_gateways WHERE source = '/stores/store-a/gw-puback'`).pluck();
  const oldAtHq = () => (oldCount.get() as number | undefined) ?? 0;
  const blocks = Math.max(1, Math.round(EVENTS / BLOCK));
  let drainS = 0;
  let rawS = 0;
  let oldS = 0;
  const ratios: number[] = [];
  const ackCosts: number[] = [];
  let bytes = 0;
  // CPU seconds per phase of this process (the gateway's publisher, or the raw publisher), the
  // ingest and mosquitto: with all three on two cores, where a phase's time goes.
  const procs = [process.pid, ingest.pid, m.pid];
  const cpu = { drain: [0, 0, 0], raw: [0, 0, 0], puback: [0, 0, 0] };
  let counterCpu = 0;
  const cpuNow = () => procs.map(cpuSeconds);
  const addCpu = (into: number[], from: number[]) => cpuNow().forEach((c, i) => (into[i]! += c - from[i]!));
  for (let k = 0; k < blocks; k++) {
    fillOutbox(db, BLOCK, { start: k * BLOCK });
    // HQ → store on a command topic: the same payloads, but outside the ingest's subscription
    // (on an evt topic HQ's ingest took the raw events too, and the raw loop timed it as well).
    const rawItems = renderOutbox(db, { store: 'store-a', gateway: 'gw-raw' }).map((i) => ({ ...i, topic: i.topic.replace('/evt/', '/cmd/') }));
    bytes = rawItems.reduce((a, i) => a + i.payload.length, 0) / rawItems.length;
    const prof = values['cpu-prof'] ? await profileStart() : undefined;
    let c0 = cpuNow();
    let t = performance.now();
    pub.notify();
    await pub.whenDrained();
    const d = (performance.now() - t) / 1000;
    await prof?.(join(values['cpu-prof'], `gateway-drain-block-${k + 1}.cpuprofile`));
    addCpu(cpu.drain, c0);
    const is = ingestStats.get(ingest);
    if (is) log(`  HQ ingest so far: ${is.commits} commits, ${(is.committed / Math.max(1, is.commits)).toFixed(1)} events per commit`);
    const counter = await spawnCounter(m, 'trouw/v1/store-a/gw-raw/cmd/#', BLOCK, 'store-a');
    c0 = cpuNow();
    t = performance.now();
    await rawPublish(m, 'hq', rawItems, WINDOW);
    const r = ((await counter.done) - t) / 1000;
    addCpu(cpu.raw, c0);
    counterCpu += await counter.cpu;
    fillOutbox(oldDb, BLOCK, { start: k * BLOCK });
    c0 = cpuNow();
    t = performance.now();
    oldPub.notify();
    await until(() => oldAtHq() >= (k + 1) * BLOCK, 'HQ holds the PUBACK-deleted block', 600_000, 10);
    const o = (performance.now() - t) / 1000;
    addCpu(cpu.puback, c0);
    drainS += d;
    rawS += r;
    oldS += o;
    ratios.push(r / d);
    ackCosts.push(o / d);
    log(
      `block ${k + 1}/${blocks}: acknowledged drain ${(BLOCK / d).toFixed(0)}/s, raw ${(BLOCK / r).toFixed(0)}/s, ratio ${(r / d).toFixed(2)}; delete-on-PUBACK drain to the same HQ ${(BLOCK / o).toFixed(0)}/s`,
    );
  }
  hqRead.close();
  await oldPub.stop();
  await oldLink.close();
  oldDb.close();
  log(`outbox blocks of ${BLOCK} events, ${bytes.toFixed(0)} bytes each on average; in-flight window ${WINDOW}`);
  const per = (c: number[], s: number) => `${c.map((x) => ((x * 1e6) / (blocks * BLOCK)).toFixed(0)).join(' / ')} µs/event (${s.toFixed(2)} s wall)`;
  log(
    `CPU per event, this process / HQ ingest / mosquitto: drain ${per(cpu.drain, drainS)}; raw ${per(cpu.raw, rawS)} + the counting subscriber ${((counterCpu * 1e6) / (blocks * BLOCK)).toFixed(0)} µs/event; delete-on-PUBACK ${per(cpu.puback, oldS)}`,
  );
  const hq = new Database(hqPath, { readonly: true });
  const atHq = hq.prepare(`SELECT COUNT(*) FROM hq_events WHERE gateway = 'gw-drain'`).pluck().get() as number;
  hq.close();
  if (atHq !== blocks * BLOCK) throw new Error(`HQ holds ${atHq} events of gw-drain, expected ${blocks * BLOCK}`);
  await pub.stop();
  await link.close();
  db.close();
  await stopChild(ingest);
  const drain = (blocks * BLOCK) / drainS;
  const raw = (blocks * BLOCK) / rawS;
  log(`drain: outbox → mosquitto → HQ ingest (SQLite) → ack → deleted: ${blocks * BLOCK} in ${drainS.toFixed(2)} s = ${drain.toFixed(0)} events/s`);
  log(`raw: mqtt.js QoS 1 publish → subscribe, same payloads and window: ${raw.toFixed(0)} events/s`);
  const pubackDelete = (blocks * BLOCK) / oldS;
  log(`delete on PUBACK (unsafe, the old rule) → same HQ: ${pubackDelete.toFixed(0)} events/s; end-to-end ack / that: ${(drain / pubackDelete).toFixed(2)}`);
  return { drain, raw, ratios, pubackDelete, ackCosts };
}

/** Sale → its event acknowledged by HQ at the gateway, with the publisher and the ingest running. */
async function saleToAck(m: Mosquitto): Promise<{ p50: number; p99: number; n: number }> {
  const gw = { store: 'store-b', gateway: 'gw-ack' };
  const db = openDatabase(join(dir, 'sale-ack.db'));
  ensureSyncTables(db);
  const numbers = Array.from({ length: 100 }, (_, i) => `A-${i}`);
  seedMembers(
    db,
    numbers.map((n) => ({ number: n, name: `Bench ${n}`, cards: [] })),
    Date.now(),
  );
  db.prepare('DELETE FROM outbox').run();
  const service = createTillService({
    db,
    rules: Value.Default(EarningRulesConfig, {}) as EarningRulesConfig,
    store: { id: gw.store, gateway: gw.gateway, timeZone: 'Europe/Amsterdam' },
    clock: systemClock,
  });
  const ingest = await spawnIngest(m, join(dir, 'hq-ack.db'), 'bench-ack', 1);
  const link = createMqttLink({ url: m.url, clientId: 'bench-gw-ack', username: 'store-b', password: m.users['store-b']!, statusTopic: statusTopic(gw) });
  await link.whenUp();
  const pub = createOutboxPublisher({ db, link, address: gw, inFlight: WINDOW });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const topic = ackTopic(gw);
  link.setHandler((msg) => {
    if (msg.topic !== topic) return;
    const now = performance.now();
    for (const id of (JSON.parse(msg.payload.toString('utf8')) as { stored: string[] }).stored) {
      const t0 = sentAt.get(id);
      if (t0 !== undefined) latencies.push(now - t0);
      sentAt.delete(id);
    }
    pub.acknowledge(msg.payload);
  });
  await link.subscribe([topic]);
  pub.start();
  const byReceipt = db.prepare(`SELECT id FROM outbox WHERE type = 'trouw.sale.completed.v1' AND json_extract(data, '$.receipt') = ?`).pluck();
  for (let n = 0; n < ACK_SALES; n++) {
    const body = JSON.stringify({
      v: 1,
      id: `ack-${n}`,
      type: 'sale',
      receipt: `ack-${n}`,
      member: numbers[n % numbers.length],
      lines: [{ sku: 'A1', category: 'food', qty: 1, amountCents: 1000 }],
      tenders: [{ kind: 'card', amountCents: 1000 }],
    });
    const t0 = performance.now();
    const text = await service.handle(body, { lane: 'lane-1' });
    if (!text.includes('"sale.ok"')) throw new Error(`till answered ${text.slice(0, 100)}`);
    const id = byReceipt.get(`ack-${n}`) as string | undefined;
    if (id) sentAt.set(id, t0);
    // No notify(): the till's outbox writer wakes the publisher after the commit (outbox-signal.ts), as in the gateway.
    await new Promise((r) => setTimeout(r, 1000 / TILL_RATE));
  }
  await pub.whenDrained();
  await pub.stop();
  await link.close();
  db.close();
  await stopChild(ingest);
  const s = summary(latencies);
  log(`sale → HQ ack at the gateway: ${s.n} sales at ${TILL_RATE}/s: p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`);
  return { p50: s.p50, p99: s.p99, n: s.n };
}

/**
 * The till's processing time (request in → answer out of the till service, including any wait
 * for the event loop) for sales at a steady rate. This is the hook for the full simulated till
 * (firmware-sim over a pty); in process it isolates what the drain costs the till.
 */
async function tillLatencies(service: ReturnType<typeof createTillService>, numbers: string[], seconds: number, tag: string): Promise<number[]> {
  const out: number[] = [];
  let i = 0;
  const total = Math.round(seconds * TILL_RATE);
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      if (i >= total) {
        clearInterval(timer);
        return;
      }
      const n = i++;
      const body = JSON.stringify({
        v: 1,
        id: `${tag}-${n}`,
        type: 'sale',
        receipt: `${tag}-${n}`,
        member: numbers[n % numbers.length],
        lines: [{ sku: 'A1', category: 'food', qty: 1, amountCents: 1000 + (n % 500) }],
        tenders: [{ kind: 'card', amountCents: 1000 + (n % 500) }],
      });
      const t0 = performance.now();
      void service.handle(body, { lane: 'lane-1' }).then((text) => {
        if (!text.includes('"sale.ok"')) throw new Error(`till answered ${text.slice(0, 100)}`);
        out.push(performance.now() - t0);
        if (out.length === total) done();
      });
    }, 1000 / TILL_RATE);
  });
  return out;
}

/**
 * A large outbox fast: 10,000 rows through the outbox writer (fillOutbox), then copies of them
 * in SQL, each with its own valid ULID (the original's time and first random characters, then
 * a 10-digit copy number: digits are Crockford base32). Through the writer alone 1M rows took
 * ~225 s on the loaded 2-core box, most of the bench's run time, for rows of the same shape.
 */
function fillBacklog(db: Database.Database, n: number, now: number) {
  const base = Math.min(n, 10_000);
  fillOutbox(db, base, { now });
  const first = db.prepare('SELECT MIN(seq) FROM outbox').pluck().get() as number;
  const copy = db.prepare(
    `INSERT INTO outbox (id, type, subject, time, data, priority, expires_at)
     SELECT substr(id, 1, 16) || printf('%010d', @copy * ${base} + seq - @first), type, subject, time, data, priority, expires_at
     FROM outbox WHERE seq >= @first AND seq < @first + @rows ORDER BY seq`,
  );
  for (let c = 1, left = n - base; left > 0; c++, left -= base) copy.run({ copy: c, first, rows: Math.min(base, left) });
}

/**
 * Idle and draining windows alternate (--rounds of --till-seconds each), so a change in the
 * machine's background load hits both sides alike; the publisher is stopped in idle windows.
 */
async function backlogTill(m: Mosquitto): Promise<{ idle: number; draining: number; drainedDuring: number; drainRate: number }> {
  const gw = { store: 'store-b', gateway: 'gw-backlog' };
  const path = join(dir, 'backlog.db');
  // As the gateway opens it (open-ledger.ts): WAL checkpoints on a worker thread, not on the
  // till's commits (with openDatabase alone, a 10,000-page automatic checkpoint with its fsync
  // landed on whichever commit crossed it: a till's or a delete batch's).
  const ledger = openLedger(path);
  const db = ledger.db;
  ensureSyncTables(db);
  const now = Date.now();
  const numbers = Array.from({ length: 1000 }, (_, i) => `B-${i}`);
  seedMembers(
    db,
    numbers.map((n) => ({ number: n, name: `Bench ${n}`, cards: [] })),
    now,
  );
  let t = performance.now();
  // The fill is set-up, not measured: without an fsync per 1,000 rows (restored before the till runs).
  db.pragma('synchronous = OFF');
  fillBacklog(db, BACKLOG, now);
  db.pragma('synchronous = FULL');
  db.pragma('wal_checkpoint(TRUNCATE)'); // the fill's WAL, so the first idle window does not pay for it
  log(`backlog: ${BACKLOG} outbox rows written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const service = createTillService({
    db,
    rules: Value.Default(EarningRulesConfig, {}) as EarningRulesConfig,
    store: { id: gw.store, gateway: gw.gateway, timeZone: 'Europe/Amsterdam' },
    clock: systemClock,
  });
  const ingest = await spawnIngest(m, join(dir, 'hq-backlog.db'), 'bench-backlog', 1);
  if (values['nice-hq']) for (const pid of [ingest.pid, m.pid]) if (pid) execFileSync('renice', ['-n', '19', '-p', String(pid)]);
  const link = createMqttLink({ url: m.url, clientId: 'bench-gw-backlog', username: 'store-b', password: m.users['store-b']!, statusTopic: statusTopic(gw) });
  await link.whenUp();
  await tillLatencies(service, numbers, 1, 'warm');
  const idle: number[] = [];
  const draining: number[] = [];
  let drained = 0;
  let drainMs = 0;
  for (let r = 0; r < ROUNDS; r++) {
    idle.push(...(await tillLatencies(service, numbers, TILL_SECONDS, `idle${r}-`)));
    const pub = createOutboxPublisher({ db, link, address: gw, inFlight: WINDOW, ...(values['slice-ms'] ? { sliceMs: Number(values['slice-ms']) } : {}) });
    await routeAcks(link, pub, gw);
    pub.start();
    t = performance.now();
    const prof = values['cpu-prof'] ? await profileStart() : undefined;
    draining.push(...(await tillLatencies(service, numbers, TILL_SECONDS, `drain${r}-`)));
    await prof?.(join(values['cpu-prof'], `gateway-backlog-drain-${r + 1}.cpuprofile`));
    drainMs += performance.now() - t;
    drained += pub.stats().confirmed;
    await pub.stop();
  }
  const i = summary(idle);
  const d = summary(draining);
  log(`till idle: ${i.n} sales at ${TILL_RATE}/s: p50 ${i.p50.toFixed(2)} ms, p99 ${i.p99.toFixed(2)} ms, max ${i.max.toFixed(2)} ms`);
  log(
    `till while draining: ${d.n} sales: p50 ${d.p50.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms, max ${d.max.toFixed(2)} ms; ${drained} events drained meanwhile (${(drained / (drainMs / 1000)).toFixed(0)}/s)`,
  );
  await link.close();
  await ledger.close();
  await stopChild(ingest);
  return { idle: i.p99, draining: d.p99, drainedDuring: drained, drainRate: drained / (drainMs / 1000) };
}

/** Where the drain's time goes: the publisher alone (to a counting subscriber), the ingest alone (fed raw). */
async function stages(m: Mosquitto): Promise<{ publisherOnly: number; ingestOnly: number }> {
  const gw = { store: 'store-a', gateway: 'gw-stage' };
  const db = openGatewayDb(join(dir, 'stage.db'));
  fillOutbox(db, EVENTS);
  const items = renderOutbox(db, { store: 'store-a', gateway: 'gw-stage-raw' });
  const counter = await spawnCounter(m, 'trouw/v1/store-a/gw-stage/evt/#', EVENTS);
  const link = createMqttLink({ url: m.url, clientId: 'bench-gw-stage', username: 'store-a', password: m.users['store-a']!, statusTopic: statusTopic(gw) });
  await link.whenUp();
  // No HQ here: the publisher deletes on PUBACK (the pre-issue-13 rule), to time it alone.
  const pub = createOutboxPublisher({ db, link, address: gw, inFlight: WINDOW, deleteOn: 'broker' });
  let t = performance.now();
  pub.start();
  const publisherOnly = (EVENTS / ((await counter.done) - t)) * 1000;
  await pub.stop();
  await link.close();
  db.close();
  log(`stage: publisher → mosquitto → counting subscriber: ${publisherOnly.toFixed(0)} events/s`);

  const hqPath = join(dir, 'hq-stage.db');
  const ingest = await spawnIngest(m, hqPath, 'bench-stage', 1);
  const hq = new Database(hqPath, { readonly: true });
  const count = {
    get: () => (hq.prepare(`SELECT events FROM hq_gateways WHERE source = '/stores/store-a/gw-stage-raw'`).pluck().get() as number | undefined) ?? 0,
  };
  t = performance.now();
  await rawPublish(m, 'store-a', items, WINDOW);
  await until(() => (count.get() as number) >= EVENTS, 'HQ holds the raw events', 600_000, 10);
  const ingestOnly = EVENTS / ((performance.now() - t) / 1000);
  hq.close();
  await stopChild(ingest);
  log(`stage: raw mqtt.js publisher → mosquitto → HQ ingest (SQLite): ${ingestOnly.toFixed(0)} events/s`);
  return { publisherOnly, ingestOnly };
}

async function pgIngest(m: Mosquitto, url: string, processes: number): Promise<number> {
  const gw = { store: 'store-a', gateway: `gw-pg${processes}` };
  const db = new Database(':memory:');
  db.exec(
    'CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, type TEXT, subject TEXT, time TEXT, data TEXT, priority INTEGER, expires_at INTEGER)',
  );
  fillOutbox(db, PG_EVENTS);
  const items = renderOutbox(db, gw);
  db.close();
  const group = `bench-pg${processes}`;
  const ingests = await Promise.all(Array.from({ length: processes }, (_, i) => spawnIngest(m, url, group, i + 1)));
  const client = new pg.Client(url);
  await client.connect();
  const t = performance.now();
  await rawPublish(m, 'store-a', items, 1000);
  await until(
    async () => Number((await client.query(`SELECT COUNT(*) AS n FROM hq_events WHERE gateway = $1`, [gw.gateway])).rows[0].n) >= PG_EVENTS,
    'PostgreSQL holds the events',
    600_000,
    50,
  );
  const s = (performance.now() - t) / 1000;
  await client.end();
  await Promise.all(ingests.map(stopChild));
  const rate = PG_EVENTS / s;
  log(`HQ ingest into PostgreSQL, ${processes} process${processes > 1 ? 'es' : ''}: ${PG_EVENTS} in ${s.toFixed(2)} s = ${rate.toFixed(0)} events/s`);
  return rate;
}

async function main() {
  const m = await startMosquitto({ maxInflight: Math.max(100, WINDOW) });
  const pgServer = await startPostgres();
  try {
    const none = { drain: NaN, raw: NaN, ratios: [NaN], pubackDelete: NaN, ackCosts: [NaN] };
    const { drain, raw, ratios, pubackDelete, ackCosts } = PARTS.has('drain') ? await drainRate(m) : none;
    const stage = PARTS.has('stages') ? await stages(m) : { publisherOnly: NaN, ingestOnly: NaN };
    const ack = PARTS.has('ack') ? await saleToAck(m) : { p50: NaN, p99: NaN, n: 0 };
    const till = PARTS.has('backlog') ? await backlogTill(m) : { idle: NaN, draining: NaN, drainedDuring: 0, drainRate: NaN };
    const pgUrl = PARTS.has('pg') ? pgServer.createDatabase('hq_bench') : '';
    const pg1 = PARTS.has('pg') ? await pgIngest(m, pgUrl, 1) : NaN;
    const pg2 = PARTS.has('pg') ? await pgIngest(m, pgUrl, 2) : NaN;
    console.log(
      JSON.stringify({
        drain_events_per_s: round(drain, 0),
        raw_events_per_s: round(raw, 0),
        ratio: round(drain / raw),
        ratio_min: round(Math.min(...ratios)),
        ratio_max: round(Math.max(...ratios)),
        ratio_blocks: ratios.length,
        block_events: BLOCK,
        drain_deletes_on: 'hq-end-to-end-ack',
        puback_delete_drain_per_s: round(pubackDelete, 0),
        ack_vs_puback_delete_ratio: round(drain / pubackDelete),
        ack_vs_puback_delete_ratio_min: round(Math.min(...ackCosts)),
        ack_vs_puback_delete_ratio_max: round(Math.max(...ackCosts)),
        sale_to_ack_p50_ms: round(ack.p50, 1),
        sale_to_ack_p99_ms: round(ack.p99, 1),
        sale_to_ack_sales: ack.n,
        till_p99_idle_ms: round(till.idle),
        till_p99_draining_ms: round(till.draining),
        pg_ingest_1_per_s: round(pg1, 0),
        pg_ingest_2_per_s: round(pg2, 0),
        publisher_only_per_s: round(stage.publisherOnly, 0),
        ingest_only_sqlite_per_s: round(stage.ingestOnly, 0),
        events: EVENTS,
        window: WINDOW,
        ingest_connections: Number(INGEST_CONNECTIONS),
        backlog_rows: BACKLOG,
        backlog_drained_during_till_run: till.drainedDuring,
        backlog_drain_per_s: round(till.drainRate, 0),
        till_rate_per_s: TILL_RATE,
        cpus: availableParallelism(),
        load_avg_1m_at_end: round(loadavg()[0]!, 2),
        till_path: 'in-process till service (group commit); pty path: bench:till',
      }),
    );
  } finally {
    await Promise.all(children.map(stopChild));
    await m.dispose();
    await pgServer.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
