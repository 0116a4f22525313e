/**
 * `program:` in the gateway config (issue 6): tiers, expiry notices, the rewards catalogue,
 * points as tender, the offline spending budget and earning without buying. Every field has
 * a default, so the demo runs without a `program` section: three tiers, no rewards.
 * Pushed by HQ later; until then it comes from this file. See docs/loyalty.md.
 */
import { Type, type Static } from '@sinclair/typebox';

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (store-local)' });

export const TierLevel = Type.Object(
  {
    id: Name,
    /** Shown at the till and the kiosk. */
    name: Type.String({ minLength: 1, maxLength: 40 }),
    /** Qualifying total (points or cents, see `basis`) needed in the period; the lowest tier has 0. */
    threshold: Type.Integer({ minimum: 0 }),
    /** Earning multiplier of this tier (1.25 = 25 % more points). */
    multiplier: Type.Number({ minimum: 0, maximum: 10, default: 1 }),
    /** Free-text benefits the till and kiosk show ("free coffee", "priority lane"). */
    benefits: Type.Array(Type.String({ minLength: 1, maxLength: 80 }), { default: [] }),
  },
  { additionalProperties: false },
);
export type TierLevel = Static<typeof TierLevel>;

export const TiersConfig = Type.Object(
  {
    /** Lowest first; thresholds strictly ascending, the first one 0. */
    levels: Type.Array(TierLevel, {
      minItems: 1,
      maxItems: 10,
      default: [
        { id: 'brons', name: 'Brons', threshold: 0, multiplier: 1, benefits: [] },
        { id: 'zilver', name: 'Zilver', threshold: 500, multiplier: 1.25, benefits: [] },
        { id: 'goud', name: 'Goud', threshold: 2000, multiplier: 1.5, benefits: [] },
      ],
    }),
    /** What qualifies: points awarded (net of reversals) or eligible spend in cents (net of refunds). */
    basis: Type.Union([Type.Literal('points'), Type.Literal('spend')], { default: 'points' }),
    /**
     * `calendar`: periods of `periodMonths` months from 1 January (12 = calendar year).
     * `rolling`: the current month and the `periodMonths − 1` before it, reviewed monthly.
     */
    period: Type.Union([Type.Literal('calendar'), Type.Literal('rolling')], { default: 'calendar' }),
    periodMonths: Type.Union(
      [1, 2, 3, 4, 6, 12].map((n) => Type.Literal(n)),
      { default: 12 },
    ),
    /** A downgrade due at a period end takes effect this many days later. */
    graceDays: Type.Integer({ minimum: 0, maximum: 366, default: 30 }),
  },
  { additionalProperties: false, default: {} },
);
export type TiersConfig = Static<typeof TiersConfig>;

