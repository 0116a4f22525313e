/**
 * Caps and quiet hours over a simulated store day (injected clock): whatever the triggers,
 * no member gets more than perMemberPerDay offers per local day, two offers to one member are
 * never closer than minGapSeconds, no campaign exceeds perMember, the store never exceeds
 * its rate in any window, nothing is sent in quiet hours or without consent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, historyOf, inDayPart, localTime, startOfLocalDay, type SendRecord, type TriggerEvent } from '../../gateway/core/offers';
import { TZ, caps as makeCaps, member, offer } from './offers-fixtures';

const DAY_START = Date.UTC(2024, 5, 14, 22, 0); // 15 June 00:00 Amsterdam
const ZONES = ['coffee', 'bread', 'wine'];
const MEMBERS = ['M1', 'M2', 'M3', 'M4', 'M5'];

describe('offers: caps over a simulated day (property)', () => {
  it('are never exceeded', () => {
    fc.assert(
      fc.property(
        fc.record({
          perMemberPerDay: fc.integer({ min: 0, max: 4 }),
          minGapSeconds: fc.integer({ min: 0, max: 3600 }),
          rateMax: fc.integer({ min: 0, max: 5 }),
          ratePer: fc.integer({ min: 1, max: 600 }),
          quiet: fc.option(fc.record({ from: fc.integer({ min: 0, max: 23 }), to: fc.integer({ min: 0, max: 23 }) }), { nil: undefined }),
          perMember: fc.integer({ min: 1, max: 3 }),
        }),
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 30 * 60_000 }),
            m: fc.integer({ min: 0, max: 4 }),
            z: fc.integer({ min: 0, max: 2 }),
            kind: fc.constantFrom('zone-entered', 'visit-started'),
          }),
          { minLength: 1, maxLength: 200 },
        ),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        (p, steps, consents) => {
          const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
          const c = makeCaps({
            perMemberPerDay: p.perMemberPerDay,
            minGapSeconds: p.minGapSeconds,
            storeRate: { max: p.rateMax, perSeconds: p.ratePer },
            quietHours: p.quiet ? [{ from: hh(p.quiet.from), to: hh(p.quiet.to) }] : [],
          });
          const offers = [
            offer({ id: 'a', priority: 3, perMember: p.perMember, campaign: 'camp1' }),
            offer({ id: 'b', priority: 2, perMember: p.perMember, campaign: 'camp1', trigger: { kind: 'zone-entered', zone: 'bread' } }),
            offer({ id: 'c', priority: 1, perMember: p.perMember, trigger: { kind: 'visit-started' } }),
            offer({ id: 'd', priority: 0, perMember: p.perMember, trigger: { kind: 'zone-entered', zone: 'wine' } }),
          ];
          const history = historyOf([]);
          const sent: SendRecord[] = [];
          let now = DAY_START;
          for (const s of steps) {
            now += s.dt;
            const num = MEMBERS[s.m]!;
            const ev: TriggerEvent = { kind: s.kind, member: num, visitId: 'v', at: now, ...(s.kind === 'zone-entered' ? { zone: ZONES[s.z]! } : {}) };
            const d = decide({ offers, caps: c, timeZone: TZ }, ev, member({ number: num, consent: consents[s.m]! }), history, now);
            if (d.send) {
              const rec = { member: num, offerId: d.offer.id, campaign: d.offer.campaign, at: now };
              history.add(rec);
              sent.push(rec);
            }
          }
          for (const s of sent) {
            expect(consents[MEMBERS.indexOf(s.member)]).toBe(true);
            const minute = localTime(s.at, TZ).minute;
            for (const q of c.quietHours) expect(inDayPart(minute, q)).toBe(false);
            const dayStart = startOfLocalDay(s.at, TZ);
            const mine = sent.filter((x) => x.member === s.member);
            expect(
              mine.filter((x) => x.at >= dayStart && x.at < dayStart + 86_400_000 + 3_600_000 && localTime(x.at, TZ).date === localTime(s.at, TZ).date).length,
            ).toBeLessThanOrEqual(c.perMemberPerDay);
            for (const x of mine) if (x !== s) expect(Math.abs(x.at - s.at)).toBeGreaterThanOrEqual(c.minGapSeconds * 1000);
            expect(mine.filter((x) => x.campaign === s.campaign).length).toBeLessThanOrEqual(p.perMember);
            expect(sent.filter((x) => x.at > s.at - p.ratePer * 1000 && x.at <= s.at).length).toBeLessThanOrEqual(p.rateMax);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
