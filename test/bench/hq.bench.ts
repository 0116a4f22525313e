/**
 * bench:hq (issue 17): the HQ rollups at chain scale.
 *   npm run bench:hq -- [--pg-events 10000000] [--sqlite-events 1000000] [--stores 200]
 *                       [--blocks 8] [--block-events 20000] [--load-batch 20000] [--queries 20]
 *                       [--pg-shared-buffers 1GB] [--pg-keep] [--pg-query-url URL] [--skip-pg] [--skip-sqlite]
 * Per storage (a throwaway PostgreSQL started here, and SQLite in a temp dir):
 *  1. ingest with rollups against without, in the same run: A/B blocks of the same events
 *     (A into a store with rollups off, B into one with rollups on), batches of 500 as the
 *     ingest's group commit makes them; ratio = B rate / A rate per pair (median, min, max);
 *  2. BULK LOAD of the rest, to reach the count asked for: the same HqStore.insertEvents
 *     (events and their rollups in one transaction, the ingest's own derive and upsert code:
 *     one multi-row insert of the events, one upsert per rollup table of the batch's merged
 *     deltas), but in batches of --load-batch (20,000) instead of 500, and not through MQTT
 *     (10M events over MQTT would take hours here). Bigger batches merge more deltas per key,
 *     so this is faster than the ingest; the tables it builds are the same (the integration
 *     suite checks that batch size and order change no rollup). The load time and the row
 *     counts of hq_events and every rollup table are reported. On PostgreSQL above 1M events
 *     hq_events' five secondary indexes are dropped for the load and rebuilt after it (the
 *     usual bulk-load practice; the rebuild is in the load time; the dashboard never reads
 *     hq_events; the rollup tables keep theirs), then ANALYZE;
 *  3. p95 of every dashboard query (each view chain-wide, and for one store over 30 days).
 * Events: the seeded chain simulation (sync/testing/insights-sim.ts), 200 stores. The store
 * path is measured (HqStore.insertEvents), not MQTT. PostgreSQL runs with shared_buffers
 * --pg-shared-buffers (1 GB; the test default is 64 MB) and max_wal_size 4 GB, a modest
 * production setting for a 10M-event database. --pg-keep leaves the server's directory
 * (printed) so --pg-query-url can query the loaded database again without loading it.
 * This box is 2 shared cores: the figures move with the other helpers' load. The LAST line
 * is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres } from '../support/postgres';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import { openPgHqStore } from '../../sync/hq/store-pg';
import type { HqStore, IngestedEvent } from '../../sync/hq/store';
import { createInsights, VIEW_IDS } from '../../sync/hq/rollups/insights';
import { DEFAULT_ROLLUP_CONFIG } from '../../sync/hq/rollups/config';
import { simulateChain } from '../../sync/testing/insights-sim';
import { percentile, round } from './stats';

const { values: a } = parseArgs({
  options: {
    'pg-events': { type: 'string', default: '10000000' },
    'sqlite-events': { type: 'string', default: '1000000' },
    stores: { type: 'string', default: '200' },
    blocks: { type: 'string', default: '8' },
    'block-events': { type: 'string', default: '20000' },
    'load-batch': { type: 'string', default: '20000' },
    'pg-shared-buffers': { type: 'string', default: '1GB' },
    'pg-keep': { type: 'boolean', default: false },
    'pg-query-url': { type: 'string' },
    queries: { type: 'string', default: '20' },
    'skip-pg': { type: 'boolean', default: false },
    'skip-sqlite': { type: 'boolean', default: false },
  },
});
const STORES = Number(a.stores);
const BLOCKS = Number(a.blocks);
const BLOCK = Number(a['block-events']);
const QUERIES = Number(a.queries);
const BATCH = 500;
const LOAD_BATCH = Number(a['load-batch']);
const DAYS = 365;
const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);
const NOW = START + DAYS * DAY;

/**
 * Simulated events without end: one chain simulation after another (each its own seed and
 * member numbers), so any count asked for is reached.
 */
