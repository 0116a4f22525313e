/**
 * A seeded chain of stores and members, day by day (issue 17): what HQ would receive, as
 * events ready for `HqStore.insertEvents`. Used by the uplift test (a known true effect),
 * the demo (history behind `npm start`'s dashboard: months of trading in a second) and
 * bench:hq (millions of events). Every event fits its registered schema.
 *
 * The model, simple enough to state the true effect of a campaign exactly:
 * - each joined member visits on a day with probability `visitProb`, at most once a day;
 *   a normal visit ends in a purchase with probability `purchaseProb`;
 * - during the campaign, a consenting member's first visit triggers the offer: the
 *   campaign holds back `holdout` of them (by the gateway's own hash, isHeldBack); that
 *   visit ends in a purchase with probability `triggerPurchaseProb`, plus `effect` when
 *   the member was sent the offer. Nothing else differs between the groups.
 * So over a window of W days from assignment, the true differences are
 *   visit rate: effect · (1 − visitProb·purchaseProb)^(W−1),  spend: effect · meanBasketCents.
 */
import { isHeldBack } from '../../gateway/core/offers/holdout';
import type { IngestedEvent } from '../hq/store';
import { eventDefinition } from '../schemas/catalogue';
import { mulberry32 } from '../../firmware-sim/store/prng';

export interface ChainSimOptions {
  seed: number;
  stores: number;
  members: number;
  days: number;
  /** Epoch ms of day 0, 00:00 UTC. */
  startMs: number;
  visitProb?: number;
  purchaseProb?: number;
  meanBasketCents?: number;
  /** Share of members who let presence place them (movement, offers). */
  consentShare?: number;
  /** Members join spread over the first `joinSpread` of the days (0: all on day 0). */
  joinSpread?: number;
  expiryDays?: number;
  zones?: readonly string[];
  /** Member numbers are this and a count (default M-). */
  memberPrefix?: string;
  /** Store ids (default store-001 …); `stores` of them are used. */
  storeIds?: readonly string[];
  campaign?: { id: string; fromDay: number; toDay: number; holdout: number; triggerPurchaseProb: number; effect: number };
}

export const trueUplift = (o: Required<Pick<ChainSimOptions, 'visitProb' | 'purchaseProb' | 'meanBasketCents'>> & { effect: number; windowDays: number }) => ({
  visitRate: o.effect * (1 - o.visitProb * o.purchaseProb) ** (o.windowDays - 1),
  spendCents: o.effect * o.meanBasketCents,
});

/** Seeded [0, 1): the store simulator's mulberry32, so both simulations share one generator. */
export const rng = mulberry32;

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const isoDay = (ms: number) => iso(ms).slice(0, 10);

interface SimMember {
  number: string;
  id: string;
  store: number;
  joinDay: number;
  consent: boolean;
  sales: number;
  points: number;
  tier: string;
  lots: { day: number; points: number }[];
  assigned: boolean;
}

