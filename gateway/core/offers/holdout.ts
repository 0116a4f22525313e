/**
 * The control group (issue 17): a campaign holds back a share of the members who would get
 * its offer, so HQ can compare them with those who got it (uplift). Who is held back is a
 * hash of campaign and member number, not a coin flip: the same member stays in the same
 * group for the campaign in every store and after every restart, with no state to keep,
 * and a different campaign draws its own, independent group.
 */

/** FNV-1a, 32 bits: small, pure, and spreads short similar strings (M-1, M-2, ...) well. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3 fmix32): FNV's low bits alone are weak for sequential ids.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where the member falls in [0, 1) for this campaign. */
export const holdoutDraw = (campaign: string, member: string): number => fnv1a32(`${campaign}\u0000${member}`) / 2 ** 32;

/** Whether the member is in the campaign's control group (`share` in [0, 1); 0: nobody). */
export const isHeldBack = (campaign: string, member: string, share: number): boolean => share > 0 && holdoutDraw(campaign, member) < share;
