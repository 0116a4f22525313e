/** The card events the gateway's app layer writes beyond those in sync/schemas/events.ts. */
import { Type } from '@sinclair/typebox';
import { Priority, registerEvent } from '../../../sync/schemas/events';

export const CARD_UNLINKED = 'trouw.card.unlinked.v1';

registerEvent({
  type: CARD_UNLINKED,
  summary: 'A card was unlinked from a member (store IT or the kiosk). Carries the card token (an HMAC identity), never card data.',
  priority: Priority.business,
  data: Type.Object(
    {
      memberId: Type.String({ minLength: 1, maxLength: 64 }),
      token: Type.String({ minLength: 8, maxLength: 128, description: 'card token: HMAC identity (DESIGN.md §5)' }),
      unlinkedAt: Type.String({ maxLength: 40 }),
    },
    { additionalProperties: true, description: 'card.unlinked: token and member' },
  ),
});
