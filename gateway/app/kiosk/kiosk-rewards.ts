/**
 * Adapts the rewards service (app/loyalty/rewards.ts) to the kiosk: the catalogue items available
 * today that the member's balance covers, and redeeming one for a voucher (its display form,
 * `XXXXX-XXXXX-C`, which the till accepts). Idempotent per screen request: the screen's
 * `requestKey` (scoped by the routes to the kiosk) gives a retried press the same voucher.
 */
import type { KioskRewards } from './kiosk-view';
import type { Rewards } from '../loyalty/rewards';

export function kioskRewardsFrom(rewards: Rewards): KioskRewards {
  return {
    affordable: (member) =>
      rewards
        .catalogue()
        .filter((c) => c.available && c.reward.points <= member.balance)
        .map((c) => ({ id: c.reward.id, name: c.reward.name, points: c.reward.points })),
    redeem: (member, rewardId, requestKey) => {
      const r = rewards.redeemReward(member.number, rewardId, requestKey);
      return r.ok ? { ok: true, code: r.value.display, balance: r.value.balance } : { ok: false, code: r.error.code, message: r.error.message };
    },
  };
}
