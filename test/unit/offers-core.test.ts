import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  TriggerTracker,
  decide,
  historyOf,
  localTime,
  parsePublicKey,
  signMemberCredential,
  startOfLocalDay,
  valueOn,
  verifyMemberCredential,
  type TriggerEvent,
} from '../../gateway/core/offers';
import type { PresenceEvent } from '../../gateway/core/presence/events';
import { TZ, caps, member, offer } from './offers-fixtures';

// Saturday 15 June 2024, 12:00 in Amsterdam (CEST, UTC+2).
const NOON = Date.UTC(2024, 5, 15, 10, 0);
const entered = (zone: string, at = NOON, m = 'M1'): TriggerEvent => ({ kind: 'zone-entered', member: m, visitId: 'v1', zone, at });
const ctx = (offers = [offer({ id: 'coffee-1' })], c = caps()) => ({ offers, caps: c, timeZone: TZ });

describe('offers: decision', () => {
  it('sends the matching offer, valid for validMinutes', () => {
    const d = decide(ctx(), entered('coffee'), member(), historyOf([]), NOON);
    expect(d).toMatchObject({ send: true, offer: { id: 'coffee-1' }, validUntil: NOON + 120 * 60_000 });
  });
  it('needs consent', () => {
    expect(decide(ctx(), entered('coffee'), member({ consent: false }), historyOf([]), NOON)).toEqual({ send: false, reason: 'no-consent' });
  });
  it('other zone: no match', () => {
    expect(decide(ctx(), entered('bread'), member(), historyOf([]), NOON)).toMatchObject({ reason: 'no-match' });
  });
  it('highest priority wins; ties by id', () => {
    const offers = [offer({ id: 'b', priority: 1 }), offer({ id: 'c', priority: 5 }), offer({ id: 'a', priority: 5 })];
    expect(decide(ctx(offers), entered('coffee'), member(), historyOf([]), NOON)).toMatchObject({ offer: { id: 'a' } });
  });
  it('disabled (withdrawn) offers are never sent', () => {
    expect(decide(ctx([offer({ id: 'x', enabled: false })]), entered('coffee'), member(), historyOf([]), NOON)).toMatchObject({ reason: 'no-match' });
  });
  it('campaign cap falls through to the next offer', () => {
    const offers = [offer({ id: 'a', priority: 5 }), offer({ id: 'b', priority: 1 })];
    const h = historyOf([{ member: 'M1', offerId: 'a', campaign: 'a', at: NOON - 86_400_000 }]);
    expect(decide(ctx(offers), entered('coffee'), member(), h, NOON)).toMatchObject({ offer: { id: 'b' } });
    const h2 = historyOf([
      { member: 'M1', offerId: 'a', campaign: 'a', at: NOON - 86_400_000 },
      { member: 'M1', offerId: 'b', campaign: 'b', at: NOON - 86_400_000 },
    ]);
    expect(decide(ctx(offers), entered('coffee'), member(), h2, NOON)).toMatchObject({ reason: 'campaign-cap' });
  });
  it('member daily cap, minimum gap, store rate, quiet hours', () => {
    const offers = [offer({ id: 'a', perMember: 100 })];
    const early = startOfLocalDay(NOON, TZ);
    expect(
      decide(
        ctx(offers, caps({ perMemberPerDay: 1 })),
        entered('coffee'),
        member(),
        historyOf([{ member: 'M1', offerId: 'a', campaign: 'a', at: early + 1000 }]),
        NOON,
      ),
    ).toMatchObject({ reason: 'member-daily-cap' });
    expect(decide(ctx(offers), entered('coffee'), member(), historyOf([{ member: 'M1', offerId: 'a', campaign: 'a', at: NOON - 60_000 }]), NOON)).toMatchObject(
      { reason: 'min-gap' },
    );
    expect(
      decide(
        ctx(offers, caps({ storeRate: { max: 1, perSeconds: 60 } })),
        entered('coffee'),
        member(),
        historyOf([{ member: 'M2', offerId: 'a', campaign: 'a', at: NOON - 10_000 }]),
        NOON,
      ),
    ).toMatchObject({ reason: 'store-rate' });
    expect(decide(ctx(offers, caps({ quietHours: [{ from: '11:30', to: '12:30' }] })), entered('coffee'), member(), historyOf([]), NOON)).toMatchObject({
      reason: 'quiet-hours',
    });
    expect(decide(ctx(offers, caps({ quietHours: [{ from: '21:00', to: '08:00' }] })), entered('coffee'), member(), historyOf([]), NOON)).toMatchObject({
      send: true,
    });
  });
  it('time windows: days, day parts, dates in the store time zone', () => {
    const at = (w: object) => decide(ctx([offer({ id: 'a', window: w })]), entered('coffee'), member(), historyOf([]), NOON).send;
    expect(at({ days: ['sat'] })).toBe(true);
    expect(at({ days: ['mon', 'fri'] })).toBe(false);
    expect(at({ dayParts: [{ from: '11:00', to: '13:00' }] })).toBe(true);
    expect(at({ dayParts: [{ from: '10:00', to: '12:00' }] })).toBe(false); // 12:00 local, not 10:00 UTC
    expect(at({ from: '2024-06-15', to: '2024-06-15' })).toBe(true);
    expect(at({ from: '2024-06-16' })).toBe(false);
  });
  it('audience: tier, segments, new/returning, join month, not bought recently', () => {
    const at = (audience: object, m = member()) => decide(ctx([offer({ id: 'a', audience })]), entered('coffee'), m, historyOf([]), NOON).send;
    expect(at({ tiers: ['goud'] })).toBe(false);
    expect(at({ tiers: ['goud'] }, member({ tier: 'goud' }))).toBe(true);
    expect(at({ segments: ['vegan'] }, member({ segments: ['vegan', 'family'] }))).toBe(true);
    expect(at({ segments: ['vegan'] })).toBe(false);
    expect(at({ member: 'new' })).toBe(false);
    expect(at({ member: 'new' }, member({ joinedAt: NOON - 86_400_000 }))).toBe(true);
    expect(at({ member: 'returning' })).toBe(true);
    expect(at({ joinedMonths: ['2023-01'] })).toBe(true);
    expect(at({ joinedMonths: ['2023-02'] })).toBe(false);
    const nb = { notBought: { category: 'coffee', days: 30 } };
    expect(at(nb)).toBe(false); // fact not given: never assumed
    expect(at(nb, member({ lastBought: { coffee: null } }))).toBe(true);
    expect(at(nb, member({ lastBought: { coffee: NOON - 5 * 86_400_000 } }))).toBe(false);
    expect(at(nb, member({ lastBought: { coffee: NOON - 40 * 86_400_000 } }))).toBe(true);
  });
  it('local time and start of day across DST', () => {
    expect(localTime(NOON, TZ)).toEqual({ date: '2024-06-15', weekday: 'sat', minute: 720 });
    // 31 March 2024: clocks go 02:00 → 03:00 in Amsterdam; midnight was 23:00 UTC the day before.
    expect(startOfLocalDay(Date.UTC(2024, 2, 31, 15, 0), TZ)).toBe(Date.UTC(2024, 2, 30, 23, 0));
    expect(startOfLocalDay(Date.UTC(2024, 9, 27, 15, 0), TZ)).toBe(Date.UTC(2024, 9, 26, 22, 0));
  });
});

