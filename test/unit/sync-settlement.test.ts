import { describe, expect, it } from 'vitest';
import { compareEvents, settle, type PointsEvent } from '../../sync/hq/settlement';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const ev = (source: string, id: string, minutes: number, type: string, delta: number): PointsEvent => ({
  source,
  id,
  store: source.split('/')[2] ?? source,
  type,
  timeMs: T0 + minutes * 60_000,
  delta,
});
const A = '/stores/store-a/gw';
const B = '/stores/store-b/gw';

/** Deterministic shuffle (mulberry32). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('HQ settlement', () => {
  const twoStoresSpendTheSamePoints = [
    ev(A, '01A', 0, 'trouw.sale.completed.v1', 1000),
    ev(A, '01B', 60, 'trouw.points.spent.v1', -800),
    ev(B, '01C', 61, 'trouw.voucher.issued.v1', -800),
  ];

  it('two stores spend the same points offline: the later spend in event order leaves the debt', () => {
    const s = settle(twoStoresSpendTheSamePoints);
    expect(s).toMatchObject({ balance: 0, debt: 600, asOf: T0 + 61 * 60_000, stores: ['store-a', 'store-b'] });
    expect(s.lines.map((l) => [l.id, l.kind, l.applied, l.debtDelta])).toEqual([
      ['01A', 'earn', 1000, 0],
      ['01B', 'spend', -800, 0],
      ['01C', 'spend', -200, 600],
    ]);
  });

  it('no entry is lost: every event is one line, a duplicate counts once', () => {
    const s = settle([...twoStoresSpendTheSamePoints, twoStoresSpendTheSamePoints[1]!]);
    expect(s.lines).toHaveLength(3);
    expect(s.debt).toBe(600);
    // Balance minus debt is the plain sum of what the stores reported.
    expect(s.balance - s.debt).toBe(1000 - 800 - 800);
  });

  it('order of delivery does not matter', () => {
    const events = [
      ...twoStoresSpendTheSamePoints,
      ev(B, '02A', 90, 'trouw.points.bonus.v1', 250),
      ev(A, '02B', 90, 'trouw.points.spent.v1', -100),
      ev(B, '02C', 120, 'trouw.sale.refunded.v1', -50),
      ev(A, '02D', 130, 'trouw.points.adjusted.v1', 40),
      ev(A, '02E', 140, 'trouw.points.expired.v1', -500),
    ];
    const first = settle(events);
    for (let seed = 1; seed <= 50; seed++) expect(settle(shuffled(events, seed))).toEqual(first);
  });

  it('earnings pay the debt first; expiry never makes debt', () => {
    const s = settle([...twoStoresSpendTheSamePoints, ev(A, '03A', 100, 'trouw.sale.completed.v1', 700), ev(B, '03B', 200, 'trouw.points.expired.v1', -900)]);
    expect(s.lines[3]).toMatchObject({ kind: 'earn', applied: 100, debtDelta: -600, balance: 100, debt: 0 });
    expect(s.lines[4]).toMatchObject({ kind: 'expiry', applied: -100, debtDelta: 0, balance: 0, debt: 0 });
    expect(s).toMatchObject({ balance: 0, debt: 0 });
  });

  it('a reversal beyond the balance is debt too', () => {
    const s = settle([
      ev(A, 'a', 0, 'trouw.sale.completed.v1', 100),
      ev(A, 'b', 1, 'trouw.points.spent.v1', -100),
      ev(A, 'c', 2, 'trouw.sale.refunded.v1', -100),
    ]);
    expect(s).toMatchObject({ balance: 0, debt: 100 });
    expect(s.lines[2]!.kind).toBe('reversal');
  });

  it('random sequences: balance and debt never negative, balance − debt = Σ deltas without expiry overshoot', () => {
    const types = ['trouw.sale.completed.v1', 'trouw.points.spent.v1', 'trouw.voucher.issued.v1', 'trouw.points.bonus.v1', 'trouw.sale.refunded.v1'];
    for (let seed = 1; seed <= 200; seed++) {
      const evs: PointsEvent[] = shuffled(
        Array.from({ length: 40 }, (_, i) => {
          const type = types[(i * 7 + seed) % types.length]!;
          const mag = ((i * 131 + seed * 17) % 500) + 1;
          const sign = type === 'trouw.sale.completed.v1' || type === 'trouw.points.bonus.v1' ? 1 : -1;
          return ev(i % 2 ? A : B, `id-${String(i).padStart(3, '0')}`, (i * 13 + seed) % 97, type, sign * mag);
        }),
        seed,
      );
      const s = settle(evs);
      expect(s.lines).toHaveLength(40);
      expect(s.balance).toBeGreaterThanOrEqual(0);
      expect(s.debt).toBeGreaterThanOrEqual(0);
      expect(s.balance * s.debt).toBe(0);
      expect(s.balance - s.debt).toBe(evs.reduce((a, e) => a + e.delta, 0));
      for (let i = 1; i < s.lines.length; i++) expect(compareEvents(s.lines[i - 1]!, s.lines[i]!)).toBeLessThan(0);
    }
  });
});
