/**
 * HQ rollups and insights (issue 17), one suite for SQLite and PostgreSQL (a real server,
 * test/support/postgres.ts): a seeded chain simulation with a known true campaign effect is
 * ingested through HqStore.insertEvents; the rollups must be exactly-once (a redelivered
 * batch changes nothing), independent of batching and order, agree with the events they
 * summarise, recover the true uplift within its confidence interval, suppress movement
 * cells under k members, and keep only counts of an erased member.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../support/postgres';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import { openPgHqStore } from '../../sync/hq/store-pg';
import type { HqStore, IngestedEvent } from '../../sync/hq/store';
import { createInsights } from '../../sync/hq/rollups/insights';
import type { RollupConfig } from '../../sync/hq/rollups/config';
import { rng, simulateChain, trueUplift } from '../../sync/testing/insights-sim';
import { isHeldBack } from '../../gateway/core/offers/holdout';
import { localClock } from '../../sync/hq/rollups/local-clock';

const CFG: RollupConfig = { timeZone: 'UTC', centsPerPoint: 0.5, upliftWindowDays: 7, k: 5 };
const START = Date.UTC(2025, 0, 6);
const SIM = {
  seed: 17,
  stores: 3,
  members: 3000,
  days: 40,
  startMs: START,
  visitProb: 0.1,
  purchaseProb: 0.8,
  meanBasketCents: 2400,
  consentShare: 0.9,
  joinSpread: 0,
  expiryDays: 20,
};
const CAMPAIGN = { id: 'coffee-spring', fromDay: 2, toDay: 30, holdout: 0.3, triggerPurchaseProb: 0.45, effect: 0.15 };
const events: IngestedEvent[] = [...simulateChain({ ...SIM, campaign: CAMPAIGN })].flat();
const NOW = START + SIM.days * 86_400_000;
const TABLES = ['hq_r_daily', 'hq_r_distinct', 'hq_r_members', 'hq_r_member_store', 'hq_r_member_day', 'hq_r_exposure'];

let pg: Postgres;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-hq-insights-'));
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** Opens a new store; `twin` opens a second connection (pool) to the last one, as a second ingest process would. */
const kinds: [string, (rollups?: RollupConfig | false) => Promise<HqStore>, () => Promise<HqStore>][] = [
  [
    'sqlite',
    async (rollups = CFG) => {
      const s = openSqliteHqStore(join(dir, `hq-${++counter}.db`), { rollups });
      await s.migrate();
      return s;
    },
    async () => {
      const s = openSqliteHqStore(join(dir, `hq-${counter}.db`), { rollups: CFG });
      await s.migrate();
      return s;
    },
  ],
  [
    'postgres',
    async (rollups = CFG) => {
      const s = openPgHqStore(pg.createDatabase(`hq_${++counter}`), { rollups });
      await s.migrate();
      return s;
    },
    async () => {
      const s = openPgHqStore(pg.url.replace(/\/postgres$/, `/hq_${counter}`), { rollups: CFG });
      await s.migrate();
      return s;
    },
  ],
];

async function ingest(store: HqStore, list: IngestedEvent[], batch: number) {
  for (let i = 0; i < list.length; i += batch) await store.insertEvents(list.slice(i, i + batch));
}

/** Every rollup row, in one canonical order (numbers as numbers). */
async function dump(store: HqStore): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of TABLES) {
    const rows = await store.rollupQuery(`SELECT * FROM ${t}`, []);
    out[t] = rows
      .map((r) =>
        JSON.stringify(
          Object.keys(r)
            .sort()
            .map((k) => (typeof r[k] === 'string' && /^-?\d+$/.test(r[k] as string) ? Number(r[k]) : r[k])),
        ),
      )
      .sort();
  }
  return out;
}

