/**
 * The presence events HQ receives (issue 4; gateway/app/presence/): `trouw.presence.{zone-
 * entered,zone-left,visit-started,visit-ended}.v1`. They are presence detail, not business:
 * outbox priority `Priority.presence` (> 0) and a TTL (`sync.outbox.presenceTtlSeconds`), so a
 * long outage drops them rather than delaying sales.
 *
 * Who: `memberNumber` for a consenting member, `tag` for a fixed tag; nobody else is ever
 * in an event. No token, address or RSSI is.
 */
import { Type } from '@sinclair/typebox';
import { Priority, defineEvent } from './define-event';
import { MemberNumber, open } from './fields';

const Zone = Type.String({ minLength: 1, maxLength: 64 });
const Time = Type.String({ maxLength: 40, description: 'RFC 3339' });
const VisitId = Type.String({ minLength: 1, maxLength: 64 });
const who = {
  memberNumber: Type.Optional(MemberNumber),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Never in a presence event. */
  token: Type.Optional(Type.Never()),
  address: Type.Optional(Type.Never()),
  rssi: Type.Optional(Type.Never()),
};
const memberOf = (d: { memberNumber?: string }) => d.memberNumber;

export const PresenceVisitStarted = defineEvent({
  type: 'trouw.presence.visit-started.v1',
  summary: 'A consenting member (or a fixed tag) was first placed in a zone of the store.',
  priority: Priority.presence,
  data: open({ visitId: VisitId, ...who, at: Time }, 'presence.visit-started'),
  member: memberOf,
});

export const PresenceZoneEntered = defineEvent({
  type: 'trouw.presence.zone-entered.v1',
  summary: 'A consenting member (or a fixed tag) entered a zone.',
  priority: Priority.presence,
  data: open({ visitId: VisitId, ...who, zone: Zone, at: Time }, 'presence.zone-entered'),
  member: memberOf,
});

export const PresenceZoneLeft = defineEvent({
  type: 'trouw.presence.zone-left.v1',
  summary: 'A consenting member (or a fixed tag) left a zone; dwell from entry to the confirmed exit.',
  priority: Priority.presence,
  data: open(
    {
      visitId: VisitId,
      ...who,
      zone: Zone,
      enteredAt: Time,
      leftAt: Time,
      dwellMs: Type.Integer({ minimum: 0 }),
      reason: Type.String({ maxLength: 20, description: 'switch | exit | absence | visit-end | evicted' }),
    },
    'presence.zone-left',
  ),
  member: memberOf,
});

export const PresenceVisitEnded = defineEvent({
  type: 'trouw.presence.visit-ended.v1',
  summary: 'A visit ended (the member unseen for presence.visitEndMs): zones and dwell per zone.',
  priority: Priority.presence,
  data: open(
    {
      visitId: VisitId,
      ...who,
      startedAt: Time,
      endedAt: Time,
      zones: Type.Array(Type.Object({ zone: Zone, dwellMs: Type.Integer({ minimum: 0 }), entries: Type.Integer({ minimum: 0 }) }), { maxItems: 200 }),
      reason: Type.String({ maxLength: 20, description: 'unseen | evicted | gateway-restart' }),
    },
    'presence.visit-ended',
  ),
  member: memberOf,
});