function eventStream(target: number, seed: number) {
  // About one event per member-day at the simulation's defaults (members join over the year).
  const members = Math.max(STORES * 10, Math.ceil(target / DAYS));
  let round = 0;
  const next = () =>
    simulateChain({
      seed: seed + round,
      stores: STORES,
      members,
      days: DAYS,
      startMs: START,
      joinSpread: 0.7,
      expiryDays: 120,
      memberPrefix: `M${round++}-`,
      campaign: { id: 'bench-campaign', fromDay: 100, toDay: 300, holdout: 0.2, triggerPurchaseProb: 0.5, effect: 0.1 },
    });
  let days = next();
  let buf: IngestedEvent[] = [];
  return {
    members,
    take(n: number): IngestedEvent[] {
      while (buf.length < n) {
        const d = days.next();
        if (d.done) {
          days = next();
          continue;
        }
        buf.push(...d.value);
      }
      const out = buf.slice(0, n);
      buf = buf.slice(n);
      return out;
    },
  };
}

async function load(store: HqStore, events: IngestedEvent[], batch = BATCH): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += batch) await store.insertEvents(events.slice(i, i + batch));
  return events.length / ((performance.now() - t0) / 1000);
}

async function run(kind: 'postgres' | 'sqlite', target: number, open: (rollups: boolean) => Promise<HqStore>) {
  const bare = await open(false);
  const rolled = await open(true);
  const stream = eventStream(target, 17);
  const log = (m: string) => console.log(`[${kind}] ${m}`);
  log(`${target.toLocaleString('en-GB')} events, ${STORES} stores, ${stream.members.toLocaleString('en-GB')} members, ${DAYS} days`);

  // 1. A/B blocks: the same events without rollups (A) and with (B).
  const ratios: number[] = [];
  const rates = { bare: [] as number[], rollups: [] as number[] };
  let loaded = 0;
  for (let b = 0; b < BLOCKS && loaded + BLOCK <= target; b++) {
    const events = stream.take(BLOCK);
    if (events.length === 0) break;
    // Alternate which goes first, so warm-up and the neighbours' load fall on both.
    const first = b % 2 === 0;
    const ra = first ? await load(bare, events) : 0;
    const rb = await load(rolled, events);
    const ra2 = first ? ra : await load(bare, events);
    rates.bare.push(ra2);
    rates.rollups.push(rb);
    ratios.push(rb / ra2);
    loaded += events.length;
    log(`block ${b + 1}: without ${Math.round(ra2)}/s, with rollups ${Math.round(rb)}/s, ratio ${round(rb / ra2)}`);
  }
  await bare.close();

  // 2. Bulk load of the rest, with rollups (header: same code, bigger batches).
  const t0 = performance.now();
  // PostgreSQL: hq_events' secondary indexes go for the load and are rebuilt after it by
  // migrate() (in the load time). The dashboard never reads hq_events.
  const bulk = kind === 'postgres' && target - loaded > Number(process.env.HQ_BENCH_BULK_MIN ?? 1_000_000);
  if (bulk) await rolled.rollupQuery(`DROP INDEX IF EXISTS ${HQ_EVENTS_INDEXES.join(', ')}`, []);
  let rest = 0;
  let lastLog = 0;
  for (;;) {
    const n = Math.min(Math.max(LOAD_BATCH, 50_000), target - loaded);
    if (n <= 0) break;
    const events = stream.take(n);
    if (events.length === 0) break;
    await load(rolled, events, LOAD_BATCH);
    loaded += events.length;
    rest += events.length;
    if (rest - lastLog >= 500_000) {
      lastLog = rest;
      log(
        `loaded ${loaded.toLocaleString('en-GB')} (${Math.round(rest / ((performance.now() - t0) / 1000))}/s, ${Math.round((performance.now() - t0) / 1000)} s)`,
      );
    }
  }
  if (bulk) {
    const i0 = performance.now();
    await rolled.migrate();
    // Fresh statistics after a bulk load, as autovacuum would gather them in time.
    await rolled.rollupQuery('ANALYZE', []);
    log(`hq_events indexes rebuilt and ANALYZE in ${Math.round((performance.now() - i0) / 1000)} s`);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  const loadRate = rest ? rest / loadSeconds : null;
  return { ...(await measure(kind, rolled)), ratios, rates, loadRate, loadSeconds, loadedInBulk: rest };
}

async function measure(kind: string, rolled: HqStore) {
  const log = (m: string) => console.log(`[${kind}] ${m}`);
  // 3. Dashboard queries.
  const insights = createInsights(rolled, DEFAULT_ROLLUP_CONFIG);
  const p95: Record<string, number> = {};
  const filters = { chain: { now: NOW }, store30d: { now: NOW, store: 'store-001', from: '2025-11-01', to: '2025-12-01' } };
  for (const view of VIEW_IDS) {
    for (const [name, f] of Object.entries(filters)) {
      const times: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const q0 = performance.now();
        await insights.view(view, f);
        times.push(performance.now() - q0);
      }
      times.sort((x, y) => x - y);
      p95[`${view}_${name}`] = round(percentile(times, 95), 1);
    }
    log(`${view}: p95 ${p95[`${view}_chain`]} ms chain-wide, ${p95[`${view}_store30d`]} ms one store 30 days`);
  }
  const counts = await rolled.counts();
  const rows: Record<string, number> = { hq_events: counts.events };
  for (const t of ROLLUP_TABLES) rows[t] = Number((await rolled.rollupQuery(`SELECT count(*) AS n FROM ${t}`, []))[0]?.n);
  log(`rows: ${JSON.stringify(rows)}`);
  await rolled.close();
  return { events: counts.events, rows, p95_ms: p95, p95_max_ms: Math.max(...Object.values(p95)) };
}