describe('offers: triggers from presence', () => {
  const m = { kind: 'member' as const, id: 'M1' };
  const ev = (e: Partial<PresenceEvent> & { type: PresenceEvent['type'] }) => ({ visitId: 'v1', subject: m, at: NOON, ...e }) as PresenceEvent;
  it('visit, entries, dwell while still in the zone, sequences once', () => {
    const t = new TriggerTracker([
      offer({ id: 'd', trigger: { kind: 'dwell', zone: 'coffee', seconds: 20 } }),
      offer({ id: 's', trigger: { kind: 'sequence', zones: ['bread', 'coffee'] } }),
    ]);
    expect(t.observe([ev({ type: 'visit-started' })]).map((x) => x.kind)).toEqual(['visit-started']);
    expect(t.observe([ev({ type: 'zone-entered', zone: 'bread' })]).map((x) => x.kind)).toEqual(['zone-entered']);
    expect(t.observe([ev({ type: 'zone-entered', zone: 'coffee', at: NOON + 1000 })]).map((x) => x.kind)).toEqual(['zone-entered', 'sequence']);
    expect(t.due(NOON + 20_000)).toEqual([]);
    expect(t.due(NOON + 21_000)).toMatchObject([{ kind: 'dwell', zone: 'coffee', seconds: 20 }]);
    expect(t.due(NOON + 30_000)).toEqual([]);
    // Left before the threshold: no dwell.
    t.observe([ev({ type: 'zone-entered', zone: 'coffee', at: NOON + 40_000 }), ev({ type: 'zone-left', zone: 'coffee', at: NOON + 50_000 } as never)]);
    expect(t.due(NOON + 70_000)).toEqual([]);
    // Tags are not people.
    expect(t.observe([{ type: 'visit-started', visitId: 'v2', subject: { kind: 'tag', id: 'trolley' }, at: NOON }])).toEqual([]);
  });
});

