/**
 * Events → rollup deltas (pure: no I/O; the ingest hands in the events it has just stored).
 * What each event type contributes is listed in docs/hq-insights.md. Events of types not
 * named here contribute nothing. Only members' events feed member-level rollups: fixed tags
 * in presence events are not people and are skipped.
 */
import type { IngestedEvent } from '../store';
import type { RollupConfig } from './config';
import type { LocalClock } from './local-clock';
import { RollupDelta, TOUCH_BITS, type Touchpoint } from './rows';
import { CardTapped } from '../../schemas/card-events';
import { PointsAdjusted } from '../../schemas/command-events';
import { PointsBonus, PointsExpired, PointsSpent, TierChanged, VoucherCancelled, VoucherIssued } from '../../schemas/loyalty-events';
import { MemberCreated } from '../../schemas/member-events';
import { OfferEvents, OfferHeldBack } from '../../schemas/offer-events';
import { PresenceVisitEnded, PresenceZoneEntered, PresenceZoneLeft } from '../../schemas/presence-events';
import { SaleCompleted, SaleRefunded, SaleVoided } from '../../schemas/till-events';

type Data = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Metric names in hq_r_daily (the queries use the same constants). */
export const M = {
  sales: 'sales',
  memberSales: 'sales.member',
  earned: 'points.earned',
  redeemed: 'points.redeemed',
  expired: 'points.expired',
  reversed: 'points.reversed',
  adjusted: 'points.adjusted',
  due: 'points.due',
  joined: 'members.joined',
  tierMove: 'tier.move',
  zone: 'zone',
  path: 'path',
  /** hq_r_distinct, chain-wide (store ''): only for the daily member counts of the k check. (hq_r_daily has a chain row, store '', for every store row.) */
  zoneChain: 'zone.chain',
  pathChain: 'path.chain',
  offer: (kind: string) => `offer.${kind}`,
  /** hq_r_distinct only; per store and chain-wide (store ''), per month (day = YYYY-MM-01). */
  active: 'active',
} as const;

/** Offer event type → the kind its rollup metric is named by (`offer.<kind>`). */
const OFFER_KINDS: ReadonlyMap<string, string> = new Map([
  ...Object.entries(OfferEvents).map(([kind, def]) => [def.type, kind] as const),
  [OfferHeldBack.type, 'held-back'],
]);
/** The store of chain-wide rows. */
export const CHAIN = '';
/** A path is the first zones of a visit, in order, repeats merged; longer paths are cut here. */
export const PATH_ZONES = 4;

export function deriveRollups(events: readonly IngestedEvent[], cfg: RollupConfig, clock: LocalClock): RollupDelta {
  const d = new RollupDelta();
  for (const e of events) derive(d, e, cfg, clock);
  return d;
}

