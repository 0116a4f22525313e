/**
 * A source of stored presence events (issue 8: offers listen to presence). Contract:
 * - the listener is called after a batch of events is stored (never before: an offer must
 *   not be sent for an event the store lost), in the order the engine decided them;
 * - a throwing listener does not stop presence or other listeners;
 * - the returned function unsubscribes; after it returns no more calls arrive.
 * `PresenceService.onEvents` (app/presence/presence-service.ts) is one.
 */
import type { PresenceEvent } from '../core/presence/events';

export interface PresenceEventSource {
  onEvents(listener: (events: readonly PresenceEvent[]) => void): () => void;
}