const HQ_EVENTS_INDEXES = ['hq_events_store_time', 'hq_events_type_time', 'hq_events_time', 'hq_events_member', 'hq_events_received'];
const ROLLUP_TABLES = ['hq_r_daily', 'hq_r_distinct', 'hq_r_members', 'hq_r_member_store', 'hq_r_member_day', 'hq_r_exposure'];
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((x, y) => x - y),
    50,
  );

function summary(r: Awaited<ReturnType<typeof run>>) {
  const sorted = [...r.ratios].sort((x, y) => x - y);
  return {
    events: r.events,
    ingest_rate_without_rollups: round(median(r.rates.bare), 0),
    ingest_rate_with_rollups: round(median(r.rates.rollups), 0),
    ratio: round(median(r.ratios)),
    ratio_min: round(sorted[0] ?? NaN),
    ratio_max: round(sorted[sorted.length - 1] ?? NaN),
    blocks: r.ratios.length,
    bulk_loaded: r.loadedInBulk,
    bulk_load_seconds: round(r.loadSeconds, 0),
    bulk_load_rate: r.loadRate === null ? null : round(r.loadRate, 0),
    rows: r.rows,
    p95_ms: r.p95_ms,
    p95_max_ms: r.p95_max_ms,
  };
}

async function main() {
  const out: Record<string, unknown> = { bench: 'hq', stores: STORES, block_events: BLOCK, batch: BATCH, load_batch: LOAD_BATCH };
  const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-hq-'));
  try {
    if (!a['skip-sqlite']) {
      let n = 0;
      out.sqlite = summary(
        await run('sqlite', Number(a['sqlite-events']), async (rollups) => {
          const s = openSqliteHqStore(join(dir, `hq-${++n}.db`), { rollups: rollups ? DEFAULT_ROLLUP_CONFIG : false });
          await s.migrate();
          return s;
        }),
      );
    }
    if (a['pg-query-url']) {
      // A database loaded before (--pg-keep): the queries only.
      const s = openPgHqStore(a['pg-query-url'], { rollups: DEFAULT_ROLLUP_CONFIG });
      // migrate() also brings a database of an earlier rollup shape up to this one (schema.ts).
      const m0 = performance.now();
      await s.migrate();
      await s.rollupQuery('ANALYZE', []);
      console.log(`[postgres] migrate and ANALYZE ${Math.round(performance.now() - m0)} ms`);
      const m = await measure('postgres', s);
      out.postgres = { ...m, p95_under_1s: m.p95_max_ms < 1000 };
    } else if (!a['skip-pg']) {
      const pg = await startPostgres({
        settings: { shared_buffers: a['pg-shared-buffers']!, max_wal_size: '4GB', maintenance_work_mem: '512MB' },
        keep: a['pg-keep']!,
      });
      try {
        let n = 0;
        const pgOut = summary(
          await run('postgres', Number(a['pg-events']), async (rollups) => {
            const s = openPgHqStore(pg.createDatabase(`bench_${++n}`), { rollups: rollups ? DEFAULT_ROLLUP_CONFIG : false });
            await s.migrate();
            return s;
          }),
        );
        out.postgres = { ...pgOut, shared_buffers: a['pg-shared-buffers'], p95_under_1s: pgOut.p95_max_ms < 1000 };
        if (a['pg-keep']) console.log(`[postgres] kept: ${pg.dir} (pg_ctl -D ${pg.dir}/data start; database bench_2 has the rollups)`);
      } finally {
        await pg.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
