/** The member register's events (gateway/app/members/, kiosk/kiosk-join.ts): enrolment and card links. */
import { Type } from '@sinclair/typebox';
import { Priority, defineEvent } from './define-event';
import { CardToken, MemberId, MemberNumber, forbidden, memberOf, open, who } from './fields';

export const MemberCreated = defineEvent({
  type: 'trouw.member.created.v1',
  summary: 'A member enrolled at this store.',
  priority: Priority.business,
  data: open(
    {
      memberId: Type.Optional(MemberId),
      number: MemberNumber,
      name: Type.Optional(Type.String({ maxLength: 100 })),
      consent: Type.Optional(open({ presence: Type.Optional(Type.Boolean()), offers: Type.Optional(Type.Boolean()) }, 'consents given at enrolment')),
      ...forbidden,
    },
    'member.created: the new member number',
  ),
  member: (d) => d.number,
});

export const CardLinked = defineEvent({
  type: 'trouw.card.linked.v1',
  summary: 'A card (its HMAC token, never its number) was linked to a member.',
  priority: Priority.business,
  data: open(
    {
      ...who,
      memberId: MemberId,
      token: CardToken,
      ...forbidden,
    },
    'card.linked: token and member',
  ),
  member: memberOf,
});

export const CardUnlinked = defineEvent({
  type: 'trouw.card.unlinked.v1',
  summary: 'A card was unlinked from a member (store IT or the kiosk). Carries the card token (an HMAC identity), never card data.',
  priority: Priority.business,
  data: Type.Object(
    {
      memberId: MemberId,
      token: CardToken,
      unlinkedAt: Type.String({ maxLength: 40 }),
    },
    { additionalProperties: true, description: 'card.unlinked: token and member' },
  ),
});
