/**
 * What the till shows about a member. Tiers are not configured yet (EarningRulesConfig has
 * no tier section), so every member is `standard` until tier rules exist.
 */
import type { MemberView } from '../till/messages';

export const DEFAULT_TIER = 'standard';

export function tierFor(_balance: number): string {
  return DEFAULT_TIER;
}

export const memberView = (m: { number: string; name: string; balance: number }): MemberView => ({
  number: m.number,
  name: m.name,
  balance: m.balance,
  tier: tierFor(m.balance),
});
