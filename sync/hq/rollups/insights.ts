/**
 * The dashboard's questions, answered from the rollup tables only (never hq_events). Each
 * view returns charts (the JSON endpoints) and tables (the CSV exports). SQL is the subset
 * SQLite and PostgreSQL share, with `?` placeholders (HqStore.rollupQuery).
 */
import type { HqStore } from '../store';
import type { RollupConfig } from './config';
import { CHAIN, M } from './derive';
import { TOUCH_BITS, type Touchpoint } from './rows';
import { localClock } from './local-clock';
import { meanDiff, type GroupSums } from './stats';

export interface InsightFilter {
  store?: string | undefined;
  /** Local days, YYYY-MM-DD; [from, to). */
  from?: string | undefined;
  to?: string | undefined;
  now: number;
}
export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}
export interface Chart {
  id: string;
  title: string;
  kind: 'bar' | 'line' | 'stacked' | 'heatmap';
  labels: string[];
  series: { name: string; values: (number | null)[] }[];
  note?: string;
}
export interface InsightView {
  id: ViewId;
  title: string;
  charts: Chart[];
  tables: Table[];
}
export type ViewId = 'liability' | 'offers' | 'touchpoints' | 'movement' | 'members';
export const VIEW_IDS: readonly ViewId[] = ['liability', 'offers', 'touchpoints', 'movement', 'members'];

type Rows = Record<string, unknown>[];
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/**
 * WHERE parts for store and day range on a table alias. `chainRow`: the table has a chain
 * row (store '') for every store row (hq_r_daily), which chain-wide reads take instead.
 */
function range(f: InsightFilter, alias: string, dayCol = 'day', storeCol = 'store', chainRow = false) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.store || chainRow) {
    where.push(`${alias}.${storeCol} = ?`);
    args.push(f.store || CHAIN);
  }
  if (f.from) {
    where.push(`${alias}.${dayCol} >= ?`);
    args.push(f.from);
  }
  if (f.to) {
    where.push(`${alias}.${dayCol} < ?`);
    args.push(f.to);
  }
  return { sql: where.map((w) => ` AND ${w}`).join(''), args };
}

/** The range on hq_r_daily: one store's rows, or chain-wide the chain's rows (store ''). */
const dailyRange = (f: InsightFilter, alias: string) => range(f, alias, 'day', 'store', true);

