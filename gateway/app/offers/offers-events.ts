/**
 * The offer events HQ receives (issue 8), each with the offer, the send id and the trigger
 * that caused it, so HQ can measure which touchpoints and offers convert. Business events
 * (never dropped): `redeemed` settles money off and points.
 */
import { Type } from '@sinclair/typebox';
import { Priority, registerEvent } from '../../../sync/schemas/events';

export const OFFER_EVENT_TYPES = {
  sent: 'trouw.offer.sent.v1',
  shown: 'trouw.offer.shown.v1',
  opened: 'trouw.offer.opened.v1',
  dismissed: 'trouw.offer.dismissed.v1',
  redeemed: 'trouw.offer.redeemed.v1',
  withdrawn: 'trouw.offer.withdrawn.v1',
} as const;
export type OfferEventKind = keyof typeof OFFER_EVENT_TYPES;

const data = Type.Object(
  {
    sendId: Type.String({ minLength: 1, maxLength: 64 }),
    offerId: Type.String({ minLength: 1, maxLength: 64 }),
    campaign: Type.String({ minLength: 1, maxLength: 64 }),
    memberNumber: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' }),
    trigger: Type.Object({ kind: Type.String({ maxLength: 20 }) }, { additionalProperties: true }),
    at: Type.String({ maxLength: 40 }),
  },
  { additionalProperties: true },
);

for (const [kind, type] of Object.entries(OFFER_EVENT_TYPES)) {
  registerEvent({
    type,
    summary: `An offer was ${kind} (${kind === 'sent' ? 'pushed to the member\'s phone' : kind === 'redeemed' ? 'applied at the till, once' : 'reported by the phone or the gateway'}); carries the trigger.`,
    priority: Priority.business,
    data,
    member: (d: { memberNumber?: string }) => d.memberNumber,
    // Bonus points of a redeemed offer are credited locally: HQ's running balance must see them.
    ...(kind === 'redeemed' ? { pointsDelta: (d: object) => (d as { points?: number }).points ?? 0 } : {}),
  });
}

/**
 * A member of a campaign's control group (issue 17) had a trigger that would have sent them
 * this offer, and was not sent it. Sent once per member and campaign by a gateway process
 * (HQ keeps the first per campaign and member, so a repeat after a restart changes nothing).
 */
export const OFFER_HELD_BACK = 'trouw.offer.held-back.v1';

registerEvent({
  type: OFFER_HELD_BACK,
  summary: 'A member of the campaign\'s control group was held back from an offer (never shown it); the baseline for uplift at HQ.',
  priority: Priority.business,
  data: Type.Object(
    {
      offerId: Type.String({ minLength: 1, maxLength: 64 }),
      campaign: Type.String({ minLength: 1, maxLength: 64 }),
      memberNumber: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' }),
      trigger: Type.Object({ kind: Type.String({ maxLength: 20 }) }, { additionalProperties: true }),
      holdout: Type.Number({ minimum: 0, maximum: 1 }),
      at: Type.String({ maxLength: 40 }),
    },
    { additionalProperties: true },
  ),
  member: (d: { memberNumber?: string }) => d.memberNumber,
});
