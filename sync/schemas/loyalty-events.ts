/**
 * The loyalty program's events (gateway/app/loyalty/, and the till's points tender and voucher
 * redemption). All are business events (never dropped). `pointsDelta` is the signed change
 * each records, so HQ's running balance per member stays the sum of what stores report: an
 * expired lot, a voucher's burn and its cancel, a points tender, a bonus. Tier changes and
 * expiry notices change no points.
 */
import { Type } from '@sinclair/typebox';
import { Priority, defineEvent } from './define-event';
import { Day, MemberId, MemberNumber, Points, memberOf, open, opt, who } from './fields';

export const PointsExpired = defineEvent({
  type: 'trouw.points.expired.v1',
  summary: 'A lot of points reached its expiry date; what it still held is gone.',
  priority: Priority.business,
  data: open(
    {
      ...who,
      memberId: MemberId,
      lotId: Type.Optional(Type.String({ maxLength: 64 })),
      expiresOn: Type.Optional(Type.String({ maxLength: 10 })),
      points: Points,
      balance: opt(Type.Integer()),
    },
    'points.expired: points taken off',
  ),
  member: memberOf,
  pointsDelta: (d) => -d.points,
});

/** The program's events always know both the gateway's member id and the member number. */
const member = { memberId: MemberId, memberNumber: MemberNumber };
const numberOf = (d: { memberNumber?: string }) => d.memberNumber;

export const PointsExpiring = defineEvent({
  type: 'trouw.points.expiring.v1',
  summary: 'A lot of points expires soon (sent once per lot, `program.expiry.noticeDays` ahead) so HQ can warn the member.',
  priority: Priority.business,
  data: open({ ...member, lotId: Type.String({ maxLength: 64 }), expiresOn: Day, points: Points }, 'points.expiring: lot, date, points'),
  member: numberOf,
});

export const TierChanged = defineEvent({
  type: 'trouw.member.tier-changed.v1',
  summary: "A member's tier changed (upgrade at once, downgrade at a review after grace).",
  priority: Priority.business,
  data: open(
    {
      ...member,
      from: Type.String({ maxLength: 64 }),
      to: Type.String({ maxLength: 64 }),
      direction: Type.Union([Type.Literal('up'), Type.Literal('down')]),
      on: Day,
    },
    'member.tier-changed: from, to, date',
  ),
  member: numberOf,
});

const voucher = {
  ...member,
  code: Type.String({ minLength: 11, maxLength: 11 }),
  rewardId: Type.String({ maxLength: 64 }),
  points: Points,
};

export const VoucherIssued = defineEvent({
  type: 'trouw.voucher.issued.v1',
  summary: 'A member bought a reward with points; a voucher was issued (points burnt).',
  priority: Priority.business,
  data: open({ ...voucher, validUntil: Day, balance: Type.Integer() }, 'voucher.issued: code, reward, points burnt'),
  member: numberOf,
  pointsDelta: (d) => -d.points,
});

export const VoucherRedeemed = defineEvent({
  type: 'trouw.voucher.redeemed.v1',
  summary: 'A voucher was accepted at a till (once).',
  priority: Priority.business,
  data: open({ ...voucher, lane: Type.String({ maxLength: 64 }) }, 'voucher.redeemed: code, lane'),
  member: numberOf,
});

export const VoucherCancelled = defineEvent({
  type: 'trouw.voucher.cancelled.v1',
  summary: 'An unused voucher was cancelled; its points were given back.',
  priority: Priority.business,
  data: open({ ...voucher, balance: Type.Integer() }, 'voucher.cancelled: code, points refunded'),
  member: numberOf,
  pointsDelta: (d) => d.points,
});

export const PointsSpent = defineEvent({
  type: 'trouw.points.spent.v1',
  summary: 'Points paid (part of) a sale at the till.',
  priority: Priority.business,
  data: open({ ...member, receipt: Type.String({ maxLength: 64 }), points: Points, amountCents: Points, balance: Type.Integer() }, 'points.spent: tender'),
  member: numberOf,
  pointsDelta: (d) => -d.points,
});

export const PointsBonus = defineEvent({
  type: 'trouw.points.bonus.v1',
  summary: 'Points earned without buying (store visit, join, birthday, event).',
  priority: Priority.business,
  data: open({ ...member, kind: Type.String({ maxLength: 32 }), points: Points, balance: Type.Integer() }, 'points.bonus: kind, points'),
  member: numberOf,
  pointsDelta: (d) => d.points,
});
