/**
 * `npm run bench:till` (issue 2). Preloads 100,000 members and 1,000,000 ledger entries, then:
 *  1. Round trip over a real pty pair (socat) at 115200 baud, gateway in this process with a
 *     serial lane: per sale the wire time computed from the bytes both ways at the configured
 *     baud (a pty ignores baud, so it is computed, not observed) and the processing time
 *     (last request byte out of the till → first response byte in; includes pty latency), and
 *     how many of the slowest 1% overlapped a GC pause of this process (perf_hooks 'gc').
 *  2. Pages written per sale: WAL frames per sale, attributed to their tables and indexes
 *     (dbstat), one transaction per sale and at LANES lanes (group commit).
 *  3. Durable sales/s through the till service (loyalty core + ledger, one SQLite transaction
 *     with synchronous = FULL per sale) against a raw better-sqlite3 baseline with the same
 *     pragmas (one small insert per transaction), in A/B/A/B blocks (PAIRS pairs of BLOCK
 *     transactions: raw, then the service) so both see the same neighbours on this shared
 *     machine; `ratio` is the median of the pairs' ratios, `ratio_min`/`ratio_max` their
 *     spread. Also LANES tills at once through the service (group commit), as a store loads
 *     it, interleaved with raw the same way.
 *     And where a sale's time goes: the same A/B loop with synchronous = OFF on both sides (CPU
 *     and WAL writes only); the difference is the wait for the fsync.
 *  4. Observed (issue 16, till-observed.ts): the till's p99 over the pty while /metrics is
 *     scraped every second and the store page's stream is open, against nobody watching, in
 *     A/B blocks of --observed-sales sales; `observed_p99_ratio` must stay below 1.1.
 * The last line is one JSON object. Options: --members N --entries N --sales N --block N
 * --pairs N --frame-sales N --lanes N --observed-sales N --observed-pairs N (0: skip phase 4)
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
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
import { interleave, spreadLine } from './support/interleave';
import { countFrames, perUnit, startFrameCount } from './support/wal-frames';
import { runObservedPhase } from './till-observed';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '100000' },
    entries: { type: 'string', default: '1000000' },
    sales: { type: 'string', default: '2000' },
    block: { type: 'string', default: '500' },
    pairs: { type: 'string', default: '8' },
    'frame-sales': { type: 'string', default: '1000' },
    lanes: { type: 'string', default: '8' },
    'observed-sales': { type: 'string', default: '1500' },
    'observed-pairs': { type: 'string', default: '4' },
  },
});
const MEMBERS = Number(values.members);
const ENTRIES = Number(values.entries);
const ROUND_TRIPS = Number(values.sales);
const BLOCK = Number(values.block);
const PAIRS = Number(values.pairs);
const FRAME_SALES = Number(values['frame-sales']);
const LANES = Number(values.lanes);
const BAUD = 115200;
const BITS_PER_BYTE = 10; // 8N1: start + 8 data + stop

const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-till-'));
const dbPath = join(dir, 'gateway.db');
const rng = createRng(2026);
// The harness's ids from a buffered random source, as the gateway's (gateway/app/shared/ids.ts):
// ulid's default asks crypto for one byte per character, garbage in the gateway's process
// that a till, a separate machine, would not make.
const ulid = monotonicFactory(
  (() => {
    const buf = new Uint8Array(4096);
    let pos = buf.length;
    return () => {
      if (pos === buf.length) {
        randomFillSync(buf);
        pos = 0;
      }
      return buf[pos++]! / 256;
    };
  })(),
);
const log = (s: string) => console.log(s);

function saleBody(numbers: readonly string[], receipt: string): string {
  return JSON.stringify({
    v: 1,
    id: ulid(),
    type: 'sale',
    receipt,
    member: numbers[rng.int(0, numbers.length - 1)],
    lines: randomLines(rng, 6),
    tenders: [{ kind: 'card', amountCents: 1000 }],
  });
}

async function main() {
  // Preload.
  const t = performance.now();
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
  const sentAt: number[] = [];
  const wire: number[] = [];
  // What the slowest sales are made of: this process's GC pauses, lined up with each sale.
  const gcPauses: { start: number; end: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const r = await client.exchange(saleBody(numbers, `R-${i}`));
    if (!r.body.includes('"sale.ok"')) throw new Error(`unexpected answer: ${r.body.slice(0, 120)}`);
    processing.push(r.processingMs);
    sentAt.push(r.sentAt);
    // Request frame + gateway ACK + response frame + till ACK, at 10 bits per byte.
    wire.push(((r.requestBytes + 1 + r.responseBytes + 1) * BITS_PER_BYTE * 1000) / BAUD);
  }
  await client.close();
  await gateway.stop();
  await pty.close();
  await new Promise((r) => setImmediate(r));
  gcObserver.disconnect();
  const p = summary(processing);
  const w = summary(wire);
  const withGc = processing.map((ms, i) => gcPauses.some((g) => g.start < sentAt[i]! + ms && g.end > sentAt[i]!));
  const slowest = processing
    .map((ms, i) => ({ ms, i }))
    .sort((x, y) => y.ms - x.ms)
    .slice(0, Math.max(1, Math.ceil(ROUND_TRIPS / 100)));
  const slowWithGc = slowest.filter((x) => withGc[x.i]).length;
  const pNoGc = summary(processing.filter((_, i) => !withGc[i]));
  const gcMax = gcPauses.reduce((m, g) => Math.max(m, g.end - g.start), 0);
  log(`round trip over pty, ${ROUND_TRIPS} sales at ${BAUD} baud:`);
  log(
    `  processing (last request byte out → first response byte in) p50 ${p.p50.toFixed(3)} ms, p90 ${p.p90.toFixed(3)} ms, p99 ${p.p99.toFixed(3)} ms, max ${p.max.toFixed(3)} ms`,
  );
  log(
    `  of the slowest 1% (${slowest.length} sales), ${slowWithGc} overlapped a GC pause of this process (${gcPauses.length} pauses, longest ${gcMax.toFixed(2)} ms); p99 of the sales no pause touched ${pNoGc.p99.toFixed(3)} ms (${withGc.filter(Boolean).length} sales touched)`,
  );
  log(`  wire time computed at ${BAUD} baud: p50 ${w.p50.toFixed(2)} ms, p99 ${w.p99.toFixed(2)} ms → round trip p50 ≈ ${(w.p50 + p.p50).toFixed(2)} ms`);

  // 2. Pages per sale: WAL frames, attributed to their B-trees, with the automatic
  //    checkpoint off and no checkpointer, so the WAL holds exactly these sales' frames.
  const fdb = openDatabase(dbPath);
  const fservice = createTillService({ db: fdb, rules: config.loyalty, store: config.store, clock: systemClock });
  startFrameCount(fdb);
  for (let i = 0; i < FRAME_SALES; i++) fservice.handleText(saleBody(numbers, `F-${i}`), { lane: 'lane-frames' });
  const single = countFrames(fdb, dbPath);
  startFrameCount(fdb);
  const perLaneF = Math.ceil(FRAME_SALES / LANES);
  await Promise.all(
    Array.from({ length: LANES }, async (_, l) => {
      for (let i = 0; i < perLaneF; i++) await fservice.handle(saleBody(numbers, `FL-${l}-${i}`), { lane: `lane-f${l}` });
    }),
  );
  const grouped = countFrames(fdb, dbPath);
  fdb.close();
  const pagesPerSale = single.frames / FRAME_SALES;
  const pagesPerSaleLanes = grouped.frames / (perLaneF * LANES);
  log(
    `pages written per sale (WAL frames), ${FRAME_SALES} sales one per transaction: ${pagesPerSale.toFixed(2)} (${single.commits} commits): ${perUnit(single.byTree, FRAME_SALES)}`,
  );
  log(`pages written per sale at ${LANES} lanes (group commit): ${pagesPerSaleLanes.toFixed(2)} in ${grouped.commits} commits`);

  // 3. Durable sales/s through the service against a raw better-sqlite3 baseline with the
  //    same pragmas (one small insert per transaction), in alternating blocks (A raw, B the
  //    service) so both see the same neighbours; one ratio per pair, and its spread.
  const sledger = openLedger(dbPath);
  const sdb = sledger.db;
  const service = createTillService({ db: sdb, rules: config.loyalty, store: config.store, clock: systemClock });
  const rawPath = join(dir, 'raw.db');
  const raw = new Database(rawPath);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const ins = raw.prepare('INSERT INTO t (v) VALUES (?)');
  const tx = raw.transaction((v: string) => ins.run(v));
  let rawN = 0;
  const rawBlock = () => {
    const t0 = performance.now();
    for (let i = 0; i < BLOCK; i++) tx(`row-${rawN++}`);
    return BLOCK / ((performance.now() - t0) / 1000);
  };
  for (let i = 0; i < 200; i++) tx(`warm-${i}`);
  for (let i = 0; i < 200; i++) service.handleText(saleBody(numbers, `WL-${i}`), { lane: 'lane-bench' });
  // a) One sale after another, each its own durable transaction: the literal loop.
  let loopN = 0;
  const loopBlock = () => {
    const bodies = Array.from({ length: BLOCK }, () => saleBody(numbers, `L-${loopN++}`));
    const t0 = performance.now();
    for (const body of bodies) service.handleText(body, { lane: 'lane-bench' });
    return BLOCK / ((performance.now() - t0) / 1000);
  };
  const loop = await interleave({
    pairs: PAIRS,
    a: rawBlock,
    b: loopBlock,
    onPair: (q) => log(`  pair ${q.pair + 1}: raw ${q.a.toFixed(0)} tx/s, sales ${q.b.toFixed(0)}/s, ratio ${q.ratio.toFixed(3)}`),
  });
  // Where a durable sale's time goes: the same A/B loop with synchronous = OFF on both
  // connections. No commit waits for its fsync; what is left is CPU (parse, core, statements)
  // and the WAL writes. Not a mode the gateway runs in: a measurement only.
  sdb.pragma('synchronous = OFF');
  raw.pragma('synchronous = OFF');
  const nosync = await interleave({ pairs: Math.max(2, Math.ceil(PAIRS / 2)), a: rawBlock, b: loopBlock });
  sdb.pragma('synchronous = FULL');
  raw.pragma('synchronous = FULL');
  // b) LANES tills at once, as a store loads it: requests that arrive in the same event-loop
  //    turn share one commit (group commit, each in its own savepoint; each still durable
  //    before its answer).
  const laneLatency: number[] = [];
  let laneN = 0;
  const lanes = await interleave({
    pairs: PAIRS,
    a: rawBlock,
    b: async () => {
      const perLane = Math.ceil(BLOCK / LANES);
      const k = laneN++;
      const laneBodies = Array.from({ length: LANES }, (_, l) => Array.from({ length: perLane }, (_, i) => saleBody(numbers, `C-${k}-${l}-${i}`)));
      const t0 = performance.now();
      await Promise.all(
        laneBodies.map(async (list, l) => {
          for (const body of list) {
            const s0 = performance.now();
            await service.handle(body, { lane: `lane-c${l}` });
            laneLatency.push(performance.now() - s0);
          }
        }),
      );
      return (perLane * LANES) / ((performance.now() - t0) / 1000);
    },
    onPair: (q) => log(`  pair ${q.pair + 1}: raw ${q.a.toFixed(0)} tx/s, ${LANES} lanes ${q.b.toFixed(0)} sales/s, ratio ${q.ratio.toFixed(3)}`),
  });
  const lanesLatency = summary(laneLatency);
  await sledger.close();
  raw.close();
  const salesPerS = loop.bMedian;
  const rawPerS = loop.aMedian;
  const concurrentPerS = lanes.bMedian;
  log(
    `durable loop, ${PAIRS} × ${BLOCK} sales one after another (A/B blocks with raw): ${salesPerS.toFixed(0)}/s through core + ledger; raw insert ${rawPerS.toFixed(0)}/s (one small insert per transaction, same pragmas); ${spreadLine(loop)}`,
  );
  const us = (perS: number) => 1e6 / perS;
  log(
    `where a sale's time goes: ${us(salesPerS).toFixed(0)} µs durable, ${us(nosync.bMedian).toFixed(0)} µs with synchronous = OFF (CPU and WAL writes), so ${(us(salesPerS) - us(nosync.bMedian)).toFixed(0)} µs waits for the fsync; raw ${us(rawPerS).toFixed(0)} µs durable, ${us(nosync.aMedian).toFixed(0)} µs without (${(us(rawPerS) - us(nosync.aMedian)).toFixed(0)} µs fsync of one page)`,
  );
  log(
    `${LANES} lanes at once (group commit): ${concurrentPerS.toFixed(0)} sales/s against raw ${lanes.aMedian.toFixed(0)} tx/s, ${spreadLine(lanes)}; per-request latency p50 ${lanesLatency.p50.toFixed(2)} ms, p99 ${lanesLatency.p99.toFixed(2)} ms`,
  );
  // 4. The till while store IT watches (issue 16).
  const OBSERVED_PAIRS = Number(values['observed-pairs']);
  const observed =
    OBSERVED_PAIRS > 0
      ? await runObservedPhase({
          dbPath,
          saleBody: (receipt) => saleBody(numbers, receipt),
          pairs: OBSERVED_PAIRS,
          block: Number(values['observed-sales']),
          log,
        })
      : undefined;
  if (observed) {
    log(
      `observed: till p99 ${observed.unobservedP99.toFixed(3)} ms unobserved, ${observed.observedP99.toFixed(3)} ms with /metrics scraped every second and the store page open (${observed.scrapes} scrapes, ${observed.views} views pushed); ${spreadLine(observed)} (target < 1.1)`,
    );
  }
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  log(`resident memory ${rssMb.toFixed(0)} MB`);
  rmSync(dir, { recursive: true, force: true });

  console.log(
    JSON.stringify({
      processing_p50_ms: round(p.p50),
      processing_p99_ms: round(p.p99),
      wire_p50_ms: round(w.p50, 2),
      wire_p99_ms: round(w.p99, 2),
      sales_per_s: round(salesPerS, 0),
      raw_tx_per_s: round(rawPerS, 0),
      ratio: round(loop.ratio),
      ratio_min: round(loop.ratioMin),
      ratio_max: round(loop.ratioMax),
      pairs: PAIRS,
      block_sales: BLOCK,
      lanes: LANES,
      sales_per_s_lanes: round(concurrentPerS, 0),
      ratio_lanes: round(lanes.ratio),
      ratio_lanes_min: round(lanes.ratioMin),
      ratio_lanes_max: round(lanes.ratioMax),
      lanes_latency_p99_ms: round(lanesLatency.p99),
      processing_p99_no_gc_ms: round(pNoGc.p99),
      slowest_1pct_with_gc: slowWithGc,
      gc_pauses: gcPauses.length,
      gc_pause_max_ms: round(gcMax),
      sale_us_durable: round(us(salesPerS), 0),
      sale_us_nosync: round(us(nosync.bMedian), 0),
      raw_us_durable: round(us(rawPerS), 0),
      raw_us_nosync: round(us(nosync.aMedian), 0),
      ratio_nosync: round(nosync.ratio),
      pages_per_sale: round(pagesPerSale, 2),
      pages_per_sale_lanes: round(pagesPerSaleLanes, 2),
      ...(observed && {
        unobserved_p99_ms: round(observed.unobservedP99),
        observed_p99_ms: round(observed.observedP99),
        observed_p99_ratio: round(observed.ratio),
        observed_p99_ratio_min: round(observed.ratioMin),
        observed_p99_ratio_max: round(observed.ratioMax),
        observed_pairs: observed.ratios.length,
        observed_block_sales: Number(values['observed-sales']),
        observed_scrapes: observed.scrapes,
      }),
      members: MEMBERS,
      ledger_entries: ENTRIES,
      round_trips: ROUND_TRIPS,
      rss_mb: round(rssMb, 0),
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