function derive(d: RollupDelta, e: IngestedEvent, cfg: RollupConfig, clock: LocalClock): void {
  const t = e.type;
  if (!t.startsWith('trouw.')) return;
  const at = clock.stamp(e.timeMs);
  const store = e.store;
  const member = e.member;
  const data = (): Data => JSON.parse(e.data) as Data;
  // Every daily row also goes to the chain's row (store ''), so chain-wide charts read one
  // row per day and dim instead of one per store (bench:hq: 1.4 s → ms for movement at 1M).
  const daily = (st: string, day: string, metric: string, dim: string, n: number, amount: number) => {
    d.addDaily(st, day, metric, dim, n, amount);
    d.addDaily(CHAIN, day, metric, dim, n, amount);
  };
  const points = (delta: number) => {
    if (!member || delta === 0) return;
    d.addMember({ member, joinedMs: e.timeMs, joinedMonth: at.month, firstStore: store, points: delta });
    d.addMemberStore(member, store, delta, 0, 0);
  };

  switch (t) {
    case SaleCompleted.type: {
      const x = data();
      const total = num(x.totalCents);
      const pts = num(x.pointsAwarded);
      daily(store, at.day, M.sales, '', 1, total);
      if (pts > 0) {
        daily(store, at.day, M.earned, '', 1, pts);
        const exp = str(x.expiresOn);
        if (exp) daily(store, exp, M.due, '', 1, pts);
      }
      if (!member) return;
      daily(store, at.day, M.memberSales, '', 1, total);
      d.addMember({ member, joinedMs: e.timeMs, joinedMonth: at.month, firstStore: store, lastSaleMs: e.timeMs, sales: 1, spendCents: total, points: pts });
      d.addMemberStore(member, store, pts, 1, total);
      d.addMemberDay(member, at.day, store, 1, total);
      d.addDistinct(store, `${at.month}-01`, M.active, '', member);
      // And chain-wide (store ''): the cohorts count members without a DISTINCT over stores.
      d.addDistinct(CHAIN, `${at.month}-01`, M.active, '', member);
      return;
    }
    case SaleRefunded.type:
    case SaleVoided.type: {
      const p = num(data().pointsReversed);
      daily(store, at.day, M.reversed, '', 1, p);
      return points(-p);
    }
    case PointsExpired.type: {
      const x = data();
      const p = num(x.points);
      daily(store, at.day, M.expired, '', 1, p);
      const exp = str(x.expiresOn);
      // What expired is no longer due: the lot's scheduled amount, minus what is gone now.
      if (exp) daily(store, exp, M.due, '', 0, -p);
      return points(-p);
    }
    case PointsAdjusted.type: {
      const p = num(data().points);
      daily(store, at.day, M.adjusted, '', 1, p);
      return points(p);
    }
    case VoucherIssued.type:
    case PointsSpent.type: {
      const p = num(data().points);
      daily(store, at.day, M.redeemed, '', 1, p);
      return points(-p);
    }
    case VoucherCancelled.type: {
      const p = num(data().points);
      daily(store, at.day, M.redeemed, '', -1, -p);
      return points(p);
    }
    case PointsBonus.type: {
      const p = num(data().points);
      daily(store, at.day, M.earned, '', 1, p);
      return points(p);
    }
    case MemberCreated.type:
      daily(store, at.day, M.joined, '', 1, 0);
      if (member) d.addMember({ member, joinedMs: e.timeMs, joinedMonth: at.month, firstStore: store });
      return;
    case TierChanged.type: {
      const x = data();
      daily(store, at.day, M.tierMove, `${str(x.from) ?? '?'}>${str(x.to) ?? '?'}`, 1, 0);
      if (member) d.addMember({ member, joinedMs: e.timeMs, joinedMonth: at.month, firstStore: store, tier: str(x.to) ?? null, tierAt: e.timeMs });
      return;
    }
    case CardTapped.type: {
      if (!member) return;
      const x = data();
      const place = str(x.place) ?? (str(x.lane) ? 'lane:' : '');
      const kind: Touchpoint = place.startsWith('kiosk:') ? 'kiosk-tap' : 'card-at-till';
      d.addMemberDay(member, at.day, store, 0, 0, TOUCH_BITS[kind]);
      return;
    }
    case PresenceZoneEntered.type:
      if (member) d.addMemberDay(member, at.day, store, 0, 0, TOUCH_BITS['zone-visit']);
      return;
    case PresenceZoneLeft.type: {
      if (!member) return;
      const x = data();
      const zone = str(x.zone);
      if (!zone) return;
      const entered = Date.parse(String(x.enteredAt));
      const when = Number.isFinite(entered) ? clock.stamp(entered) : at;
      const cell = `${zone}|${when.hourOfWeek}`;
      daily(store, when.day, M.zone, cell, 1, num(x.dwellMs));
      d.addDistinct(store, when.day, M.zone, cell, member);
      d.addDistinct(CHAIN, when.day, M.zoneChain, cell, member);
      return;
    }
    case PresenceVisitEnded.type: {
      if (!member) return;
      const zones = (data().zones as { zone?: unknown }[] | undefined) ?? [];
      const path: string[] = [];
      for (const z of zones) {
        const name = str(z?.zone);
        if (name && path[path.length - 1] !== name) path.push(name);
        if (path.length >= PATH_ZONES) break;
      }
      if (path.length < 2) return;
      const p = path.join(' > ');
      daily(store, at.day, M.path, p, 1, 0);
      d.addDistinct(store, at.day, M.path, p, member);
      d.addDistinct(CHAIN, at.day, M.pathChain, p, member);
      return;
    }
  }

  const kind = OFFER_KINDS.get(t);
  if (kind) {
    const x = data();
    const campaign = str(x.campaign);
    if (!campaign) return;
    daily(store, at.day, M.offer(kind), campaign, 1, 0);
    if (kind === 'sent' || kind === 'held-back') {
      daily(store, at.day, M.offer('triggered'), campaign, 1, 0);
      if (member) {
        d.addExposure({
          campaign,
          member,
          grp: kind === 'sent' ? 'treated' : 'held-back',
          store,
          assignedMs: e.timeMs,
          assignedDay: at.day,
          windowEndDay: clock.addDays(at.day, cfg.upliftWindowDays),
        });
      }
    }
    if (kind === 'opened' && member) d.addMemberDay(member, at.day, store, 0, 0, TOUCH_BITS['offer-opened']);
    if (kind === 'redeemed') {
      const p = num(x.points);
      if (p > 0) {
        daily(store, at.day, M.earned, '', 1, p);
        points(p);
      }
    }
  }
}
