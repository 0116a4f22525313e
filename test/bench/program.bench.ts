/**
 * `npm run bench:program` (issue 6). Creates its own temp database and preloads 100,000
 * members with 10 points lots each (1,000,000 lots, about half of them due on the run date)
 * and 12 months of tier activity each, every member held above the lowest tier. Then, in the
 * same run on the same disk:
 *  1. a raw better-sqlite3 scan of the same lots (primary-key order, every column the job
 *     reads, the due test in JS) and of the tier activity: the floor the job is measured on;
 *  2. the expiry job (app/loyalty/points-expiry.ts, chunks of 2,000 lots, one IMMEDIATE transaction
 *     each, synchronous = FULL): per due lot an `expire` ledger entry, the lot emptied, the
 *     member's balance, an outbox event;
 *  3. the same job again on the same day (nothing left to expire: the idempotent re-run),
 *     in A/B blocks with the raw scan (--pairs N, default 3): `ratio` = re-run rows/s ÷ raw
 *     rows/s per pair, median, with ratio_min / ratio_max (the machine is shared);
 *  4. tier recalculation for all 100,000 members (app/loyalty/program-daily.ts `runTiers`).
 * The last line is one JSON object. Options: --members N --lots N (lots per member) --pairs N.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { openDatabase, type Db } from '../../gateway/adapters/sqlite/open-database';
import { createPointsExpiry } from '../../gateway/app/loyalty/points-expiry';
import { createProgramDaily } from '../../gateway/app/loyalty/program-daily';
import { addDays } from '../../gateway/core/loyalty/dates';
import type { Clock } from '../../gateway/ports/clock';
import { createRng } from '../../firmware-sim/till/prng';
import { interleave, spreadLine } from './support/interleave';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '100000' },
    lots: { type: 'string', default: '10' },
    pairs: { type: 'string', default: '3' },
  },
});
const PAIRS = Number(values.pairs);
const MEMBERS = Number(values.members);
const LOTS_PER_MEMBER = Number(values.lots);
const ZONE = 'Europe/Amsterdam';
const TODAY = '2026-06-15';
// 10:00 local on TODAY (CEST, UTC+2).
const NOW = Date.parse(`${TODAY}T08:00:00Z`);

const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-program-'));
const dbPath = join(dir, 'gateway.db');
const log = (s: string) => console.log(s);
const secs = (ms: number) => (ms / 1000).toFixed(2);
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

function preload(db: Db): { lots: number; due: number } {
  const ulid = monotonicFactory();
  const rng = createRng(2026);
  const insMember = db.prepare('INSERT INTO members (id, number, name, created_at, balance, deficit) VALUES (?, ?, ?, ?, ?, 0)');
  const insLot = db.prepare('INSERT INTO point_lots (id, member_id, sale_id, earned, remaining, expires_on, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?)');
  const insProgram = db.prepare("INSERT INTO member_program (member_id, tier, tier_since) VALUES (?, 'zilver', '2026-01-01')");
  const insActivity = db.prepare('INSERT INTO tier_activity (member_id, month, points, cents) VALUES (?, ?, ?, ?)');
  let lots = 0;
  let due = 0;
  db.transaction(() => {
    for (let m = 0; m < MEMBERS; m++) {
      const id = ulid(NOW);
      let balance = 0;
      const rows: [string, number, string][] = [];
      for (let l = 0; l < LOTS_PER_MEMBER; l++) {
        const points = rng.int(1, 200);
        // Expiry dates spread a year either side of TODAY: about half are due.
        const expiresOn = addDays(TODAY, rng.int(-365, 365));
        if (expiresOn <= TODAY) due++;
        rows.push([ulid(NOW), points, expiresOn]);
        balance += points;
      }
      insMember.run(id, `P-${String(m).padStart(7, '0')}`, `Bench Member ${m}`, NOW, balance);
      for (const [lotId, points, expiresOn] of rows) insLot.run(lotId, id, points, points, expiresOn, NOW);
      lots += rows.length;
      insProgram.run(id);
      // 2025 and 2026 so far: some members requalify, some fall to Brons, some reach Goud.
      for (const month of ['2025-03', '2025-07', '2025-11', '2026-02', '2026-05']) insActivity.run(id, month, rng.int(0, 700), rng.int(0, 70_000));
    }
  })();
  return { lots, due };
}

async function main() {
  let t = performance.now();
  const db = openDatabase(dbPath);
  const { lots, due } = preload(db);
  db.pragma('wal_checkpoint(TRUNCATE)');
  log(`preloaded ${MEMBERS} members, ${lots} lots (${due} due on ${TODAY}) in ${secs(performance.now() - t)} s`);

  // 1. Raw scan of the same rows, same file, separate connection.
  const raw = new Database(dbPath, { readonly: true });
  raw.pragma('cache_size = -32768');
  const rawScan = raw.prepare('SELECT member_id, id, sale_id, remaining, expires_on FROM point_lots ORDER BY member_id, id');
  const scanLots = () => {
    const t0 = performance.now();
    let rows = 0;
    let dueRows = 0;
    let points = 0;
    for (const r of rawScan.iterate() as IterableIterator<{ remaining: number; expires_on: string }>) {
      rows++;
      if (r.remaining > 0 && r.expires_on <= TODAY) {
        dueRows++;
        points += r.remaining;
      }
    }
    return { rows, due: dueRows, points, ms: performance.now() - t0 };
  };
  const firstScan = scanLots();
  const { rows: rawRows, due: rawDue, points: rawPoints, ms: rawMs } = firstScan;
  t = performance.now();
  t = performance.now();
  let rawActivity = 0;
  for (const _r of raw
    .prepare(
      'SELECT p.member_id, p.tier, a.month, a.points, a.cents FROM member_program p JOIN tier_activity a ON a.member_id = p.member_id ORDER BY p.member_id, a.month',
    )
    .iterate())
    rawActivity++;
  const rawTierMs = performance.now() - t;
  log(
    `raw scan: ${rawRows} lots in ${secs(rawMs)} s (${rate(rawRows, rawMs)} rows/s), ${rawDue} due; tier activity ${rawActivity} rows in ${secs(rawTierMs)} s`,
  );

  // 2. The expiry job.
  const clock: Clock = { now: () => NOW, monotonic: () => performance.now() };
  const expiry = createPointsExpiry({ db, clock, timeZone: ZONE, chunk: 2000 });
  t = performance.now();
  const first = expiry.runAll(NOW);
  const expiryMs = performance.now() - t;
  if (first.expiredLots !== rawDue || first.points !== rawPoints)
    throw new Error(`expiry disagrees with the raw scan: ${first.expiredLots}/${first.points} vs ${rawDue}/${rawPoints}`);
  log(
    `expiry job: ${first.scanned} lots scanned, ${first.expiredLots} expired (${first.points} points) in ${secs(expiryMs)} s (${rate(first.scanned, expiryMs)} rows/s, ${rate(first.expiredLots, expiryMs)} expiries/s)`,
  );

  // 3. The same day again: nothing to do, each lot once. In A/B blocks with the raw scan
  //    (HELPERS.md: the machine is shared), the ratio re-run rows/s ÷ raw rows/s per pair.
  let again = { scanned: 0, expiredLots: 0 };
  const rerun = await interleave({
    pairs: PAIRS,
    a: () => {
      const r = scanLots();
      return r.rows / (r.ms / 1000);
    },
    b: () => {
      const t0 = performance.now();
      again = expiry.runAll(NOW);
      if (again.expiredLots !== 0) throw new Error(`a re-run expired ${again.expiredLots} lots`);
      return again.scanned / ((performance.now() - t0) / 1000);
    },
    onPair: (q) => log(`  pair ${q.pair + 1}: raw scan ${q.a.toFixed(0)} rows/s, expiry re-run ${q.b.toFixed(0)} rows/s, ratio ${q.ratio.toFixed(3)}`),
  });
  raw.close();
  log(
    `expiry re-run: ${again.scanned} lots scanned, 0 expired, ${rerun.bMedian.toFixed(0)} rows/s against the raw scan's ${rerun.aMedian.toFixed(0)}; ${spreadLine(rerun)}`,
  );

  // 4. Tier recalculation.
  const daily = createProgramDaily({ db, clock, timeZone: ZONE, chunk: 2000 });
  // A review day: 2027-01-01 reviews the 2026 window, so downgrades fall due (after grace).
  const reviewDay = '2027-02-15';
  t = performance.now();
  const tiers = await daily.runTiers(reviewDay, Date.parse(`${reviewDay}T09:00:00Z`), false);
  const tierMs = performance.now() - t;
  if (tiers.members !== MEMBERS) throw new Error(`tier pass saw ${tiers.members} of ${MEMBERS} members`);
  log(`tier recalculation: ${tiers.members} members, ${tiers.changed} changed in ${secs(tierMs)} s (${rate(tiers.members, tierMs)} members/s)`);

  db.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      members: MEMBERS,
      lots,
      expiry_rows: first.scanned,
      expired_lots: first.expiredLots,
      expiry_s: Number(secs(expiryMs)),
      expiry_rows_per_s: rate(first.scanned, expiryMs),
      expiry_expired_per_s: rate(first.expiredLots, expiryMs),
      expiry_rerun_rows_per_s: Math.round(rerun.bMedian),
      raw_scan_s: Number(secs(rawMs)),
      raw_scan_rows_per_s: Math.round(rerun.aMedian),
      ratio: Number(rerun.ratio.toFixed(3)),
      ratio_min: Number(rerun.ratioMin.toFixed(3)),
      ratio_max: Number(rerun.ratioMax.toFixed(3)),
      pairs: PAIRS,
      raw_tier_scan_rows_per_s: rate(rawActivity, rawTierMs),
      tier_s: Number(secs(tierMs)),
      tier_members_per_s: rate(tiers.members, tierMs),
      tiers_changed: tiers.changed,
    }),
  );
}

main().catch((e: unknown) => {
  rmSync(dir, { recursive: true, force: true });
  console.error(e);
  process.exit(1);
});
