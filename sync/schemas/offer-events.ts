/**
 * The offer events HQ receives (issue 8; gateway/app/offers/), each with the offer, the send
 * id and the trigger that caused it, so HQ can measure which touchpoints and offers convert.
 * Business events (never dropped): `redeemed` settles money off and points.
 */
import { Type } from '@sinclair/typebox';
import { Priority, defineEvent, type EventDefinition } from './define-event';
import { MemberNumber } from './fields';

const data = Type.Object(
  {
    sendId: Type.String({ minLength: 1, maxLength: 64 }),
    offerId: Type.String({ minLength: 1, maxLength: 64 }),
    campaign: Type.String({ minLength: 1, maxLength: 64 }),
    memberNumber: MemberNumber,
    trigger: Type.Object({ kind: Type.String({ maxLength: 20 }) }, { additionalProperties: true }),
    at: Type.String({ maxLength: 40 }),
  },
  { additionalProperties: true },
);
type OfferData = typeof data;

const how = {
  sent: "pushed to the member's phone",
  shown: 'reported by the phone or the gateway',
  opened: 'reported by the phone or the gateway',
  dismissed: 'reported by the phone or the gateway',
  redeemed: 'applied at the till, once',
  withdrawn: 'reported by the phone or the gateway',
} as const;
export type OfferEventKind = keyof typeof how;

const offerEvent = (kind: OfferEventKind): EventDefinition<OfferData> =>
  defineEvent({
    type: `trouw.offer.${kind}.v1`,
    summary: `An offer was ${kind} (${how[kind]}); carries the trigger.`,
    priority: Priority.business,
    data,
    member: (d) => d.memberNumber,
    // Bonus points of a redeemed offer are credited locally: HQ's running balance must see them.
    ...(kind === 'redeemed' ? { pointsDelta: (d: object) => (d as { points?: number }).points ?? 0 } : {}),
  });

/**
 * A member of a campaign's control group (issue 17) had a trigger that would have sent them
 * this offer, and was not sent it. Sent once per member and campaign by a gateway process
 * (HQ keeps the first per campaign and member, so a repeat after a restart changes nothing).
 */
export const OfferHeldBack = defineEvent({
  type: 'trouw.offer.held-back.v1',
  summary: "A member of the campaign's control group was held back from an offer (never shown it); the baseline for uplift at HQ.",
  priority: Priority.business,
  data: Type.Object(
    {
      offerId: Type.String({ minLength: 1, maxLength: 64 }),
      campaign: Type.String({ minLength: 1, maxLength: 64 }),
      memberNumber: MemberNumber,
      trigger: Type.Object({ kind: Type.String({ maxLength: 20 }) }, { additionalProperties: true }),
      holdout: Type.Number({ minimum: 0, maximum: 1 }),
      at: Type.String({ maxLength: 40 }),
    },
    { additionalProperties: true },
  ),
  member: (d) => d.memberNumber,
});

export const OfferEvents: Record<OfferEventKind, EventDefinition<OfferData>> = {
  sent: offerEvent('sent'),
  shown: offerEvent('shown'),
  opened: offerEvent('opened'),
  dismissed: offerEvent('dismissed'),
  redeemed: offerEvent('redeemed'),
  withdrawn: offerEvent('withdrawn'),
};
