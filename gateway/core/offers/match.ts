/** Does an offer fit this trigger, this moment and this member? Each check pure. */
import { inDayPart, localTime, type LocalTime } from './local-time';
import type { MemberFacts, OfferAudience, OfferDefinition, OfferTrigger, OfferWindow, TriggerEvent } from './types';

const DAY_MS = 86_400_000;

export function triggerMatches(t: OfferTrigger, e: TriggerEvent): boolean {
  if (t.kind !== e.kind) return false;
  switch (t.kind) {
    case 'visit-started':
      return true;
    case 'zone-entered':
      return t.zone === e.zone;
    case 'dwell':
      return t.zone === e.zone && t.seconds === e.seconds;
    case 'sequence':
      return e.zones !== undefined && t.zones.length === e.zones.length && t.zones.every((z, i) => z === e.zones![i]);
  }
}

export function windowOpen(w: OfferWindow, lt: LocalTime): boolean {
  if (w.from !== undefined && lt.date < w.from) return false;
  if (w.to !== undefined && lt.date > w.to) return false;
  if (w.days && w.days.length > 0 && !w.days.includes(lt.weekday)) return false;
  if (w.dayParts && w.dayParts.length > 0 && !w.dayParts.some((p) => inDayPart(lt.minute, p))) return false;
  return true;
}

export function audienceMatches(a: OfferAudience, m: MemberFacts, now: number, newMemberDays: number, timeZone: string): boolean {
  if (a.tiers && a.tiers.length > 0 && !a.tiers.includes(m.tier)) return false;
  if (a.segments && a.segments.length > 0 && !a.segments.some((s) => m.segments.includes(s))) return false;
  if (a.member !== undefined) {
    const isNew = now - m.joinedAt < newMemberDays * DAY_MS;
    if ((a.member === 'new') !== isNew) return false;
  }
  if (a.joinedMonths && a.joinedMonths.length > 0 && !a.joinedMonths.includes(localTime(m.joinedAt, timeZone).date.slice(0, 7))) return false;
  if (a.notBought) {
    const last = m.lastBought[a.notBought.category];
    // Unknown (not given) counts as "bought": never send on a fact nobody checked.
    if (last === undefined) return false;
    if (last !== null && now - last < a.notBought.days * DAY_MS) return false;
  }
  return true;
}

/** The categories whose last purchase the audience of these offers asks about. */
export const factCategories = (offers: readonly OfferDefinition[]): string[] => [
  ...new Set(offers.flatMap((o) => (o.audience.notBought ? [o.audience.notBought.category] : []))),
];
