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
      lines: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 500 })),
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
      lines: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 500 })),
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

export type SaleCompletedData = Static<typeof SaleCompleted.data>;