export const RewardConfig = Type.Object(
  {
    id: Name,
    name: Type.String({ minLength: 1, maxLength: 80 }),
    /** Points a member pays for the voucher. */
    points: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    /** The catalogue offers the reward on these store-local dates (inclusive); absent: always. */
    from: Type.Optional(IsoDate),
    to: Type.Optional(IsoDate),
    /** Vouchers this store may issue in total; absent: unlimited. Cancelled vouchers give it back. */
    stock: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Days an issued voucher stays valid (expires at the start of the day after). */
    voucherDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
    /** What the till should take off, if the reward is money off (informative for the till). */
    valueCents: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type RewardConfig = Static<typeof RewardConfig>;

/** An in-store event held in a presence zone (issue 6: earning without buying). */
export const EventBonus = Type.Object(
  {
    id: Name,
    name: Type.String({ minLength: 1, maxLength: 80 }),
    /** Presence zone id where the event takes place. */
    zone: Type.String({ minLength: 1, maxLength: 64 }),
    /** Store-local dates the event runs (inclusive); absent: open-ended. */
    from: Type.Optional(IsoDate),
    to: Type.Optional(IsoDate),
    /** Dwell in the zone needed to count as attending. */
    minDwellMinutes: Type.Integer({ minimum: 0, maximum: 24 * 60, default: 10 }),
    points: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Awards of this event per member per store-local day. */
    perDay: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    /** Awards of this event per member per calendar period of `periodMonths` months. */
    perPeriod: Type.Integer({ minimum: 1, maximum: 10_000, default: 4 }),
    periodMonths: Type.Union(
      [1, 2, 3, 4, 6, 12].map((n) => Type.Literal(n)),
      { default: 1 },
    ),
  },
  { additionalProperties: false },
);
export type EventBonus = Static<typeof EventBonus>;

export const ProgramConfig = Type.Object(
  {
    tiers: TiersConfig,
    expiry: Type.Object(
      {
        /** "Expiring soon" for the kiosk and phones: lots expiring within this many days. */
        soonDays: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
        /** `trouw.points.expiring.v1` is sent once per lot this many days before it expires. */
        noticeDays: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    rewards: Type.Array(RewardConfig, { default: [] }),
    tender: Type.Object(
      {
        /** Points that pay one euro at the till (100 → 1 point per cent). 0 disables points as tender. */
        pointsPerEuro: Type.Integer({ minimum: 0, maximum: 100_000, default: 100 }),
      },
      { additionalProperties: false, default: {} },
    ),
    offline: Type.Object(
      {
        /** Most points one member may spend in this store per store-local day (vouchers and tender). */
        dailySpendCap: Type.Integer({ minimum: 0, default: 5000 }),
        /**
         * A member with no HQ snapshot yet: `local` lets them spend their local balance (a store
         * that never synced is its own truth), `refuse` allows no spending until HQ confirms.
         */
        withoutSnapshot: Type.Union([Type.Literal('local'), Type.Literal('refuse')], { default: 'local' }),
      },
      { additionalProperties: false, default: {} },
    ),
    pending: Type.Object(
      {
        /**
         * Points of a sale become spendable this many days after the sale's date (the return
         * window); a refund inside the window cancels them before they could be spent. 0: off.
         */
        returnDays: Type.Integer({ minimum: 0, maximum: 365, default: 0 }),
      },
      { additionalProperties: false, default: {} },
    ),
    bonuses: Type.Object(
      {
        /** Points for the first store visit of a store-local day (presence or kiosk); 0: off. */
        visitPoints: Type.Integer({ minimum: 0, default: 0 }),
        /** Most visit bonuses per member per calendar month. */
        visitMonthlyCap: Type.Integer({ minimum: 0, default: 8 }),
        /** Lifetime of bonus points, in months. */
        expiryMonths: Type.Integer({ minimum: 1, maximum: 120, default: 12 }),
        /** Points when a member joins (once per member); 0: off. */
        joinPoints: Type.Integer({ minimum: 0, default: 0 }),
        /** Points on the member's birthday (`member_program.birthday`, MM-DD), once a year; 0: off. */
        birthdayPoints: Type.Integer({ minimum: 0, default: 0 }),
        /** The daily job still awards a birthday this many days late (after a power-off). */
        birthdayGraceDays: Type.Integer({ minimum: 0, maximum: 31, default: 7 }),
        /** In-store events: dwelling in the zone while the event runs earns points. */
        events: Type.Array(EventBonus, { default: [] }),
        /** All bonus points together (visit, join, birthday, events): most per member per store-local day; 0: no cap. */
        maxPointsPerDay: Type.Integer({ minimum: 0, default: 0 }),
        /** … and per calendar period of `capPeriodMonths` months from 1 January; 0: no cap. */
        maxPointsPerPeriod: Type.Integer({ minimum: 0, default: 0 }),
        capPeriodMonths: Type.Union(
          [1, 2, 3, 4, 6, 12].map((n) => Type.Literal(n)),
          { default: 1 },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type ProgramConfig = Static<typeof ProgramConfig>;

/** Checks a schema cannot express; each problem names its key. */
export function programProblems(p: ProgramConfig): { key: string; value: unknown; expected: string }[] {
  const out: { key: string; value: unknown; expected: string }[] = [];
  const levels = p.tiers.levels;
  if (levels[0] && levels[0].threshold !== 0)
    out.push({ key: 'program.tiers.levels.0.threshold', value: levels[0].threshold, expected: '0 (the lowest tier)' });
  levels.forEach((l, i) => {
    if (i > 0 && l.threshold <= levels[i - 1]!.threshold) {
      out.push({ key: `program.tiers.levels.${i}.threshold`, value: l.threshold, expected: `more than ${levels[i - 1]!.threshold}` });
    }
  });
  const seen = new Set<string>();
  p.rewards.forEach((r, i) => {
    if (seen.has(r.id)) out.push({ key: `program.rewards.${i}.id`, value: r.id, expected: 'a unique reward id' });
    seen.add(r.id);
    if (r.from && r.to && r.to < r.from) out.push({ key: `program.rewards.${i}.to`, value: r.to, expected: `a date on or after "from" (${r.from})` });
  });
  const events = new Set<string>();
  p.bonuses.events.forEach((e, i) => {
    if (events.has(e.id)) out.push({ key: `program.bonuses.events.${i}.id`, value: e.id, expected: 'a unique event id' });
    events.add(e.id);
    if (e.from && e.to && e.to < e.from) out.push({ key: `program.bonuses.events.${i}.to`, value: e.to, expected: `a date on or after "from" (${e.from})` });
  });
  return out;
}
