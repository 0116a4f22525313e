/**
 * Adapts the rewards service (app/loyalty/rewards.ts) to the kiosk: the catalogue items available
 * today that the member's balance covers, and redeeming one for a voucher (its display form,
 * `XXXXX-XXXXX-C`, which the till accepts). Not yet idempotent per screen request: a second
 * press issues a second voucher (the screen shows each code it gets).
 */
import type { KioskRewards } from './kiosk-view';
import type { Rewards } from '../loyalty/rewards';

export function kioskRewardsFrom(rewards: Rewards): KioskRewards {
  return {
    affordable: (member) =>
      rewards.catalogue()
        .filter((c) => c.available && c.reward.points <= member.balance)
        .map((c) => ({ id: c.reward.id, name: c.reward.name, points: c.reward.points })),
    redeem: (member, rewardId) => {
      const r = rewards.redeemReward(member.number, rewardId);
      return r.ok ? { ok: true, code: r.value.display, balance: r.value.balance } : { ok: false, code: r.error.code, message: r.error.message };
    },
  };
}
