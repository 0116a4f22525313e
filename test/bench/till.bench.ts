/**
 * `npm run bench:till` (issue 2). Preloads 100,000 members and 1,000,000 ledger entries, then:
 *  1. Round trip over a real pty pair (socat) at 115200 baud, gateway in this process with a
 *     serial lane: per sale the wire time computed from the bytes both ways at the configured
 *     baud (a pty ignores baud, so it is computed, not observed) and the processing time
 *     (last request byte out of the till → first response byte in; includes pty latency).
 *  2. Durable sales/s through the till service (loyalty core + ledger, one SQLite transaction
 *     with synchronous = FULL per sale) against a raw better-sqlite3 baseline with the same
 *     pragmas (one small insert per transaction), measured in the same run on the same disk.
 *     Also LANES tills at once through the service (group commit), as a store loads it.
 * The last line is one JSON object. Options: --members N --entries N --sales N --tx N --lanes N
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { monotonicFactory } from 'ulid';
import Database from 'better-sqlite3';
import { validateConfig } from '../../gateway/config/load';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { openLedger } from '../../gateway/adapters/sqlite/open-ledger';
import { startGateway } from '../../gateway/app/gateway';
import { createTillService } from '../../gateway/app/till/till-service';
import { systemClock } from '../../gateway/ports/clock';
import { randomLines } from '../../firmware-sim/till/catalogue';
import { createRng } from '../../firmware-sim/till/prng';
import { startSocat } from '../support/socat';
import { preloadLedger } from './preload';
import { RawTillClient } from './raw-till-client';
import { round, summary } from './stats';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '100000' },
    entries: { type: 'string', default: '1000000' },
    sales: { type: 'string', default: '2000' },
    tx: { type: 'string', default: '4000' },
    lanes: { type: 'string', default: '8' },
  },
});
const MEMBERS = Number(values.members);
const ENTRIES = Number(values.entries);
const ROUND_TRIPS = Number(values.sales);
const LOOP_TX = Number(values.tx);
const LANES = Number(values.lanes);
const BAUD = 115200;
const BITS_PER_BYTE = 10; // 8N1: start + 8 data + stop

const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-till-'));
const dbPath = join(dir, 'gateway.db');
const rng = createRng(2026);
const ulid = monotonicFactory();
const log = (s: string) => console.log(s);

function saleBody(numbers: readonly string[], receipt: string): string {
  return JSON.stringify({
    v: 1, id: ulid(), type: 'sale', receipt, member: numbers[rng.int(0, numbers.length - 1)],
    lines: randomLines(rng, 6), tenders: [{ kind: 'card', amountCents: 1000 }],
  });
}

async function main() {
  // Preload.
  let t = performance.now();
  const db = openDatabase(dbPath);
  const numbers = preloadLedger(db, { members: MEMBERS, entries: ENTRIES, now: Date.now() });
  db.close();
  log(`preloaded ${MEMBERS} members and ${ENTRIES} ledger entries in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // 1. Round trip over the pty.
  const pty = await startSocat();
  const config = validateConfig({
    database: { path: dbPath },
    lanes: [{ id: 'lane-1', transport: 'serial', path: pty.a, baudRate: BAUD }],
    log: { level: 'warn' },
  });
  const gateway = await startGateway(config, { logger: createLogger({ level: 'warn' }), listen: false });
  while (gateway.health().lanes[0]?.state !== 'up') await new Promise((r) => setTimeout(r, 20));
  const client = new RawTillClient(pty.b, BAUD);
  await client.open();
  for (let i = 0; i < 50; i++) await client.exchange(saleBody(numbers, `W-${i}`)); // warm-up
  const processing: number[] = [];
  const wire: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const r = await client.exchange(saleBody(numbers, `R-${i}`));
    if (!r.body.includes('"sale.ok"')) throw new Error(`unexpected answer: ${r.body.slice(0, 120)}`);
    processing.push(r.processingMs);
    // Request frame + gateway ACK + response frame + till ACK, at 10 bits per byte.
    wire.push(((r.requestBytes + 1 + r.responseBytes + 1) * BITS_PER_BYTE * 1000) / BAUD);
  }
  await client.close();
  await gateway.stop();
  await pty.close();
  const p = summary(processing);
  const w = summary(wire);
  log(`round trip over pty, ${ROUND_TRIPS} sales at ${BAUD} baud:`);
  log(`  processing (last request byte out → first response byte in) p50 ${p.p50.toFixed(3)} ms, p90 ${p.p90.toFixed(3)} ms, p99 ${p.p99.toFixed(3)} ms, max ${p.max.toFixed(3)} ms`);
  log(`  wire time computed at ${BAUD} baud: p50 ${w.p50.toFixed(2)} ms, p99 ${w.p99.toFixed(2)} ms → round trip p50 ≈ ${(w.p50 + p.p50).toFixed(2)} ms`);

  // 2. Durable sales/s through the service vs raw SQLite, same pragmas, same disk.
  const sledger = openLedger(dbPath);
  const sdb = sledger.db;
  const service = createTillService({ db: sdb, rules: config.loyalty, store: config.store, clock: systemClock });
  // a) One sale after another, each its own durable transaction: the literal loop.
  const bodies = Array.from({ length: LOOP_TX }, (_, i) => saleBody(numbers, `L-${i}`));
  t = performance.now();
  for (const body of bodies) service.handleText(body, { lane: 'lane-bench' });
  const salesPerS = LOOP_TX / ((performance.now() - t) / 1000);
  // b) LANES tills at once, as a store loads it: requests that arrive in the same event-loop
  //    turn share one commit (group commit, each in its own savepoint; each still durable
  //    before its answer).
  const perLane = Math.ceil(LOOP_TX / LANES);
  const laneBodies = Array.from({ length: LANES }, (_, l) => Array.from({ length: perLane }, (_, i) => saleBody(numbers, `C-${l}-${i}`)));
  const laneLatency: number[] = [];
  t = performance.now();
  await Promise.all(laneBodies.map(async (list, l) => {
    for (const body of list) {
      const t0 = performance.now();
      await service.handle(body, { lane: `lane-c${l}` });
      laneLatency.push(performance.now() - t0);
    }
  }));
  const concurrentPerS = (perLane * LANES) / ((performance.now() - t) / 1000);
  const lanesLatency = summary(laneLatency);
  await sledger.close();

  const rawPath = join(dir, 'raw.db');
  const raw = new Database(rawPath);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const ins = raw.prepare('INSERT INTO t (v) VALUES (?)');
  const tx = raw.transaction((v: string) => ins.run(v));
  t = performance.now();
  for (let i = 0; i < LOOP_TX; i++) tx(`row-${i}`);
  const rawPerS = LOOP_TX / ((performance.now() - t) / 1000);
  raw.close();
  log(`durable loop, ${LOOP_TX} sales one after another: ${salesPerS.toFixed(0)}/s through core + ledger; raw insert ${rawPerS.toFixed(0)}/s (one small insert per transaction, same pragmas); ratio ${(salesPerS / rawPerS).toFixed(3)}`);
  log(`${LANES} lanes at once (group commit): ${concurrentPerS.toFixed(0)} sales/s, ratio ${(concurrentPerS / rawPerS).toFixed(3)}; per-request latency p50 ${lanesLatency.p50.toFixed(2)} ms, p99 ${lanesLatency.p99.toFixed(2)} ms`);
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  log(`resident memory ${rssMb.toFixed(0)} MB`);
  rmSync(dir, { recursive: true, force: true });

  console.log(JSON.stringify({
    processing_p50_ms: round(p.p50), processing_p99_ms: round(p.p99),
    wire_p50_ms: round(w.p50, 2), wire_p99_ms: round(w.p99, 2),
    sales_per_s: round(salesPerS, 0), raw_tx_per_s: round(rawPerS, 0), ratio: round(salesPerS / rawPerS),
    lanes: LANES, sales_per_s_lanes: round(concurrentPerS, 0), ratio_lanes: round(concurrentPerS / rawPerS), lanes_latency_p99_ms: round(lanesLatency.p99),
    members: MEMBERS, ledger_entries: ENTRIES, round_trips: ROUND_TRIPS, rss_mb: round(rssMb, 0),
  }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
