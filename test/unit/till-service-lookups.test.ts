import { afterEach, describe, expect, it } from 'vitest';
import { makeTill, line, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function setup() {
  const tt = makeTill({ rules: { multipliers: [{ category: 'drinks', factor: 2 }] } });
  const ada = tt.members.create({ number: 'M-100', name: 'Ada' });
  if (!ada.ok) throw new Error('setup');
  tt.members.linkCard(ada.value.id, 'tok-ada-0001');
  t = tt;
  return tt;
}

describe('till service: identify', () => {
  it('by member number, known and unknown', () => {
    const tt = setup();
    expect(tt.send({ type: 'identify', member: 'M-100' })).toMatchObject({
      type: 'identify.ok',
      member: { number: 'M-100', name: 'Ada', balance: 0, tier: 'brons', tierName: 'Brons', benefits: [], spendable: 0 },
    });
    const unknown = tt.send({ type: 'identify', member: 'M-999' });
    expect(unknown).toEqual({ v: 1, id: unknown.id, type: 'identify.ok', member: null, reason: 'unknown-member' });
  });

  it('by the card last tapped at this lane, consuming the tap', () => {
    const tt = setup();
    expect(tt.send({ type: 'identify', card: true })).toMatchObject({ member: null, reason: 'no-tap' });
    tt.taps.tap('lane-1', { kind: 'member', token: 'tok-ada-0001' });
    expect(tt.send({ type: 'identify', card: true }, 'lane-2')).toMatchObject({ member: null, reason: 'no-tap' });
    expect(tt.send({ type: 'identify', card: true })).toMatchObject({ member: { number: 'M-100' } });
    expect(tt.send({ type: 'identify', card: true })).toMatchObject({ reason: 'no-tap' });
    tt.taps.tap('lane-1', { kind: 'member', token: 'tok-unlinked' });
    expect(tt.send({ type: 'identify', card: true })).toMatchObject({ member: null, reason: 'unknown-card' });
    tt.taps.tap('lane-1', { kind: 'random-id' });
    expect(tt.send({ type: 'identify', card: true })).toMatchObject({ member: null, reason: 'random-id' });
    tt.taps.tap('lane-1', { kind: 'unreadable' });
    expect(tt.send({ type: 'identify', card: true })).toMatchObject({ member: null, reason: 'card-unreadable' });
  });

  it('replays a resent identify instead of taking another tap', () => {
    const tt = setup();
    tt.taps.tap('lane-1', { kind: 'member', token: 'tok-ada-0001' });
    const body = JSON.stringify({ v: 1, id: 'ID-1', type: 'identify', card: true });
    const first = tt.till.handleText(body, { lane: 'lane-1' });
    expect(JSON.parse(tt.till.handleText(body, { lane: 'lane-1' }))).toEqual({ ...JSON.parse(first), replayed: true });
    expect(JSON.parse(first)).toMatchObject({ member: { number: 'M-100' } });
  });

  it('answers without a card reader, for phone codes, and refuses an empty identify', () => {
    const tt = makeTill({ deps: { cardTaps: undefined } });
    t = tt;
    expect(tt.send({ type: 'identify', card: true })).toMatchObject({ reason: 'no-tap' });
    expect(tt.send({ type: 'identify', phoneCode: '123456' })).toMatchObject({ member: null, reason: 'unknown-member' });
    expect(tt.send({ type: 'identify' })).toMatchObject({ type: 'error', code: 'bad-request' });
  });
});

describe('till service: basket', () => {
  it('previews points with the same rules as a sale, without writing anything', () => {
    const tt = setup();
    const res = tt.send({ type: 'basket', member: 'M-100', lines: [line(1000), line(1000, 'drinks'), line(5000, 'tobacco')] });
    expect(res).toEqual({
      v: 1,
      id: res.id,
      type: 'basket.ok',
      member: { number: 'M-100', name: 'Ada', balance: 0, tier: 'brons', tierName: 'Brons', benefits: [], spendable: 0 },
      pointsPreview: 30,
      offers: [],
    });
    expect(tt.send({ type: 'basket', lines: [] })).toMatchObject({ member: null, pointsPreview: 0 });
    expect(tt.count('till_requests')).toBe(0);
    expect(tt.count('sales')).toBe(0);
  });
});

describe('till service: end-of-day', () => {
  it('counts sales, refunds (voids included) and points for the store-local date', () => {
    const tt = setup();
    tt.clock.set(Date.UTC(2024, 5, 15, 21, 0)); // 23:00 in Amsterdam
    tt.send(sale('E-1', [line(1000)], 'M-100'));
    tt.send(sale('E-2', [line(2000)]));
    tt.send({ type: 'refund', receipt: 'EF-1', original: 'E-1', lines: [{ sku: 'sku-food', qty: 1, amountCents: 1000 }] });
    tt.clock.set(Date.UTC(2024, 5, 15, 22, 30)); // 00:30 on the 16th in Amsterdam
    tt.send(sale('E-3', [line(3000)], 'M-100'));
    tt.send({ type: 'void', receipt: 'E-3' });
    expect(tt.send({ type: 'end-of-day', date: '2024-06-15' })).toMatchObject({
      type: 'end-of-day.ok',
      date: '2024-06-15',
      sales: 2,
      refunds: 1,
      pointsAwarded: 10,
      pointsReversed: 10,
    });
    expect(tt.send({ type: 'end-of-day' })).toMatchObject({ date: '2024-06-16', sales: 1, refunds: 1, pointsAwarded: 30, pointsReversed: 30 });
    expect(tt.send({ type: 'end-of-day', date: '2024-02-30' })).toMatchObject({ code: 'bad-request' });
    expect(tt.send({ type: 'end-of-day', date: '2023-01-01' })).toMatchObject({ sales: 0, refunds: 0, pointsAwarded: 0, pointsReversed: 0 });
  });
});
