/**
 * The till's events (gateway/app/till/: till-sale.ts, till-returns.ts): a sale and its
 * reversals, each with the points it moved.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Priority, defineEvent } from './define-event';
import { Cents, Lane, Points, Receipt, forbidden, memberOf, open, opt, who } from './fields';

export const SaleCompleted = defineEvent({
  type: 'trouw.sale.completed.v1',
  summary: 'A sale was rung at a till and points (if any) awarded.',
  priority: Priority.business,
  data: open(
    {
      receipt: Receipt,
      lane: Type.Optional(Lane),
      ...who,
      memberKnown: Type.Optional(Type.Boolean()),
      totalCents: Type.Optional(Cents),
      eligibleCents: Type.Optional(Cents),
      pointsAwarded: Points,
      balance: opt(Type.Integer()),
      deficit: opt(Type.Integer()),
      lines: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 2000 })),
      entries: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 500 })),
      ...forbidden,
    },
    'sale.completed: receipt and points awarded',
  ),
  member: memberOf,
  pointsDelta: (d) => d.pointsAwarded,
});

const reversal = (what: string) =>
  open(
    {
      receipt: Receipt,
      original: Type.Optional(Receipt),
      lane: Type.Optional(Lane),
      ...who,
      pointsReversed: Points,
      /** Points actually taken back; the rest became a deficit (already spent). */
      taken: Type.Optional(Points),
      deficitAdded: Type.Optional(Points),
      balance: opt(Type.Integer()),
      deficit: opt(Type.Integer()),
      lines: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 2000 })),
      entries: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 500 })),
      ...forbidden,
    },
    what,
  );

export const SaleRefunded = defineEvent({
  type: 'trouw.sale.refunded.v1',
  summary: 'Lines of an earlier sale were refunded; points reversed.',
  priority: Priority.business,
  data: reversal('sale.refunded: points reversed'),
  member: memberOf,
  pointsDelta: (d) => -d.pointsReversed,
});

export const SaleVoided = defineEvent({
  type: 'trouw.sale.voided.v1',
  summary: 'A sale was voided; its points reversed.',
  priority: Priority.business,
  data: reversal('sale.voided: points reversed'),
  member: memberOf,
  pointsDelta: (d) => -d.pointsReversed,
});

export const AwardHeld = defineEvent({
  type: 'trouw.award.held.v1',
  summary:
    'A sale would have awarded more points than the review limit (till.reviewAbovePoints): the sale is recorded, the points are held, not credited, for HQ to review.',
  priority: Priority.business,
  data: Type.Object(
    {
      receipt: Receipt,
      lane: Lane,
      memberId: Type.String({ minLength: 1, maxLength: 64 }),
      memberNumber: Type.String({ minLength: 1, maxLength: 32 }),
      points: Type.Integer({ minimum: 0, description: 'the award held' }),
      limit: Type.Integer({ minimum: 0, description: 'the review limit in force' }),
      totalCents: Type.Integer({ minimum: 0 }),
      at: Type.String({ maxLength: 40 }),
    },
    { additionalProperties: true, description: 'award.held: a sale award over the review limit, held' },
  ),
  member: (d) => d.memberNumber,
});

export type SaleCompletedData = Static<typeof SaleCompleted.data>;
