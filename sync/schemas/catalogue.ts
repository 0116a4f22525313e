/**
 * Every event type, listed here and nowhere else: the gateway's outbox writer checks each row
 * against it and HQ ingest, settlement and the AsyncAPI document read it. A definition not
 * listed below does not exist (the writer refuses it, HQ dead-letters it). To add a type:
 * define it in the producer's `*-events.ts` here in sync/schemas/, list it below, add it to
 * docs/asyncapi.yaml.
 */
import type { EventDefinition } from './define-event';
import { CardTapped } from './card-events';
import { CommandApplied, CommandRejected, ConfigApplied, ConfigRejected, PointsAdjusted } from './command-events';
import { PointsBonus, PointsExpired, PointsExpiring, PointsSpent, TierChanged, VoucherCancelled, VoucherIssued, VoucherRedeemed } from './loyalty-events';
import { CardLinked, CardUnlinked, MemberCreated } from './member-events';
import { OfferEvents, OfferHeldBack } from './offer-events';
import { PresenceVisitEnded, PresenceVisitStarted, PresenceZoneEntered, PresenceZoneLeft } from './presence-events';
import { AwardHeld, SaleCompleted, SaleRefunded, SaleVoided } from './till-events';

export type { EventDefinition } from './define-event';
export { Priority } from './define-event';

const definitions: readonly EventDefinition[] = [
  // till
  SaleCompleted,
  SaleRefunded,
  SaleVoided,
  AwardHeld,
  // members and cards
  MemberCreated,
  CardLinked,
  CardUnlinked,
  CardTapped,
  // loyalty program
  PointsExpired,
  PointsExpiring,
  TierChanged,
  VoucherIssued,
  VoucherRedeemed,
  VoucherCancelled,
  PointsSpent,
  PointsBonus,
  // offers
  ...Object.values(OfferEvents),
  OfferHeldBack,
  // presence
  PresenceVisitStarted,
  PresenceZoneEntered,
  PresenceZoneLeft,
  PresenceVisitEnded,
  // HQ downlink and commands
  PointsAdjusted,
  ConfigRejected,
  ConfigApplied,
  CommandApplied,
  CommandRejected,
];

/** Builds a lookup over `defs`, refusing a type listed twice (two schemas for one type). */
export function buildCatalogue(defs: readonly EventDefinition[]): ReadonlyMap<string, EventDefinition> {
  const byType = new Map<string, EventDefinition>();
  for (const d of defs) {
    if (byType.has(d.type)) throw new Error(`event type ${d.type} listed twice in the catalogue`);
    byType.set(d.type, d);
  }
  return byType;
}

export const catalogue = buildCatalogue(definitions);

export const eventDefinition = (type: string): EventDefinition | undefined => catalogue.get(type);
export const eventTypes = (): string[] => [...catalogue.keys()].sort();
/** True when `def` is the catalogue's own definition of its type (not a look-alike). */
export const isCatalogued = (def: EventDefinition): boolean => catalogue.get(def.type) === def;