export function createInsights(store: HqStore, cfg: RollupConfig) {
  const q = (sql: string, args: unknown[]): Promise<Rows> => store.rollupQuery(sql, args);
  const clock = localClock(cfg.timeZone);

  async function liability(f: InsightFilter): Promise<InsightView> {
    const st = f.store ? ' WHERE ms.store = ?' : '';
    const out = await q(
      `SELECT ms.store AS store, coalesce(m.tier, CASE WHEN ms.member = '' THEN '(erased)' ELSE 'base' END) AS tier,
              sum(CASE WHEN ms.member = '' THEN 0 ELSE 1 END) AS members, sum(ms.points) AS points
       FROM hq_r_member_store ms LEFT JOIN hq_r_members m ON m.member = ms.member${st}
       GROUP BY ms.store, coalesce(m.tier, CASE WHEN ms.member = '' THEN '(erased)' ELSE 'base' END) ORDER BY 1, 2`,
      f.store ? [f.store] : [],
    );
    const r = dailyRange(f, 'd');
    const flows = await q(
      `SELECT substr(d.day, 1, 7) AS month, d.metric AS metric, sum(d.amount) AS points FROM hq_r_daily d
       WHERE d.metric IN (?, ?, ?, ?, ?)${r.sql} GROUP BY substr(d.day, 1, 7), d.metric ORDER BY 1`,
      [M.earned, M.redeemed, M.expired, M.reversed, M.adjusted, ...r.args],
    );
    const today = clock.stamp(f.now).day;
    const due = await q(
      `SELECT substr(d.day, 1, 7) AS month, sum(d.amount) AS points FROM hq_r_daily d WHERE d.metric = ? AND d.day >= ? AND d.store = ?
       GROUP BY substr(d.day, 1, 7) ORDER BY 1`,
      [M.due, today, f.store || CHAIN],
    );
    const euro = (p: number) => Math.round(p * cfg.centsPerPoint) / 100;
    const months = [...new Set(flows.map((x) => s(x.month)))].sort();
    const flow = (metric: string) => months.map((mo) => n(flows.find((x) => x.month === mo && x.metric === metric)?.points));
    const earned = flow(M.earned).reduce((a, b) => a + b, 0);
    const expired = flow(M.expired).reduce((a, b) => a + b, 0);
    const redeemed = flow(M.redeemed).reduce((a, b) => a + b, 0);
    const stores = [...new Set(out.map((x) => s(x.store)))];
    const tiers = [...new Set(out.map((x) => s(x.tier)))].sort();
    return {
      id: 'liability',
      title: 'Points liability',
      charts: [
        {
          id: 'outstanding',
          title: 'Outstanding points by store and tier',
          kind: 'stacked',
          labels: stores,
          series: tiers.map((t) => ({ name: t, values: stores.map((st2) => n(out.find((x) => x.store === st2 && x.tier === t)?.points)) })),
        },
        {
          id: 'flows',
          title: 'Points earned, redeemed and expired per month',
          kind: 'bar',
          labels: months,
          series: [
            { name: 'earned', values: flow(M.earned) },
            { name: 'redeemed', values: flow(M.redeemed) },
            { name: 'expired', values: flow(M.expired) },
          ],
        },
        {
          id: 'due',
          title: 'Points due to expire per month ahead',
          kind: 'bar',
          labels: due.map((x) => s(x.month)),
          series: [{ name: 'due', values: due.map((x) => Math.max(0, n(x.points))) }],
          note: 'Scheduled at earning minus what has expired; redemptions are not allocated to lots, so this is an upper bound.',
        },
      ],
      tables: [
        {
          id: 'outstanding',
          title: 'Outstanding by store and tier',
          columns: ['store', 'tier', 'members', 'points', 'euro'],
          rows: out.map((x) => [s(x.store), s(x.tier), n(x.members), n(x.points), euro(n(x.points))]),
        },
        {
          id: 'flows',
          title: 'Per month',
          columns: ['month', 'earned', 'redeemed', 'expired', 'reversed', 'adjusted'],
          rows: months.map((mo, i) => [mo, flow(M.earned)[i]!, flow(M.redeemed)[i]!, flow(M.expired)[i]!, flow(M.reversed)[i]!, flow(M.adjusted)[i]!]),
        },
        {
          id: 'due',
          title: 'Due to expire',
          columns: ['month', 'points', 'euro'],
          rows: due.map((x) => [s(x.month), Math.max(0, n(x.points)), euro(Math.max(0, n(x.points)))]),
        },
        {
          id: 'breakage',
          title: 'Breakage in the range',
          columns: ['earned', 'redeemed', 'expired', 'breakage (expired / earned)', 'expired / (expired + redeemed)'],
          rows: [[earned, redeemed, expired, earned ? expired / earned : null, expired + redeemed ? expired / (expired + redeemed) : null]],
        },
      ],
    };
  }

  /** Per campaign and group: sums of visited (0/1), spend and basket over the uplift windows. */
  async function upliftRows(f: InsightFilter): Promise<Rows> {
    const r = range(f, 'e', 'assigned_day');
    return q(
      `SELECT x.campaign AS campaign, x.grp AS grp, count(*) AS n, sum(x.visited) AS visited, sum(x.spend) AS spend, sum(x.spend * x.spend) AS spend2,
              sum(CASE WHEN x.sales > 0 THEN 1 ELSE 0 END) AS nb, sum(x.basket) AS basket, sum(x.basket * x.basket) AS basket2
       FROM (
         SELECT e.campaign AS campaign, e.grp AS grp, e.member AS member,
                CASE WHEN coalesce(sum(d.sales), 0) > 0 THEN 1 ELSE 0 END AS visited,
                coalesce(sum(d.spend_cents), 0) AS spend, coalesce(sum(d.sales), 0) AS sales,
                CASE WHEN coalesce(sum(d.sales), 0) > 0 THEN 1.0 * sum(d.spend_cents) / sum(d.sales) ELSE NULL END AS basket
         FROM hq_r_exposure e LEFT JOIN hq_r_member_day d ON d.member = e.member AND d.day >= e.assigned_day AND d.day < e.window_end_day
         WHERE 1 = 1${r.sql}
         GROUP BY e.campaign, e.grp, e.member
       ) x GROUP BY x.campaign, x.grp ORDER BY 1, 2`,
      r.args,
    );
  }

  async function uplift(f: InsightFilter) {
    const rows = await upliftRows(f);
    const campaigns = [...new Set(rows.map((x) => s(x.campaign)))];
    return campaigns.map((campaign) => {
      const g = (grp: string) => rows.find((x) => x.campaign === campaign && x.grp === grp);
      const t = g('treated');
      const c = g('held-back');
      const sums = (x: Record<string, unknown> | undefined, sum: string, sum2: string, count = 'n'): GroupSums => ({
        n: n(x?.[count]),
        sum: n(x?.[sum]),
        sum2: n(x?.[sum2]),
      });
      return {
        campaign,
        treated: n(t?.n),
        heldBack: n(c?.n),
        // visited is 0/1, so its sum of squares is its sum.
        visitRate: meanDiff(sums(t, 'visited', 'visited'), sums(c, 'visited', 'visited')),
        spendCents: meanDiff(sums(t, 'spend', 'spend2'), sums(c, 'spend', 'spend2')),
        basketCents: meanDiff(sums(t, 'basket', 'basket2', 'nb'), sums(c, 'basket', 'basket2', 'nb')),
      };
    });
  }

  async function offers(f: InsightFilter): Promise<InsightView> {
    const r = dailyRange(f, 'd');
    const funnelRows = await q(
      `SELECT d.dim AS campaign, d.metric AS metric, sum(d.n) AS n FROM hq_r_daily d WHERE d.metric LIKE 'offer.%'${r.sql} GROUP BY d.dim, d.metric ORDER BY 1`,
      r.args,
    );
    const steps = ['triggered', 'sent', 'shown', 'opened', 'redeemed', 'held-back'];
    const campaigns = [...new Set(funnelRows.map((x) => s(x.campaign)))];
    const count = (c: string, step: string) => n(funnelRows.find((x) => x.campaign === c && x.metric === M.offer(step))?.n);
    const up = await uplift(f);
    const fmt = (v: number | null, digits = 4) => (v === null ? null : Number(v.toFixed(digits)));
    return {
      id: 'offers',
      title: 'Offers, measured',
      charts: [
        {
          id: 'funnel',
          title: 'Funnel per campaign: triggered → delivered → shown → opened → redeemed',
          kind: 'bar',
          labels: steps.slice(0, 5),
          series: campaigns.map((c) => ({ name: c, values: steps.slice(0, 5).map((st) => count(c, st)) })),
        },
        {
          id: 'uplift',
          title: 'Visit rate, treated vs held back (95% CI of the difference in the table)',
          kind: 'bar',
          labels: up.map((u) => u.campaign),
          series: [
            { name: 'treated', values: up.map((u) => fmt(u.visitRate.treated)) },
            { name: 'held back', values: up.map((u) => fmt(u.visitRate.control)) },
          ],
        },
      ],
      tables: [
        { id: 'funnel', title: 'Funnel', columns: ['campaign', ...steps], rows: campaigns.map((c) => [c, ...steps.map((st) => count(c, st))]) },
        {
          id: 'uplift',
          title: `Uplift in the ${cfg.upliftWindowDays} days from assignment`,
          columns: ['campaign', 'metric', 'treated n', 'held back n', 'treated', 'held back', 'difference', 'CI low', 'CI high', 'relative'],
          rows: up.flatMap((u) =>
            (
              [
                ['visit rate', u.visitRate],
                ['spend (cents)', u.spendCents],
                ['basket (cents)', u.basketCents],
              ] as const
            ).map(([name, d]) => [
              u.campaign,
              name,
              u.treated,
              u.heldBack,
              fmt(d.treated),
              fmt(d.control),
              fmt(d.diff),
              fmt(d.low),
              fmt(d.high),
              fmt(d.relative),
            ]),
          ),
        },
      ],
    };
  }

  async function touchpoints(f: InsightFilter): Promise<InsightView> {
    // One scan of the member-days: a bit per touchpoint (rows.ts TOUCH_BITS), sales beside it.
    const rb = range(f, 'd');
    const names = (Object.keys(TOUCH_BITS) as Touchpoint[]).sort();
    const cols = names.flatMap((t, i) => [
      `sum(CASE WHEN (d.touches & ${TOUCH_BITS[t]}) <> 0 THEN 1 ELSE 0 END) AS t${i}`,
      `sum(CASE WHEN (d.touches & ${TOUCH_BITS[t]}) <> 0 AND d.sales > 0 THEN 1 ELSE 0 END) AS c${i}`,
    ]);
    const sums =
      (
        await q(
          `SELECT sum(CASE WHEN d.sales > 0 THEN 1 ELSE 0 END) AS buying, ${cols.join(', ')} FROM hq_r_member_day d WHERE d.member <> ''${rb.sql}`,
          rb.args,
        )
      )[0] ?? {};
    const buying = n(sums.buying);
    const rows = names.map((t, i) => ({ touchpoint: t, touched: n(sums[`t${i}`]), converted: n(sums[`c${i}`]) })).filter((x) => x.touched > 0);
    return {
      id: 'touchpoints',
      title: 'Touchpoints before a purchase',
      charts: [
        {
          id: 'conversion',
          title: 'Share of member-days with this touchpoint that had a purchase',
          kind: 'bar',
          labels: rows.map((x) => s(x.touchpoint)),
          series: [{ name: 'led to a purchase', values: rows.map((x) => (n(x.touched) ? n(x.converted) / n(x.touched) : null)) }],
        },
      ],
      tables: [
        {
          id: 'touchpoints',
          title: 'Per touchpoint (member-days in the store)',
          columns: ['touchpoint', 'member-days touched', 'with a purchase', 'conversion', 'share of buying member-days'],
          rows: rows.map((x) => [
            s(x.touchpoint),
            n(x.touched),
            n(x.converted),
            n(x.touched) ? n(x.converted) / n(x.touched) : null,
            buying ? n(x.converted) / buying : null,
          ]),
        },
      ],
    };
  }

  async function movement(f: InsightFilter): Promise<InsightView> {
    const r = dailyRange(f, 'c');
    const cells = await q(`SELECT c.dim AS cell, sum(c.n) AS visits, sum(c.amount) AS dwell FROM hq_r_daily c WHERE c.metric = ?${r.sql} GROUP BY c.dim`, [
      M.zone,
      ...r.args,
    ]);
    const paths = await q(`SELECT c.dim AS path, sum(c.n) AS visits FROM hq_r_daily c WHERE c.metric = ?${r.sql} GROUP BY c.dim`, [M.path, ...r.args]);
    const k = cfg.k;
    const members = await membersPerCell(M.zone, f, k);
    const pathMembers = await membersPerCell(M.path, f, k);
    const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const parsed = cells
      .map((x) => {
        const [zone, how] = s(x.cell).split('|');
        const m = members.get(s(x.cell)) ?? 0;
        const ok = m >= k;
        return { zone: zone!, how: Number(how), members: m, visits: ok ? n(x.visits) : null, dwellMin: ok ? Math.round(n(x.dwell) / 6_000) / 10 : null };
      })
      .sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : a.how - b.how));
    const zones = [...new Set(parsed.map((x) => x.zone))];
    const hourLabel = (h: number) => `${DAYS[Math.floor(h / 24)]} ${String(h % 24).padStart(2, '0')}h`;
    const hours = Array.from({ length: 168 }, (_, i) => i);
    const pathRows = paths
      .map((x) => ({ path: s(x.path), visits: n(x.visits), members: pathMembers.get(s(x.path)) ?? 0 }))
      .filter((x) => x.members >= k)
      .sort((a, b) => b.visits - a.visits)
      .slice(0, 15);
    const suppressedPaths = paths.length - paths.filter((x) => (pathMembers.get(s(x.path)) ?? 0) >= k).length;
    return {
      id: 'movement',
      title: 'Movement (consenting members only)',
      charts: [
        {
          id: 'heatmap',
          title: `Visits per zone by hour of the week (cells with fewer than ${k} members suppressed)`,
          kind: 'heatmap',
          labels: hours.map(hourLabel),
          series: zones.map((z) => ({ name: z, values: hours.map((h) => parsed.find((x) => x.zone === z && x.how === h)?.visits ?? null) })),
        },
        {
          id: 'paths',
          title: 'Most common paths between zones',
          kind: 'bar',
          labels: pathRows.map((p) => p.path),
          series: [{ name: 'visits', values: pathRows.map((p) => p.visits) }],
          note: `${suppressedPaths} paths with fewer than ${k} members suppressed`,
        },
      ],
      tables: [
        {
          id: 'heatmap',
          title: 'Zone × hour of week',
          columns: ['zone', 'hour of week', 'visits', 'dwell (min)', 'members (at least)'],
          rows: parsed.map((x) => [x.zone, hourLabel(x.how), x.visits, x.dwellMin, x.members >= k ? x.members : `<${k}`]),
        },
        { id: 'paths', title: 'Paths', columns: ['path', 'visits', 'members (at least)'], rows: pathRows.map((p) => [p.path, p.visits, p.members]) },
      ],
    };
  }

  /**
   * Members per cell of a distinct metric over the range, for the k check: the largest daily
   * count (hq_r_daily `<metric>.members`) is a lower bound, enough for every cell it puts at
   * k or more; the others are counted exactly (count DISTINCT), which is cheap because they
   * are small. Cells at k or more report that lower bound ("at least").
   */
  async function membersPerCell(metric: string, f: InsightFilter, k: number): Promise<Map<string, number>> {
    const r = range(f, 'c');
    const rd = dailyRange(f, 'c');
    // One store: its own daily counts; chain-wide: the chain's (store '').
    const lowerMetric = f.store ? `${metric}.members` : `${metric}.chain.members`;
    const lower = await q(`SELECT c.dim AS dim, max(c.n) AS members FROM hq_r_daily c WHERE c.metric = ?${rd.sql} GROUP BY c.dim`, [lowerMetric, ...rd.args]);
    const out = new Map(lower.map((x) => [s(x.dim), n(x.members)]));
    const small = [...out].filter(([, m]) => m < k).map(([dim]) => dim);
    for (let i = 0; i < small.length; i += 200) {
      const part = small.slice(i, i + 200);
      const exact = await q(
        `SELECT c.dim AS dim, count(DISTINCT c.member) AS members FROM hq_r_distinct c WHERE c.metric = ?${r.sql} AND c.dim IN (${part.map(() => '?').join(', ')}) GROUP BY c.dim`,
        [metric, ...r.args, ...part],
      );
      for (const x of exact) out.set(s(x.dim), n(x.members));
    }
    return out;
  }

  async function members(f: InsightFilter): Promise<InsightView> {
    const inStore = f.store ? ' AND m.member IN (SELECT ms.member FROM hq_r_member_store ms WHERE ms.store = ?)' : '';
    const sargs = f.store ? [f.store] : [];
    // Chain-wide the chain's rows (store ''): one per member and month, no DISTINCT over stores.
    const ra = range(f, 'a', 'day', 'store', true);
    const active = await q(
      `SELECT m.joined_month AS cohort, substr(a.day, 1, 7) AS month, count(*) AS active
       FROM hq_r_distinct a JOIN hq_r_members m ON m.member = a.member WHERE a.metric = ?${ra.sql} GROUP BY m.joined_month, substr(a.day, 1, 7)`,
      [M.active, ...ra.args],
    );
    const sizes = await q(
      `SELECT m.joined_month AS cohort, count(*) AS members FROM hq_r_members m WHERE 1 = 1${inStore} GROUP BY m.joined_month ORDER BY 1`,
      sargs,
    );
    const tiers = await q(
      `SELECT coalesce(m.tier, 'base') AS tier, count(*) AS members FROM hq_r_members m WHERE 1 = 1${inStore} GROUP BY coalesce(m.tier, 'base') ORDER BY 1`,
      sargs,
    );
    const rd = dailyRange(f, 'd');
    const moves = await q(`SELECT d.dim AS move, sum(d.n) AS n FROM hq_r_daily d WHERE d.metric = ?${rd.sql} GROUP BY d.dim ORDER BY 2 DESC`, [
      M.tierMove,
      ...rd.args,
    ]);
    const rfm = await q(
      `SELECT x.segment AS segment, count(*) AS members, avg(x.spend_cents) AS spend, avg(x.sales) AS sales
       FROM (SELECT ${rfmSegmentSql()} AS segment, m.spend_cents AS spend_cents, m.sales AS sales FROM hq_r_members m WHERE 1 = 1${inStore}) x
       GROUP BY x.segment ORDER BY 2 DESC, 1`,
      [...rfmArgs(f.now), ...sargs],
    );
    const monthsBetween = (a: string, b: string) => (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
    const cohorts = sizes.map((x) => s(x.cohort)).filter(Boolean);
    const maxSince = Math.max(0, ...active.map((x) => monthsBetween(s(x.cohort), s(x.month))));
    const since = Array.from({ length: Math.min(maxSince, 23) + 1 }, (_, i) => i);
    const share = (c: string, i: number) => {
      const size = n(sizes.find((x) => x.cohort === c)?.members);
      const a = active.filter((x) => x.cohort === c && monthsBetween(c, s(x.month)) === i).reduce((acc, x) => acc + n(x.active), 0);
      return size ? Math.round((a / size) * 1000) / 1000 : null;
    };
    return {
      id: 'members',
      title: 'Members',
      charts: [
        {
          id: 'cohorts',
          title: 'Share of each join-month cohort active (bought) N months after joining',
          kind: 'line',
          labels: since.map((i) => `month ${i}`),
          series: cohorts.map((c) => ({ name: c, values: since.map((i) => share(c, i)) })),
        },
        {
          id: 'tiers',
          title: 'Tier mix',
          kind: 'bar',
          labels: tiers.map((x) => s(x.tier)),
          series: [{ name: 'members', values: tiers.map((x) => n(x.members)) }],
        },
        {
          id: 'rfm',
          title: 'RFM segments',
          kind: 'bar',
          labels: rfm.map((x) => s(x.segment)),
          series: [{ name: 'members', values: rfm.map((x) => n(x.members)) }],
        },
      ],
      tables: [
        {
          id: 'cohorts',
          title: 'Cohorts (share active)',
          columns: ['cohort', 'members', ...since.map((i) => `month ${i}`)],
          rows: cohorts.map((c) => [c, n(sizes.find((x) => x.cohort === c)?.members), ...since.map((i) => share(c, i))]),
        },
        { id: 'tiers', title: 'Tier mix', columns: ['tier', 'members'], rows: tiers.map((x) => [s(x.tier), n(x.members)]) },
        { id: 'tier-moves', title: 'Tier moves', columns: ['from > to', 'moves'], rows: moves.map((x) => [s(x.move), n(x.n)]) },
        {
          id: 'rfm',
          title: 'RFM segments (publishable as offer audiences)',
          columns: ['segment', 'members', 'avg spend (cents)', 'avg purchases'],
          rows: rfm.map((x) => [s(x.segment), n(x.members), Math.round(n(x.spend)), Math.round(n(x.sales) * 10) / 10]),
        },
      ],
    };
  }

  /** Members of an RFM segment (publishing a segment to stores as an offer audience). */
  async function segmentMembers(segment: string, now: number, limit = 100_000): Promise<string[]> {
    const rows = await q(`SELECT m.member AS member FROM hq_r_members m WHERE ${rfmSegmentSql()} = ? ORDER BY m.member LIMIT ?`, [
      ...rfmArgs(now),
      segment,
      limit,
    ]);
    return rows.map((x) => s(x.member));
  }

  const views = { liability, offers, touchpoints, movement, members } satisfies Record<ViewId, (f: InsightFilter) => Promise<InsightView>>;
  return { view: (id: ViewId, f: InsightFilter) => views[id](f), uplift, segmentMembers };
}
export type Insights = ReturnType<typeof createInsights>;

/**
 * A simple RFM segmentation on fixed thresholds (recency of the last purchase, number of
 * purchases, spend), as one SQL expression so segment membership can be selected by it.
 * Parameters: rfmArgs(now).
 */
export const RFM_SEGMENTS = ['champions', 'loyal', 'new', 'at-risk', 'lost', 'regular', 'never-bought'] as const;
const DAY = 86_400_000;
export function rfmSegmentSql(): string {
  return `CASE
    WHEN m.last_sale_ms IS NULL THEN 'never-bought'
    WHEN m.last_sale_ms >= ? AND m.sales >= 8 AND m.spend_cents >= 20000 THEN 'champions'
    WHEN m.last_sale_ms >= ? AND m.sales >= 3 THEN 'loyal'
    WHEN m.last_sale_ms >= ? AND m.sales < 3 THEN 'new'
    WHEN m.sales >= 3 THEN 'at-risk'
    WHEN m.last_sale_ms < ? THEN 'lost'
    ELSE 'regular' END`;
}
export const rfmArgs = (now: number): number[] => [now - 14 * DAY, now - 30 * DAY, now - 30 * DAY, now - 60 * DAY];
