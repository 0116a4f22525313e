/**
 * A presence engine event as its outbox row (schemas in sync/schemas/presence-events.ts):
 * priority presence, expiring `ttlMs` after it was recorded, and only the member number or
 * the tag of whom it concerns.
 */
import type { PresenceEvent } from '../../core/presence/events';
import type { OutboxEvent } from '../../../sync/gateway/outbox-writer';
import type { EventDefinition } from '../../../sync/schemas/catalogue';
import { PresenceVisitEnded, PresenceVisitStarted, PresenceZoneEntered, PresenceZoneLeft } from '../../../sync/schemas/presence-events';
import { isoTime as iso } from '../shared/iso-time';

const definitionOf = {
  'visit-started': PresenceVisitStarted,
  'zone-entered': PresenceZoneEntered,
  'zone-left': PresenceZoneLeft,
  'visit-ended': PresenceVisitEnded,
} as const satisfies Record<PresenceEvent['type'], EventDefinition>;

/** The outbox row of an engine event: its type's priority (presence), expiring `ttlMs` after `now`. */
export function presenceOutboxEvent(e: PresenceEvent, now: number, ttlMs: number): OutboxEvent {
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
      data = {
        visitId: e.visitId,
        ...whoOf,
        startedAt: iso(e.startedAt),
        endedAt: iso(e.at),
        zones: e.zones.map((z) => ({ ...z, dwellMs: Math.round(z.dwellMs) })),
        reason: e.reason,
      };
      break;
  }
  return { event: definitionOf[e.type], subject: null, at: e.at, data, expiresAt: now + ttlMs };
}
