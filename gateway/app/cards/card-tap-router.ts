/**
 * Routes card taps from the readers to where they are used, and reports each one to HQ.
 * - A tap at a lane waits there for that lane's next `identify`/`sale` (CardTapSource), for
 *   `windowMs`; a newer tap replaces it; taking it consumes it.
 * - A tap at a kiosk goes to the kiosk listeners (the kiosk screen, card linking).
 * - Every tap becomes a `trouw.card.tapped.v1` outbox event: kind, place, outcome and the
 *   member if the card is linked; never the token, a UID or card data.
 */
import type { Db } from '../../adapters/sqlite/open-database';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import { CardTapped } from '../../../sync/schemas/card-events';
import { createMembersRepo } from '../../adapters/sqlite/members-repo';
import type { Clock } from '../../ports/clock';
import type { CardReaders, CardTap as ReaderTap } from '../../ports/card-reader';
import type { CardTap, CardTapSource } from '../../ports/card-taps';
import { createIdFactory } from '../shared/ids';

export interface CardTapRouter extends CardTapSource {
  /** The latest tap at a place (`lane:ID` / `kiosk:ID`) within the window, without consuming it. */
  peek(place: string, nowMs: number): ReaderTap | undefined;
  /** Consume the latest tap at a place (card linking, kiosk sessions). */
  take(place: string, nowMs: number): ReaderTap | undefined;
  onKioskTap(listener: (kiosk: string, tap: ReaderTap) => void): () => void;
  stop(): void;
}

export function toLaneTap(tap: ReaderTap): CardTap {
  if (tap.outcome === 'identified') return { kind: 'member', token: tap.token };
  return tap.reason === 'random-id' ? { kind: 'random-id' } : { kind: 'unreadable' };
}

export function createCardTapRouter(deps: { readers: CardReaders; db: Db; clock: Clock; windowMs: number }): CardTapRouter {
  const latest = new Map<string, ReaderTap>();
  const kioskListeners = new Set<(kiosk: string, tap: ReaderTap) => void>();
  const members = createMembersRepo(deps.db);
  const outbox = createOutboxWriter(deps.db, { newId: createIdFactory(deps.clock) });

  const report = deps.db.transaction((tap: ReaderTap) => {
    const member = tap.outcome === 'identified' ? members.byCardToken(tap.token) : undefined;
    outbox.append({
      event: CardTapped,
      subject: null,
      at: tap.at,
      data: {
        reader: tap.reader,
        ...(tap.place?.type === 'lane' && { lane: tap.place.id }),
        place: tap.place ? `${tap.place.type}:${tap.place.id}` : null,
        kind: tap.kind ?? 'unknown',
        outcome: tap.outcome === 'identified' ? (tap.staff ? 'staff' : member ? 'member' : 'unknown-card') : tap.reason,
        ...(member && { memberId: member.id, memberNumber: member.number }),
      },
    });
  });

  const unsubscribe = deps.readers.onTap((tap) => {
    report(tap);
    if (!tap.place) return;
    latest.set(`${tap.place.type}:${tap.place.id}`, tap);
    if (tap.place.type === 'kiosk') for (const l of kioskListeners) l(tap.place.id, tap);
  });

  const fresh = (place: string, now: number) => {
    const tap = latest.get(place);
    return tap && now - tap.at <= deps.windowMs ? tap : undefined;
  };
  const take = (place: string, now: number) => {
    const tap = fresh(place, now);
    latest.delete(place);
    return tap;
  };

  return {
    takeTap: (lane, now) => {
      const tap = take(`lane:${lane}`, now);
      return tap && toLaneTap(tap);
    },
    peek: fresh,
    take,
    onKioskTap: (l) => {
      kioskListeners.add(l);
      return () => kioskListeners.delete(l);
    },
    stop: unsubscribe,
  };
}
