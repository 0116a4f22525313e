/**
 * What a held offer is worth on a basket: the discount preview the till shows and the sale
 * records. Lines match on SKU or category (no lists: every line). Percent discounts round
 * down to whole cents; fixed ones never exceed the matching amount.
 */
import type { OfferReward } from './types';

export interface BasketLine {
  readonly sku: string;
  readonly category: string;
  readonly amountCents: number;
}

export interface OfferValue {
  /** The basket qualifies (matching lines, minimum spend). */
  readonly applies: boolean;
  readonly discountCents: number;
  readonly points: number;
  readonly rewardId?: string;
}

const matches = (r: { categories?: readonly string[]; skus?: readonly string[] }, l: BasketLine): boolean => {
  const cats = r.categories ?? [];
  const skus = r.skus ?? [];
  if (cats.length === 0 && skus.length === 0) return true;
  return cats.includes(l.category) || skus.includes(l.sku);
};

export function valueOn(reward: OfferReward, lines: readonly BasketLine[]): OfferValue {
  const matching = lines.filter((l) => matches(reward, l)).reduce((a, l) => a + l.amountCents, 0);
  const hasLine = lines.some((l) => matches(reward, l));
  if (!hasLine || matching < (reward.minSpendCents ?? 0)) return { applies: false, discountCents: 0, points: 0 };
  switch (reward.kind) {
    case 'discount': {
      const fixed = reward.cents !== undefined ? Math.min(reward.cents, matching) : 0;
      const pct = reward.percent !== undefined ? Math.floor((matching * reward.percent) / 100) : 0;
      return { applies: true, discountCents: Math.min(matching, Math.max(fixed, pct)), points: 0 };
    }
    case 'points':
      return { applies: true, discountCents: 0, points: reward.points };
    case 'voucher':
      return { applies: true, discountCents: 0, points: 0, rewardId: reward.rewardId };
  }
}
