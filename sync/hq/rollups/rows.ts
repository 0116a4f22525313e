/**
 * The rollup tables' rows, and how two deltas for one key merge. Every merge is commutative
 * and associative (sums, least, greatest, "the value with the later time"), so the order in
 * which events arrive, and how N ingest processes split them, changes nothing; the ingest
 * applies an event's delta only when the event is new, so a redelivery changes nothing.
 * The SQL upserts (write-sqlite.ts, write-pg.ts) merge the same way as `merge*` here.
 */

/** Additive cube: per store, local day, metric and one free dimension. */
export interface DailyRow {
  store: string;
  day: string;
  metric: string;
  dim: string;
  n: number;
  amount: number;
}
/** Who was in a cell (k-anonymity, distinct members); no counters. */
export interface DistinctRow {
  store: string;
  day: string;
  metric: string;
  dim: string;
  member: string;
}
/** One member's state chain-wide (tier, recency, frequency, monetary). */
export interface MemberRow {
  member: string;
  joinedMs: number | null;
  joinedMonth: string | null;
  firstStore: string | null;
  tier: string | null;
  tierAt: number | null;
  lastSaleMs: number | null;
  sales: number;
  spendCents: number;
  points: number;
}
/** A member's points, sales and spend at one store (liability by store and tier). */
export interface MemberStoreRow {
  member: string;
  store: string;
  points: number;
  sales: number;
  spendCents: number;
}
/**
 * A member's sales and spend on one local day at one store (uplift windows), and the
 * touchpoints they had there that day: a bit per touchpoint (TOUCH_BITS), merged by OR
 * (commutative, associative and idempotent, like the sums), so touchpoints and their
 * conversion are one scan of this table, no join.
 */
export interface MemberDayRow {
  member: string;
  day: string;
  store: string;
  sales: number;
  spendCents: number;
  touches: number;
}

/** Touchpoint → its bit in hq_r_member_day.touches. */
export const TOUCH_BITS = { 'card-at-till': 1, 'kiosk-tap': 2, 'offer-opened': 4, 'zone-visit': 8 } as const;
export type Touchpoint = keyof typeof TOUCH_BITS;
/** A member's assignment in a campaign: sent the offer (treated) or held back (control). The earliest counts. */
export interface ExposureRow {
  campaign: string;
  member: string;
  grp: 'treated' | 'held-back';
  store: string;
  assignedMs: number;
  assignedDay: string;
  windowEndDay: string;
}

const least = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const greatest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export function mergeMember(a: MemberRow, b: MemberRow): MemberRow {
  const bJoinedFirst = b.joinedMs !== null && (a.joinedMs === null || b.joinedMs < a.joinedMs);
  const bTierLater = b.tierAt !== null && (a.tierAt === null || b.tierAt > a.tierAt);
  return {
    member: a.member,
    joinedMs: least(a.joinedMs, b.joinedMs),
    joinedMonth: bJoinedFirst ? b.joinedMonth : a.joinedMonth,
    firstStore: bJoinedFirst ? b.firstStore : a.firstStore,
    tier: bTierLater ? b.tier : a.tier,
    tierAt: greatest(a.tierAt, b.tierAt),
    lastSaleMs: greatest(a.lastSaleMs, b.lastSaleMs),
    sales: a.sales + b.sales,
    spendCents: a.spendCents + b.spendCents,
    points: a.points + b.points,
  };
}

export const mergeExposure = (a: ExposureRow, b: ExposureRow): ExposureRow => (b.assignedMs < a.assignedMs ? b : a);

/** One batch's deltas, keyed as the tables are. */
export class RollupDelta {
  readonly daily = new Map<string, DailyRow>();
  readonly distinct = new Map<string, DistinctRow>();
  readonly members = new Map<string, MemberRow>();
  readonly memberStore = new Map<string, MemberStoreRow>();
  readonly memberDay = new Map<string, MemberDayRow>();
  readonly exposure = new Map<string, ExposureRow>();

  addDaily(store: string, day: string, metric: string, dim: string, n: number, amount: number): void {
    const k = `${store}\u0000${day}\u0000${metric}\u0000${dim}`;
    const r = this.daily.get(k);
    if (r) {
      r.n += n;
      r.amount += amount;
    } else this.daily.set(k, { store, day, metric, dim, n, amount });
  }

  addDistinct(store: string, day: string, metric: string, dim: string, member: string): void {
    this.distinct.set(`${store}\u0000${day}\u0000${metric}\u0000${dim}\u0000${member}`, { store, day, metric, dim, member });
  }

  addMember(row: Partial<MemberRow> & { member: string }): void {
    const full: MemberRow = {
      joinedMs: null,
      joinedMonth: null,
      firstStore: null,
      tier: null,
      tierAt: null,
      lastSaleMs: null,
      sales: 0,
      spendCents: 0,
      points: 0,
      ...row,
    };
    const r = this.members.get(row.member);
    this.members.set(row.member, r ? mergeMember(r, full) : full);
  }

  addMemberStore(member: string, store: string, points: number, sales: number, spendCents: number): void {
    const k = `${member}\u0000${store}`;
    const r = this.memberStore.get(k);
    if (r) {
      r.points += points;
      r.sales += sales;
      r.spendCents += spendCents;
    } else this.memberStore.set(k, { member, store, points, sales, spendCents });
  }

  addMemberDay(member: string, day: string, store: string, sales: number, spendCents: number, touches = 0): void {
    const k = `${member}\u0000${day}\u0000${store}`;
    const r = this.memberDay.get(k);
    if (r) {
      r.sales += sales;
      r.spendCents += spendCents;
      r.touches |= touches;
    } else this.memberDay.set(k, { member, day, store, sales, spendCents, touches });
  }

  addExposure(row: ExposureRow): void {
    const k = `${row.campaign}\u0000${row.member}`;
    const r = this.exposure.get(k);
    this.exposure.set(k, r ? mergeExposure(r, row) : row);
  }

  get empty(): boolean {
    return this.daily.size + this.distinct.size + this.members.size + this.memberStore.size + this.memberDay.size + this.exposure.size === 0;
  }
}