const shuffled = <T>(list: T[], seed: number): T[] => {
  const r = rng(seed);
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

describe.each(kinds)('HQ rollups: %s', (_kind, open, twin) => {
  let store: HqStore;
  let reference: Record<string, string[]>;
  beforeAll(async () => {
    store = await open();
    await ingest(store, events, 500);
    reference = await dump(store);
  }, 240_000);
  afterAll(async () => {
    await store?.close();
  });

  it('the simulation is big enough to mean something', () => {
    expect(events.length).toBeGreaterThan(50_000);
    expect(reference.hq_r_exposure!.length).toBeGreaterThan(1500);
  });

  it('a redelivered batch changes no rollup (exactly once, like the events)', async () => {
    const again = await store.insertEvents(events.slice(1000, 3000));
    expect(again.every((x) => x === false)).toBe(true);
    expect(await dump(store)).toEqual(reference);
  });

  it('batching, order and duplicates inside a batch do not change the result', async () => {
    const other = await open();
    try {
      const mixed = shuffled(events, 3);
      // Every 50th event twice in its own batch: the first stores, the second changes nothing.
      const withDupes = mixed.flatMap((e, i) => (i % 50 === 0 ? [e, e] : [e]));
      await ingest(other, withDupes, 37);
      expect(await dump(other)).toEqual(reference);
    } finally {
      await other.close();
    }
  }, 240_000);

  it('two ingest processes at once, on overlapping shares of the stream, give the same rollups', async () => {
    const a = await open();
    const b = await twin();
    try {
      // Each gets two thirds of the events (a third overlaps: redeliveries across processes),
      // in its own order, committing concurrently.
      const third = Math.floor(events.length / 3);
      const mixed = shuffled(events, 9);
      const partA = shuffled(mixed.slice(0, 2 * third), 1);
      const partB = shuffled([...mixed.slice(third)], 2);
      await Promise.all([ingest(a, partA, 200), ingest(b, partB, 300)]);
      expect(await dump(a)).toEqual(reference);
    } finally {
      await a.close();
      await b.close();
    }
  }, 240_000);

  it('liability agrees with the points the events carry; euro at the configured rate', async () => {
    const ins = createInsights(store, CFG);
    const v = await ins.view('liability', { now: NOW });
    const outstanding = v.tables.find((t) => t.id === 'outstanding')!;
    const total = outstanding.rows.reduce((a, r) => a + Number(r[3]), 0);
    const fromEvents = events.reduce((a, e) => a + (e.pointsDelta ?? 0), 0);
    expect(total).toBe(fromEvents);
    expect(outstanding.rows.reduce((a, r) => a + Number(r[4]), 0)).toBeCloseTo((fromEvents * CFG.centsPerPoint) / 100, 1);
    const flows = v.tables.find((t) => t.id === 'flows')!;
    const sum = (i: number) => flows.rows.reduce((a, r) => a + Number(r[i]), 0);
    const ofType = (type: string, field: string) =>
      events.filter((e) => e.type === type).reduce((a, e) => a + Number((JSON.parse(e.data) as Record<string, number>)[field] ?? 0), 0);
    expect(sum(1)).toBe(ofType('trouw.sale.completed.v1', 'pointsAwarded'));
    expect(sum(2)).toBe(ofType('trouw.voucher.issued.v1', 'points'));
    expect(sum(3)).toBe(ofType('trouw.points.expired.v1', 'points'));
    expect(sum(3)).toBeGreaterThan(0);
    const due = v.tables.find((t) => t.id === 'due')!;
    expect(due.rows.length).toBeGreaterThan(0);
  });

  it('recovers the true uplift of the campaign within its 95% confidence interval', async () => {
    const ins = createInsights(store, CFG);
    const [u] = await ins.uplift({ now: NOW });
    expect(u!.campaign).toBe(CAMPAIGN.id);
    const truth = trueUplift({
      visitProb: SIM.visitProb,
      purchaseProb: SIM.purchaseProb,
      meanBasketCents: SIM.meanBasketCents,
      effect: CAMPAIGN.effect,
      windowDays: CFG.upliftWindowDays,
    });
    // The groups are the gateway's own hash: every assigned member is where isHeldBack puts them.
    const exposures = await store.rollupQuery('SELECT member, grp FROM hq_r_exposure', []);
    expect(exposures.every((x) => (x.grp === 'held-back') === isHeldBack(CAMPAIGN.id, String(x.member), CAMPAIGN.holdout))).toBe(true);
    expect(u!.heldBack / (u!.treated + u!.heldBack)).toBeCloseTo(CAMPAIGN.holdout, 1);
    expect(u!.visitRate.low!).toBeLessThan(truth.visitRate);
    expect(u!.visitRate.high!).toBeGreaterThan(truth.visitRate);
    expect(u!.visitRate.low!).toBeGreaterThan(0); // a real effect, detected
    expect(u!.spendCents.low!).toBeLessThan(truth.spendCents);
    expect(u!.spendCents.high!).toBeGreaterThan(truth.spendCents);
    // No effect on the basket in the model: its interval holds 0.
    expect(u!.basketCents.low!).toBeLessThan(0);
    expect(u!.basketCents.high!).toBeGreaterThan(0);
    const funnel = (await ins.view('offers', { now: NOW })).tables.find((t) => t.id === 'funnel')!.rows[0]!;
    const [, triggered, sent, shown, opened, redeemed, heldBack] = funnel.map(Number);
    expect(triggered).toBe(sent! + heldBack!);
    expect(sent).toBeGreaterThan(shown!);
    expect(shown).toBeGreaterThan(opened!);
    expect(redeemed).toBeGreaterThan(0);
  });

  it('movement: no cell or path with fewer than k members is shown', async () => {
    const ins = createInsights(store, CFG);
    // One store and one day: few members per hour, so some cells must be suppressed.
    const v = await ins.view('movement', { now: NOW, store: 'store-001', from: '2025-01-10', to: '2025-01-11' });
    const rows = v.tables.find((t) => t.id === 'heatmap')!.rows;
    expect(rows.some((r) => r[2] === null && r[4] === '<5')).toBe(true);
    for (const r of rows) if (r[2] !== null) expect(Number(r[4])).toBeGreaterThanOrEqual(5);
    const all = await ins.view('movement', { now: NOW });
    const shown = all.tables.find((t) => t.id === 'heatmap')!.rows.filter((r) => r[2] !== null);
    expect(shown.length).toBeGreaterThan(20);
    for (const p of all.tables.find((t) => t.id === 'paths')!.rows) expect(Number(p[2])).toBeGreaterThanOrEqual(5);
    // Against the truth, from the events themselves: every cell shown has k distinct members.
    const clock = localClock(CFG.timeZone);
    const truth = new Map<string, Set<string>>();
    const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    for (const e of events) {
      if (e.type !== 'trouw.presence.zone-left.v1' || !e.member) continue;
      const d = JSON.parse(e.data) as { zone: string; enteredAt: string };
      const h = clock.stamp(Date.parse(d.enteredAt)).hourOfWeek;
      const key = `${d.zone}|${DAYS[Math.floor(h / 24)]} ${String(h % 24).padStart(2, '0')}h`;
      (truth.get(key) ?? truth.set(key, new Set()).get(key)!).add(e.member);
    }
    for (const r of shown) expect(truth.get(`${r[0]}|${r[1]}`)!.size).toBeGreaterThanOrEqual(5);
  });

  it('touchpoints, cohorts, tiers and RFM have something to say', async () => {
    const ins = createInsights(store, CFG);
    const t = (await ins.view('touchpoints', { now: NOW })).tables[0]!.rows;
    expect(t.map((r) => r[0]).sort()).toEqual(['card-at-till', 'kiosk-tap', 'offer-opened', 'zone-visit']);
    // A card at the till is tapped only with a purchase.
    expect(t.find((r) => r[0] === 'card-at-till')![3]).toBe(1);
    // Member-days with a zone visit, from the events themselves (days in UTC here).
    const zoneDays = new Set(
      events.filter((e) => e.type === 'trouw.presence.zone-entered.v1' && e.member).map((e) => `${e.member}|${e.time.slice(0, 10)}|${e.store}`),
    );
    expect(t.find((r) => r[0] === 'zone-visit')![1]).toBe(zoneDays.size);
    const m = await ins.view('members', { now: NOW });
    expect(m.tables.find((x) => x.id === 'tiers')!.rows.length).toBeGreaterThanOrEqual(2);
    const rfm = m.tables.find((x) => x.id === 'rfm')!.rows;
    expect(rfm.reduce((a, r) => a + Number(r[1]), 0)).toBe(SIM.members);
    const champions = await ins.segmentMembers(String(rfm[0]![0]), NOW);
    expect(champions.length).toBe(rfm[0]![1]);
  });

  it('an erased member leaves the rollups as counts only', async () => {
    const victim = 'M-7';
    const before = await createInsights(store, CFG).view('liability', { now: NOW });
    const mentions = async () => {
      let n = 0;
      for (const t of TABLES.filter((x) => x !== 'hq_r_daily'))
        n += (await store.rollupQuery(`SELECT count(*) AS n FROM ${t} WHERE member = ?`, [victim])).map((r) => Number(r.n))[0]!;
      return n;
    };
    expect(await mentions()).toBeGreaterThan(0);
    await store.eraseMember(victim, NOW);
    expect(await mentions()).toBe(0);
    const after = await createInsights(store, CFG).view('liability', { now: NOW });
    const total = (v: typeof before) => v.tables.find((t) => t.id === 'outstanding')!.rows.reduce((a, r) => a + Number(r[3]), 0);
    expect(total(after)).toBe(total(before));
    expect(after.tables.find((t) => t.id === 'outstanding')!.rows.some((r) => r[1] === '(erased)')).toBe(true);
  });

  it('rollups off: events stored, no rollup rows (the bench baseline)', async () => {
    const bare = await open(false);
    try {
      await ingest(bare, events.slice(0, 2000), 500);
      expect((await bare.counts()).events).toBe(2000);
      const d = await dump(bare);
      expect(Object.values(d).every((rows) => rows.length === 0)).toBe(true);
    } finally {
      await bare.close();
    }
  });
});