describe('offers: basket value', () => {
  const lines = [
    { sku: 'k1', category: 'coffee', amountCents: 450 },
    { sku: 'b1', category: 'bread', amountCents: 200 },
  ];
  it('fixed, percent, minimum spend, points', () => {
    expect(valueOn({ kind: 'discount', cents: 100, categories: ['coffee'] }, lines)).toMatchObject({ applies: true, discountCents: 100 });
    expect(valueOn({ kind: 'discount', cents: 1000, categories: ['coffee'] }, lines)).toMatchObject({ discountCents: 450 });
    expect(valueOn({ kind: 'discount', percent: 15, skus: ['k1'] }, lines)).toMatchObject({ discountCents: 67 });
    expect(valueOn({ kind: 'discount', cents: 100, categories: ['wine'] }, lines)).toMatchObject({ applies: false });
    expect(valueOn({ kind: 'discount', cents: 100, categories: ['coffee'], minSpendCents: 500 }, lines)).toMatchObject({ applies: false });
    expect(valueOn({ kind: 'points', points: 50 }, lines)).toMatchObject({ applies: true, points: 50 });
  });
});

describe('offers: member credentials', () => {
  const hq = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const exp = NOON / 1000 + 3600;
  it('verifies HQ-signed credentials offline; refuses wrong key, expired, tampered, malformed', () => {
    const tok = signMemberCredential({ member: 'M1', exp }, hq.privateKey);
    expect(verifyMemberCredential(tok, hq.publicKey, NOON)).toEqual({ ok: true, value: { member: 'M1', exp } });
    expect(verifyMemberCredential(tok, other.publicKey, NOON)).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect(verifyMemberCredential(tok, hq.publicKey, exp * 1000)).toMatchObject({ ok: false, error: { code: 'expired' } });
    const forged = Buffer.from(JSON.stringify({ member: 'M2', exp })).toString('base64url') + '.' + tok.split('.')[1];
    expect(verifyMemberCredential(forged, hq.publicKey, NOON)).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect(verifyMemberCredential('nonsense', hq.publicKey, NOON)).toMatchObject({ ok: false, error: { code: 'malformed' } });
    expect(verifyMemberCredential(signMemberCredential({ member: 'M1', exp }, other.privateKey), hq.publicKey, NOON).ok).toBe(false);
  });
  it('reads the key as PEM or raw base64', () => {
    const pem = hq.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const raw = (hq.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).subarray(12).toString('base64');
    const tok = signMemberCredential({ member: 'M1', exp }, hq.privateKey);
    expect(verifyMemberCredential(tok, parsePublicKey(pem), NOON).ok).toBe(true);
    expect(verifyMemberCredential(tok, parsePublicKey(raw), NOON).ok).toBe(true);
    expect(() => parsePublicKey('AAAA')).toThrow();
  });
});
