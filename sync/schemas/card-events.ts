/** The card reader's events (gateway/app/cards/card-tap-router.ts): never card data. */
import { Type } from '@sinclair/typebox';
import { Priority, defineEvent } from './define-event';
import { Lane, forbidden, memberOf, open, who } from './fields';

export const CardTapped = defineEvent({
  type: 'trouw.card.tapped.v1',
  summary: 'A card was tapped at a reader. Carries the kind and the member if known, never card data.',
  priority: Priority.card,
  data: open(
    {
      reader: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      lane: Type.Optional(Lane),
      kind: Type.String({ minLength: 1, maxLength: 40, description: 'card kind, e.g. mifare-classic-1k, emv' }),
      ...who,
      outcome: Type.Optional(Type.String({ maxLength: 40 })),
      ...forbidden,
    },
    'card.tapped: reader, kind, member if known',
  ),
  member: memberOf,
});
