/**
 * The rewards catalogue (config), pure: whether a reward can be had today, and a voucher's
 * state on a date. A voucher is valid through `validUntil` (store-local, inclusive).
 */
import type { RewardConfig } from '../../config/loyalty-program-schema';
import { addDays } from '../loyalty/dates';
import { err, ok, type Result } from '../result';
import type { IsoDate } from '../time/calendar';

export type RewardRefusal = { code: 'unknown-reward'; message: string } | { code: 'not-offered'; message: string } | { code: 'out-of-stock'; message: string };

export function rewardAvailable(reward: RewardConfig | undefined, today: IsoDate, issued: number): Result<RewardConfig, RewardRefusal> {
  if (!reward) return err({ code: 'unknown-reward', message: "no such reward in this store's catalogue" });
  if ((reward.from !== undefined && today < reward.from) || (reward.to !== undefined && today > reward.to)) {
    return err({ code: 'not-offered', message: `reward ${reward.id} is not offered on ${today}` });
  }
  if (reward.stock !== undefined && issued >= reward.stock) return err({ code: 'out-of-stock', message: `reward ${reward.id} is out of stock here` });
  return ok(reward);
}

/** Last valid day of a voucher issued on `today`. */
export const voucherValidUntil = (reward: RewardConfig, today: IsoDate): IsoDate => addDays(today, reward.voucherDays - 1);

export type VoucherStatus = 'issued' | 'redeemed' | 'cancelled';

export type VoucherRefusal =
  | { code: 'unknown-voucher'; message: string }
  | { code: 'already-redeemed'; message: string }
  | { code: 'cancelled'; message: string }
  | { code: 'expired'; message: string };

/** Whether a voucher in `status`, valid through `validUntil`, may be used (redeemed or cancelled) on `today`. */
export function voucherUsable(v: { status: VoucherStatus; validUntil: IsoDate } | undefined, today: IsoDate): Result<true, VoucherRefusal> {
  if (!v) return err({ code: 'unknown-voucher', message: 'no such voucher was issued here' });
  if (v.status === 'redeemed') return err({ code: 'already-redeemed', message: 'this voucher was already used' });
  if (v.status === 'cancelled') return err({ code: 'cancelled', message: 'this voucher was cancelled' });
  if (today > v.validUntil) return err({ code: 'expired', message: `this voucher expired after ${v.validUntil}` });
  return ok(true);
}
