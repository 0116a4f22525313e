/** Offer definitions and members shared by the offers tests. */
import type { MemberFacts, OfferCaps, OfferDefinition } from '../../gateway/core/offers';

export const TZ = 'Europe/Amsterdam';

export function offer(p: Partial<OfferDefinition> & { id: string }): OfferDefinition {
  return {
    campaign: p.id,
    priority: 0,
    enabled: true,
    trigger: { kind: 'zone-entered', zone: 'coffee' },
    window: {},
    audience: {},
    title: { nl: 'Koffie', en: 'Coffee' },
    reward: { kind: 'discount', cents: 100, categories: ['coffee'] },
    validMinutes: 120,
    perMember: 1,
    ...p,
  };
}

export const caps = (p: Partial<OfferCaps> = {}): OfferCaps => ({
  perMemberPerDay: 3,
  minGapSeconds: 900,
  storeRate: { max: 100, perSeconds: 60 },
  quietHours: [],
  newMemberDays: 30,
  ...p,
});

export const member = (p: Partial<MemberFacts> = {}): MemberFacts => ({
  number: 'M1',
  consent: true,
  tier: 'brons',
  segments: [],
  joinedAt: Date.UTC(2023, 0, 10),
  lastBought: {},
  ...p,
});
