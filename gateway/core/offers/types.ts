/**
 * Offers (issue 8): what an offer is, what triggers it, who may get it and what it gives.
 * Plain values: the config schema (config/offers-schema.ts) produces these shapes, and HQ
 * will push the same later. Times of day are store-local "HH:MM"; dates store-local
 * "YYYY-MM-DD"; instants epoch ms.
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A span of the day, store-local; `to` before `from` wraps past midnight (22:00–06:00). */
export interface DayPart {
  readonly from: string;
  readonly to: string;
}

export type OfferTrigger =
  | { readonly kind: 'zone-entered'; readonly zone: string }
  | { readonly kind: 'dwell'; readonly zone: string; readonly seconds: number }
  | { readonly kind: 'visit-started' }
  /** The zones entered in this order during one visit (other zones between are allowed). */
  | { readonly kind: 'sequence'; readonly zones: readonly string[] };

export interface OfferWindow {
  readonly days?: readonly Weekday[];
  readonly dayParts?: readonly DayPart[];
  /** Inclusive store-local dates. */
  readonly from?: string;
  readonly to?: string;
}

export interface OfferAudience {
  /** Any of these tiers. */
  readonly tiers?: readonly string[];
  /** At least one of these segment tags. */
  readonly segments?: readonly string[];
  /** `new`: joined less than `newMemberDays` ago (caps config); `returning`: the others. */
  readonly member?: 'new' | 'returning';
  /** Joined in one of these store-local months (YYYY-MM). */
  readonly joinedMonths?: readonly string[];
  /** Has not bought this category (per the local ledger) in the last `days` days. */
  readonly notBought?: { readonly category: string; readonly days: number };
}

export interface Localised {
  readonly nl: string;
  readonly en: string;
}

export type OfferReward =
  /** Money off matching lines at the till: fixed cents (at most the matching amount) or a percentage. */
  | {
      readonly kind: 'discount';
      readonly cents?: number;
      readonly percent?: number;
      readonly categories?: readonly string[];
      readonly skus?: readonly string[];
      /** Matching lines must add up to at least this. */
      readonly minSpendCents?: number;
    }
  /** Bonus points credited with the sale that redeems it. */
  | {
      readonly kind: 'points';
      readonly points: number;
      readonly categories?: readonly string[];
      readonly skus?: readonly string[];
      readonly minSpendCents?: number;
    }
  /** A catalogue reward (program.rewards id) the till hands out; `valueCents` informative. */
  | {
      readonly kind: 'voucher';
      readonly rewardId: string;
      readonly valueCents?: number;
      readonly categories?: readonly string[];
      readonly skus?: readonly string[];
      readonly minSpendCents?: number;
    };

export interface OfferDefinition {
  readonly id: string;
  /** Per-campaign caps count across all offers of one campaign (default: the offer id). */
  readonly campaign: string;
  /** Higher wins when several offers match one trigger. */
  readonly priority: number;
  readonly enabled: boolean;
  readonly trigger: OfferTrigger;
  readonly window: OfferWindow;
  readonly audience: OfferAudience;
  readonly title: Localised;
  readonly body?: Localised;
  readonly reward: OfferReward;
  /** How long a sent offer can be redeemed. */
  readonly validMinutes: number;
  /** Most sends of this campaign to one member, ever. */
  readonly perMember: number;
  /**
   * Share of the members who would get this offer that are held back as the campaign's
   * control group (0 to 0.5; 0 or absent: none). Stable per member and campaign (holdout.ts).
   * Offers of one campaign should use the same share: the group is drawn per campaign.
   */
  readonly holdout?: number;
}

export interface OfferCaps {
  /** Most offers to one member per store-local day. */
  readonly perMemberPerDay: number;
  /** Least time between any two offers to one member. */
  readonly minGapSeconds: number;
  /** Store-wide: at most `storeRate.max` offers in any `storeRate.perSeconds` seconds. */
  readonly storeRate: { readonly max: number; readonly perSeconds: number };
  /** No offer is sent in these store-local spans. */
  readonly quietHours: readonly DayPart[];
  /** A member who joined less than this many days ago is `new`. */
  readonly newMemberDays: number;
}

/** What the gateway knows of a member when deciding (all given, nothing looked up). */
export interface MemberFacts {
  readonly number: string;
  /** The member allowed offers (and has not withdrawn). */
  readonly consent: boolean;
  readonly tier: string;
  readonly segments: readonly string[];
  readonly joinedAt: number;
  /** Last purchase instant per category, for the categories offers ask about; null: never (locally). */
  readonly lastBought: Readonly<Record<string, number | null>>;
}

/** A trigger that happened (core/offers/triggers.ts turns presence events into these). */
export interface TriggerEvent {
  readonly kind: OfferTrigger['kind'];
  readonly member: string;
  readonly visitId: string;
  readonly at: number;
  readonly zone?: string;
  /** dwell: the threshold reached. */
  readonly seconds?: number;
  /** sequence: the zones of the matched sequence. */
  readonly zones?: readonly string[];
}

/** One offer sent to one member (the history caps are counted on). */
export interface SendRecord {
  readonly member: string;
  readonly offerId: string;
  readonly campaign: string;
  readonly at: number;
}
