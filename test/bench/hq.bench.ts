/**
 * bench:hq (issue 17): the HQ rollups at chain scale.
 *   npm run bench:hq -- [--pg-events 10000000] [--sqlite-events 1000000] [--stores 200]
 *                       [--blocks 8] [--block-events 20000] [--queries 20] [--skip-pg] [--skip-sqlite]
 * Per storage (a throwaway PostgreSQL started here, and SQLite in a temp dir):
 *  1. ingest with rollups against without, in the same run: A/B blocks of the same events
 *     (A into a store with rollups off, B into one with rollups on), batches of 500 as the
 *     ingest's group commit makes them; ratio = B rate / A rate per pair (median, min, max);
 *  2. the rest of the events loaded with rollups, to reach the count asked for;
 *  3. p95 of every dashboard query (each view chain-wide, and for one store over 30 days).
 * Events: the seeded chain simulation (sync/testing/insights-sim.ts), 200 stores. The store
 * path is measured (HqStore.insertEvents), not MQTT. This box is 2 shared cores: the figures
 * move with the other helpers' load. The LAST line is one JSON object.
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

async function load(store: HqStore, events: IngestedEvent[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += BATCH) await store.insertEvents(events.slice(i, i + BATCH));
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

  // 2. The rest, with rollups.
  const t0 = performance.now();
  let rest = 0;
  for (;;) {
    const n = Math.min(50_000, target - loaded);
    if (n <= 0) break;
    const events = stream.take(n);
    if (events.length === 0) break;
    await load(rolled, events);
    loaded += events.length;
    rest += events.length;
    if (rest % 250_000 < 50_000) log(`loaded ${loaded.toLocaleString('en-GB')} (${Math.round(rest / ((performance.now() - t0) / 1000))}/s)`);
  }
  const loadRate = rest ? rest / ((performance.now() - t0) / 1000) : null;

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
  await rolled.close();
  const sorted = [...ratios].sort((x, y) => x - y);
  return {
    events: counts.events,
    ingest_rate_without_rollups: round(
      percentile(
        [...rates.bare].sort((x, y) => x - y),
        50,
      ),
      0,
    ),
    ingest_rate_with_rollups: round(
      percentile(
        [...rates.rollups].sort((x, y) => x - y),
        50,
      ),
      0,
    ),
    ratio: round(percentile(sorted, 50)),
    ratio_min: round(sorted[0] ?? NaN),
    ratio_max: round(sorted[sorted.length - 1] ?? NaN),
    blocks: ratios.length,
    load_rate_with_rollups: loadRate === null ? null : round(loadRate, 0),
    p95_ms: p95,
    p95_max_ms: Math.max(...Object.values(p95)),
  };
}

async function main() {
  const out: Record<string, unknown> = { bench: 'hq', stores: STORES, block_events: BLOCK, batch: BATCH };
  const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-hq-'));
  try {
    if (!a['skip-sqlite']) {
      let n = 0;
      out.sqlite = await run('sqlite', Number(a['sqlite-events']), async (rollups) => {
        const s = openSqliteHqStore(join(dir, `hq-${++n}.db`), { rollups: rollups ? DEFAULT_ROLLUP_CONFIG : false });
        await s.migrate();
        return s;
      });
    }
    if (!a['skip-pg']) {
      const pg = await startPostgres();
      try {
        let n = 0;
        const pgOut = await run('postgres', Number(a['pg-events']), async (rollups) => {
          const s = openPgHqStore(pg.createDatabase(`bench_${++n}`), { rollups: rollups ? DEFAULT_ROLLUP_CONFIG : false });
          await s.migrate();
          return s;
        });
        out.postgres = { ...pgOut, p95_under_1s: pgOut.p95_max_ms < 1000 };
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
