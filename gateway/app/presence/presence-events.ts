/**
 * The presence events HQ receives (issue 4): `trouw.presence.{zone-entered,zone-left,
 * visit-started,visit-ended}.v1`. They are presence detail, not business: outbox priority
 * `Priority.presence` (> 0) and a TTL (`sync.outbox.presenceTtlSeconds`), so a long outage
 * drops them rather than delaying sales.
 *
 * Who: `memberNumber` for a consenting member, `tag` for a fixed tag; nobody else is ever
 * in an event. No token, address or RSSI is.
 */
import { Type } from '@sinclair/typebox';
import { Priority, registerEvent } from '../../../sync/schemas/events';
import type { PresenceEvent } from '../../core/presence/events';
import type { OutboxEvent } from '../../adapters/sqlite/outbox-repo';

const Zone = Type.String({ minLength: 1, maxLength: 64 });
const Time = Type.String({ maxLength: 40, description: 'RFC 3339' });
const VisitId = Type.String({ minLength: 1, maxLength: 64 });
const who = {
  memberNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' })),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Never in a presence event. */
  token: Type.Optional(Type.Never()),
  address: Type.Optional(Type.Never()),
  rssi: Type.Optional(Type.Never()),
};
const open = <P extends Parameters<typeof Type.Object>[0]>(props: P, description: string) =>
  Type.Object(props, { additionalProperties: true, description });
const memberOf = (d: { memberNumber?: string }) => d.memberNumber;

export const PRESENCE_EVENT_TYPES = {
  'visit-started': 'trouw.presence.visit-started.v1',
  'zone-entered': 'trouw.presence.zone-entered.v1',
  'zone-left': 'trouw.presence.zone-left.v1',
  'visit-ended': 'trouw.presence.visit-ended.v1',
} as const satisfies Record<PresenceEvent['type'], string>;

export const PresenceVisitStarted = registerEvent({
  type: PRESENCE_EVENT_TYPES['visit-started'],
  summary: 'A consenting member (or a fixed tag) was first placed in a zone of the store.',
  priority: Priority.presence,
  data: open({ visitId: VisitId, ...who, at: Time }, 'presence.visit-started'),
  member: memberOf,
});

export const PresenceZoneEntered = registerEvent({
  type: PRESENCE_EVENT_TYPES['zone-entered'],
  summary: 'A consenting member (or a fixed tag) entered a zone.',
  priority: Priority.presence,
  data: open({ visitId: VisitId, ...who, zone: Zone, at: Time }, 'presence.zone-entered'),
  member: memberOf,
});

export const PresenceZoneLeft = registerEvent({
  type: PRESENCE_EVENT_TYPES['zone-left'],
  summary: 'A consenting member (or a fixed tag) left a zone; dwell from entry to the confirmed exit.',
  priority: Priority.presence,
  data: open(
    {
      visitId: VisitId, ...who, zone: Zone, enteredAt: Time, leftAt: Time,
      dwellMs: Type.Integer({ minimum: 0 }),
      reason: Type.String({ maxLength: 20, description: 'switch | exit | absence | visit-end | evicted' }),
    },
    'presence.zone-left',
  ),
  member: memberOf,
});

export const PresenceVisitEnded = registerEvent({
  type: PRESENCE_EVENT_TYPES['visit-ended'],
  summary: 'A visit ended (the member unseen for presence.visitEndMs): zones and dwell per zone.',
  priority: Priority.presence,
  data: open(
    {
      visitId: VisitId, ...who, startedAt: Time, endedAt: Time,
      zones: Type.Array(Type.Object({ zone: Zone, dwellMs: Type.Integer({ minimum: 0 }), entries: Type.Integer({ minimum: 0 }) }), { maxItems: 200 }),
      reason: Type.String({ maxLength: 20, description: 'unseen | evicted | gateway-restart' }),
    },
    'presence.visit-ended',
  ),
  member: memberOf,
});

const iso = (ms: number) => new Date(ms).toISOString();

/** The outbox row of an engine event: priority presence, expiring `ttlMs` after `now`. */
export function presenceOutboxEvent(e: PresenceEvent, now: number, ttlMs: number, newId: () => string): OutboxEvent {
  const whoOf = e.subject.kind === 'member' ? { memberNumber: e.subject.id } : { tag: e.subject.id };
  let data: Record<string, unknown>;
  switch (e.type) {
    case 'visit-started':
      data = { visitId: e.visitId, ...whoOf, at: iso(e.at) };
      break;
    case 'zone-entered':
      data = { visitId: e.visitId, ...whoOf, zone: e.zone, at: iso(e.at) };
      break;
    case 'zone-left':
      data = { visitId: e.visitId, ...whoOf, zone: e.zone, enteredAt: iso(e.enteredAt), leftAt: iso(e.at), dwellMs: Math.round(e.dwellMs), reason: e.reason };
      break;
    case 'visit-ended':
      data = { visitId: e.visitId, ...whoOf, startedAt: iso(e.startedAt), endedAt: iso(e.at), zones: e.zones.map((z) => ({ ...z, dwellMs: Math.round(z.dwellMs) })), reason: e.reason };
      break;
  }
  return {
    id: newId(),
    type: PRESENCE_EVENT_TYPES[e.type],
    subject: null,
    time: iso(e.at),
    data,
    priority: Priority.presence,
    expiresAt: now + ttlMs,
  };
}
