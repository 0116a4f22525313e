/**
 * Points lots: each earning is a lot with an expiry date; spending and reversals take from
 * lots, expiry removes what is left of a lot on its date. Σ remaining over a member's lots
 * is the member's balance.
 *
 * Expiry date = the sale's store-local date + expiryMonths, clamped to the end of the month
 * (2024-01-31 + 1 month → 2024-02-29). Points are spendable before that date and expire ON
 * it: the expiry run on date D expires lots with expiresOn ≤ D.
 */
import { addMonths, type IsoDate } from '../time/calendar';

export interface Lot {
  readonly id: string;
  readonly remaining: number;
  readonly expiresOn: IsoDate;
  /** The sale that earned the lot, if any. */
  readonly saleId?: number | null;
}

export interface LotTake {
  readonly lotId: string;
  readonly take: number;
  /** Remaining in the lot after the take. */
  readonly remaining: number;
}

export const lotExpiry = (saleDate: IsoDate, expiryMonths: number): IsoDate => addMonths(saleDate, expiryMonths);

const byExpiry = (a: Lot, b: Lot) => (a.expiresOn === b.expiresOn ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.expiresOn < b.expiresOn ? -1 : 1);

/**
 * Takes `amount` points from lots: lots of `preferSaleId` first (a reversal gives back the
 * sale's own points before touching others), then oldest-expiring first (ties by id).
 * Takes at most what the lots hold; `taken` says how much that was.
 */
export function takeFromLots(lots: readonly Lot[], amount: number, preferSaleId?: number | null): { takes: LotTake[]; taken: number } {
  const open = lots.filter((l) => l.remaining > 0);
  const preferred = preferSaleId == null ? [] : open.filter((l) => l.saleId === preferSaleId).sort(byExpiry);
  const rest = open.filter((l) => !preferred.includes(l)).sort(byExpiry);
  const takes: LotTake[] = [];
  let left = amount;
  for (const lot of [...preferred, ...rest]) {
    if (left <= 0) break;
    const take = Math.min(left, lot.remaining);
    takes.push({ lotId: lot.id, take, remaining: lot.remaining - take });
    left -= take;
  }
  return { takes, taken: amount - left };
}

/** Lots that expire on or before `today` and still hold points. */
export const lotsDue = <L extends Lot>(lots: readonly L[], today: IsoDate): L[] => lots.filter((l) => l.remaining > 0 && l.expiresOn <= today);
