/**
 * The loyalty program's events (issue 6), registered with the shared schema registry so HQ
 * validates them and the AsyncAPI document lists them. All are business events (never
 * dropped). `pointsDelta` is the signed change each records, so HQ's running balance per
 * member stays the sum of what stores report: a voucher's burn and its cancel, a points
 * tender, a bonus. Tier changes and expiry notices change no points.
 */
import { Type } from '@sinclair/typebox';
import { Priority, registerEvent } from '../../../sync/schemas/events';

const MemberNumber = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' });
const MemberId = Type.String({ minLength: 1, maxLength: 64 });
const Points = Type.Integer({ minimum: 0, maximum: 100_000_000 });
const Day = Type.String({ maxLength: 10 });
const who = { memberId: MemberId, memberNumber: MemberNumber };
const open = <P extends Parameters<typeof Type.Object>[0]>(props: P, description: string) =>
  Type.Object(props, { additionalProperties: true, description });
const memberOf = (d: { memberNumber?: string }) => d.memberNumber;

export const POINTS_EXPIRING = 'trouw.points.expiring.v1';
export const TIER_CHANGED = 'trouw.member.tier-changed.v1';
export const VOUCHER_ISSUED = 'trouw.voucher.issued.v1';
export const VOUCHER_REDEEMED = 'trouw.voucher.redeemed.v1';
export const VOUCHER_CANCELLED = 'trouw.voucher.cancelled.v1';
export const POINTS_SPENT = 'trouw.points.spent.v1';
export const POINTS_BONUS = 'trouw.points.bonus.v1';

registerEvent({
  type: POINTS_EXPIRING,
  summary: 'A lot of points expires soon (sent once per lot, `program.expiry.noticeDays` ahead) so HQ can warn the member.',
  priority: Priority.business,
  data: open({ ...who, lotId: Type.String({ maxLength: 64 }), expiresOn: Day, points: Points }, 'points.expiring: lot, date, points'),
  member: memberOf,
});

registerEvent({
  type: TIER_CHANGED,
  summary: 'A member\'s tier changed (upgrade at once, downgrade at a review after grace).',
  priority: Priority.business,
  data: open(
    { ...who, from: Type.String({ maxLength: 64 }), to: Type.String({ maxLength: 64 }), direction: Type.Union([Type.Literal('up'), Type.Literal('down')]), on: Day },
    'member.tier-changed: from, to, date',
  ),
  member: memberOf,
});

const voucher = {
  ...who,
  code: Type.String({ minLength: 11, maxLength: 11 }),
  rewardId: Type.String({ maxLength: 64 }),
  points: Points,
};

registerEvent({
  type: VOUCHER_ISSUED,
  summary: 'A member bought a reward with points; a voucher was issued (points burnt).',
  priority: Priority.business,
  data: open({ ...voucher, validUntil: Day, balance: Type.Integer() }, 'voucher.issued: code, reward, points burnt'),
  member: memberOf,
  pointsDelta: (d) => -d.points,
});

registerEvent({
  type: VOUCHER_REDEEMED,
  summary: 'A voucher was accepted at a till (once).',
  priority: Priority.business,
  data: open({ ...voucher, lane: Type.String({ maxLength: 64 }) }, 'voucher.redeemed: code, lane'),
  member: memberOf,
});

registerEvent({
  type: VOUCHER_CANCELLED,
  summary: 'An unused voucher was cancelled; its points were given back.',
  priority: Priority.business,
  data: open({ ...voucher, balance: Type.Integer() }, 'voucher.cancelled: code, points refunded'),
  member: memberOf,
  pointsDelta: (d) => d.points,
});

registerEvent({
  type: POINTS_SPENT,
  summary: 'Points paid (part of) a sale at the till.',
  priority: Priority.business,
  data: open({ ...who, receipt: Type.String({ maxLength: 64 }), points: Points, amountCents: Points, balance: Type.Integer() }, 'points.spent: tender'),
  member: memberOf,
  pointsDelta: (d) => -d.points,
});

registerEvent({
  type: POINTS_BONUS,
  summary: 'Points earned without buying (store visit, join, birthday, event).',
  priority: Priority.business,
  data: open({ ...who, kind: Type.String({ maxLength: 32 }), points: Points, balance: Type.Integer() }, 'points.bonus: kind, points'),
  member: memberOf,
  pointsDelta: (d) => d.points,
});