/** Day by day, each day's events in time order. */
export function* simulateChain(opts: ChainSimOptions): Generator<IngestedEvent[]> {
  const o = {
    visitProb: 0.12,
    purchaseProb: 0.85,
    meanBasketCents: 2400,
    consentShare: 0.7,
    joinSpread: 0.6,
    expiryDays: 120,
    zones: ['entrance', 'bakery', 'fresh', 'coffee', 'wine', 'checkout'],
    ...opts,
  };
  const r = rng(o.seed);
  let seq = 0;
  const ulid = (ms: number) => {
    let t = ms;
    let head = '';
    for (let i = 0; i < 10; i++) {
      head = B32[t % 32] + head;
      t = Math.floor(t / 32);
    }
    let tail = '';
    let c = seq++;
    for (let i = 0; i < 16; i++) {
      tail = B32[i < 8 ? c % 32 : Math.floor(r() * 32)] + tail;
      c = Math.floor(c / 32);
    }
    return head + tail;
  };
  const storeId = (i: number) => o.storeIds?.[i] ?? `store-${String(i + 1).padStart(3, '0')}`;
  const members: SimMember[] = Array.from({ length: o.members }, (_, i) => ({
    number: `${o.memberPrefix ?? 'M-'}${i + 1}`,
    id: `01HSIM${String(i + 1).padStart(20, '0')}`,
    store: i % o.stores,
    joinDay: Math.floor(r() * o.days * o.joinSpread),
    consent: r() < o.consentShare,
    sales: 0,
    points: 0,
    tier: 'brons',
    lots: [],
    assigned: false,
  }));
  const receipts = new Map<number, number>();

  for (let day = 0; day < o.days; day++) {
    const out: IngestedEvent[] = [];
    const dayMs = o.startMs + day * DAY;
    const ev = (m: SimMember | undefined, store: number, type: string, timeMs: number, data: Record<string, unknown>) => {
      const s = storeId(store);
      // member and pointsDelta as the ingest derives them (createIngestHandler).
      const def = eventDefinition(type);
      if (!def) throw new Error(`sim: ${type} is not registered`);
      out.push({
        source: `/stores/${s}/gw-1`,
        id: ulid(timeMs),
        store: s,
        gateway: 'gw-1',
        type,
        time: iso(timeMs),
        timeMs,
        subject: null,
        member: def.member?.(data as never) ?? m?.number ?? null,
        pointsDelta: def.pointsDelta ? def.pointsDelta(data as never) : null,
        data: JSON.stringify(data),
        receivedAt: timeMs + 400,
      });
    };
    for (const m of members) {
      const who = { memberId: m.id, memberNumber: m.number };
      if (day === m.joinDay)
        ev(m, m.store, 'trouw.member.created.v1', dayMs + 9 * 3_600_000 + Math.floor(r() * 3_600_000), {
          memberId: m.id,
          number: m.number,
          consent: { presence: m.consent },
        });
      if (day < m.joinDay) continue;
      // Lots reaching their expiry: part of what they held is left and expires.
      while (m.lots.length && m.lots[0]!.day + o.expiryDays <= day) {
        const lot = m.lots.shift()!;
        const left = Math.min(m.points, Math.floor(lot.points * 0.35));
        if (left > 0) {
          m.points -= left;
          ev(m, m.store, 'trouw.points.expired.v1', dayMs + 2 * 3_600_000, {
            ...who,
            lotId: `lot-${m.number}-${lot.day}`,
            expiresOn: isoDay(dayMs),
            points: left,
            balance: m.points,
          });
        }
      }
      if (r() >= o.visitProb) continue;
      // Busy at lunch and after work; a store is another member's now and then.
      const store = r() < 0.9 ? m.store : Math.floor(r() * o.stores);
      const hour = [8, 10, 11, 12, 12, 13, 15, 16, 17, 17, 18, 18, 19, 20][Math.floor(r() * 14)]!;
      let t = dayMs + hour * 3_600_000 + Math.floor(r() * 3_000_000);
      const visitId = `v-${m.number}-${day}`;
      let buyProb = o.purchaseProb;
      if (m.consent) {
        ev(m, store, 'trouw.presence.visit-started.v1', t, { visitId, memberNumber: m.number, at: iso(t) });
        const n = 2 + Math.floor(r() * 3);
        const path = ['entrance', ...[...o.zones.slice(1, -1)].sort(() => r() - 0.5).slice(0, n - 1)];
        if (r() < 0.8) path.push('checkout');
        const zones: { zone: string; dwellMs: number; entries: number }[] = [];
        for (const zone of path) {
          const dwell = 20_000 + Math.floor(r() * 240_000);
          ev(m, store, 'trouw.presence.zone-entered.v1', t, { visitId, memberNumber: m.number, zone, at: iso(t) });
          const c = o.campaign;
          if (c && zone === 'coffee' && !m.assigned && day >= c.fromDay && day <= c.toDay) {
            m.assigned = true;
            const trigger = { kind: 'zone-entered', zone, visitId, at: iso(t) };
            const held = isHeldBack(c.id, m.number, c.holdout);
            const base = { offerId: `${c.id}-offer`, campaign: c.id, memberNumber: m.number, trigger, at: iso(t + 900) };
            if (held) {
              ev(m, store, 'trouw.offer.held-back.v1', t + 900, { ...base, holdout: c.holdout });
              buyProb = c.triggerPurchaseProb;
            } else {
              const sendId = ulid(t);
              ev(m, store, 'trouw.offer.sent.v1', t + 900, { ...base, sendId });
              if (r() < 0.9) ev(m, store, 'trouw.offer.shown.v1', t + 2_000, { ...base, sendId, at: iso(t + 2_000) });
              if (r() < 0.55) ev(m, store, 'trouw.offer.opened.v1', t + 30_000, { ...base, sendId, at: iso(t + 30_000) });
              buyProb = c.triggerPurchaseProb + c.effect;
              (m as SimMember & { sendId?: string }).sendId = sendId;
            }
          }
          ev(m, store, 'trouw.presence.zone-left.v1', t + dwell, {
            visitId,
            memberNumber: m.number,
            zone,
            enteredAt: iso(t),
            leftAt: iso(t + dwell),
            dwellMs: dwell,
            reason: 'switch',
          });
          zones.push({ zone, dwellMs: dwell, entries: 1 });
          t += dwell + 5_000;
        }
        ev(m, store, 'trouw.presence.visit-ended.v1', t + 60_000, {
          visitId,
          memberNumber: m.number,
          startedAt: iso(t - 600_000),
          endedAt: iso(t + 60_000),
          zones,
          reason: 'unseen',
        });
      }
      if (r() < 0.1)
        ev(m, store, 'trouw.card.tapped.v1', t - 120_000, { reader: 'kiosk reader', place: 'kiosk:k1', kind: 'ov-chipkaart', ...who, outcome: 'member' });
      if (r() >= buyProb) continue;
      const total = Math.round(o.meanBasketCents * (0.5 + r()));
      const points = Math.floor(total / 100);
      const receipt = (receipts.get(store) ?? 0) + 1;
      receipts.set(store, receipt);
      if (r() < 0.7)
        ev(m, store, 'trouw.card.tapped.v1', t - 20_000, {
          reader: 'lane reader',
          lane: 'lane-1',
          place: 'lane:lane-1',
          kind: 'ov-chipkaart',
          ...who,
          outcome: 'member',
        });
      m.points += points;
      m.sales++;
      m.lots.push({ day, points });
      ev(m, store, 'trouw.sale.completed.v1', t, {
        receipt: `R${receipt}`,
        lane: 'lane-1',
        ...who,
        memberKnown: true,
        totalCents: total,
        eligibleCents: total,
        pointsAwarded: points,
        balance: m.points,
        expiresOn: isoDay(dayMs + o.expiryDays * DAY),
      });
      const sendId = (m as SimMember & { sendId?: string }).sendId;
      if (sendId && r() < 0.5) {
        ev(m, store, 'trouw.offer.redeemed.v1', t + 10, {
          sendId,
          offerId: `${o.campaign!.id}-offer`,
          campaign: o.campaign!.id,
          memberNumber: m.number,
          trigger: { kind: 'zone-entered' },
          at: iso(t + 10),
          receipt: `R${receipt}`,
        });
      }
      (m as SimMember & { sendId?: string }).sendId = undefined;
      const tier = m.sales >= 15 ? 'goud' : m.sales >= 5 ? 'zilver' : 'brons';
      if (tier !== m.tier) {
        ev(m, store, 'trouw.member.tier-changed.v1', t + 20, { ...who, from: m.tier, to: tier, direction: 'up', on: isoDay(t) });
        m.tier = tier;
      }
      if (m.points >= 500 && r() < 0.3) {
        m.points -= 400;
        ev(m, store, 'trouw.voucher.issued.v1', t + 30, {
          ...who,
          code: `V${String(receipt).padStart(10, '0')}`,
          rewardId: 'coffee-free',
          points: 400,
          validUntil: isoDay(t + 30 * DAY),
          balance: m.points,
        });
      }
    }
    out.sort((a, b) => a.timeMs - b.timeMs);
    yield out;
  }
}

/** Ingests a whole simulation into an HQ store, in batches as the ingest's group commit makes them. */
export async function ingestSimulation(store: { insertEvents(b: IngestedEvent[]): Promise<boolean[]> }, opts: ChainSimOptions, batch = 500): Promise<number> {
  let n = 0;
  let pending: IngestedEvent[] = [];
  for (const day of simulateChain(opts)) {
    pending.push(...day);
    while (pending.length >= batch) {
      await store.insertEvents(pending.slice(0, batch));
      pending = pending.slice(batch);
      n += batch;
    }
  }
  if (pending.length) await store.insertEvents(pending);
  return n + pending.length;
}
