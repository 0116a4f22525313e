/**
 * The control group (issue 17): a campaign's held-back members never get its offer, the
 * group is stable per member and campaign, its size follows the share, and the gateway
 * records each held-back member once in the outbox (trouw.offer.held-back.v1).
 */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { decide, historyOf, holdoutDraw, isHeldBack, type TriggerEvent } from '../../gateway/core/offers';
import { createMembersService } from '../../gateway/app/members/members';
import { createOffersService } from '../../gateway/app/offers/offers-service';
import { OffersConfig } from '../../gateway/config/offers-schema';
import { TZ, caps, member, offer } from './offers-fixtures';
import { openTempDb, STORE, testClock } from './sqlite-helpers';

const NOON = Date.UTC(2024, 5, 15, 10, 0);
const entered = (m: string, at = NOON): TriggerEvent => ({ kind: 'zone-entered', member: m, visitId: `v-${m}-${at}`, zone: 'coffee', at });
const members = Array.from({ length: 2000 }, (_, i) => `M-${i + 1}`);

describe('offers: control group', () => {
  const ctx = { offers: [offer({ id: 'coffee', campaign: 'spring', holdout: 0.2 })], caps: caps(), timeZone: TZ };

  it('a held-back member is never sent the offer, on any trigger, and everyone else is', () => {
    let held = 0;
    for (const m of members) {
      const inGroup = isHeldBack('spring', m, 0.2);
      // Many triggers over many days: the answer never changes for a member.
      for (let day = 0; day < 5; day++) {
        const d = decide(ctx, entered(m, NOON + day * 86_400_000), member({ number: m }), historyOf([]), NOON + day * 86_400_000);
        if (inGroup) expect(d).toMatchObject({ send: false, reason: 'held-back', offer: { id: 'coffee' } });
        else expect(d).toMatchObject({ send: true, offer: { id: 'coffee' } });
      }
      if (inGroup) held++;
    }
    // 2000 draws at p = 0.2: 400 ± 18 (1 sd); 6 sd either way would mean a broken hash.
    expect(held).toBeGreaterThan(400 - 6 * 18);
    expect(held).toBeLessThan(400 + 6 * 18);
  });

  it('is stable per member and campaign, and drawn independently per campaign', () => {
    expect(members.map((m) => holdoutDraw('spring', m))).toEqual(members.map((m) => holdoutDraw('spring', m)));
    const a = members.filter((m) => isHeldBack('spring', m, 0.5));
    const b = new Set(members.filter((m) => isHeldBack('summer', m, 0.5)));
    const both = a.filter((m) => b.has(m)).length;
    // Independent halves overlap in a quarter (500 ± 19); the same draw would overlap in half.
    expect(both).toBeGreaterThan(500 - 6 * 19);
    expect(both).toBeLessThan(500 + 6 * 19);
  });

  it('no holdout: nobody held back', () => {
    const c = { ...ctx, offers: [offer({ id: 'coffee' })] };
    expect(members.every((m) => decide(c, entered(m), member({ number: m }), historyOf([]), NOON).send)).toBe(true);
  });

  it('the gateway records the held-back member once, sends them nothing, and sends the others', () => {
    const t = openTempDb();
    try {
      const clock = testClock(NOON);
      const ms = createMembersService({ db: t.db, clock });
      const few = members.slice(0, 60);
      for (const n of few) ms.create({ number: n, name: `Member ${n}` });
      const config = Value.Default(OffersConfig, {
        definitions: [
          {
            id: 'coffee',
            campaign: 'spring',
            holdout: 0.3,
            perMember: 5,
            trigger: { kind: 'zone-entered', zone: 'coffee' },
            title: { nl: 'Koffie', en: 'Coffee' },
            reward: { kind: 'discount', cents: 100 },
          },
        ],
        caps: { minGapSeconds: 0 },
        members: few.map((number) => ({ number, consent: true })),
      }) as OffersConfig;
      const svc = createOffersService({ config, db: t.db, clock, timeZone: STORE.timeZone, timers: false });
      for (let round = 0; round < 3; round++) {
        clock.set(NOON + round * 60_000);
        svc.handle(
          few.map((m) => entered(m, clock.now())),
          clock.now(),
        );
      }
      const rows = t.db.prepare("SELECT type, data FROM outbox WHERE type LIKE 'trouw.offer.%'").all() as { type: string; data: string }[];
      const heldBack = rows.filter((r) => r.type === 'trouw.offer.held-back.v1').map((r) => (JSON.parse(r.data) as { memberNumber: string }).memberNumber);
      const sentTo = new Set(rows.filter((r) => r.type === 'trouw.offer.sent.v1').map((r) => (JSON.parse(r.data) as { memberNumber: string }).memberNumber));
      const expected = few.filter((m) => isHeldBack('spring', m, 0.3));
      expect(expected.length).toBeGreaterThan(0);
      expect(heldBack.sort()).toEqual([...expected].sort()); // once each, despite three triggers
      for (const m of expected) {
        expect(sentTo.has(m)).toBe(false);
        expect(svc.held(m)).toEqual([]);
      }
      expect([...sentTo].sort()).toEqual(few.filter((m) => !expected.includes(m)).sort());
    } finally {
      t.cleanup();
    }
  });
});
