/**
 * What the kiosk screen shows (issue 7), read for one member at a time: first name, balance,
 * tier and progress, points expiring soon (from point_lots), recent activity (from
 * ledger_entries), linked cards by kind and label, and the rewards the member can afford
 * when a rewards service is plugged in. Nothing here lists or searches members.
 */
import type { Db } from '../../adapters/sqlite/open-database';
import { createLedgerRepo, type EntryKind } from '../../adapters/sqlite/ledger-repo';
import type { LinkedCard } from '../../adapters/sqlite/cards-repo';
import { systemClock } from '../../ports/clock';
import { defaultProgram } from '../loyalty/program';
import { kioskTiersFrom } from './kiosk-tiers';
import { localDate } from '../../core/time/local-date';
import type { GatewayHealth } from '../../ports/health';
import type { Member } from '../members/members';

const DAY_MS = 86_400_000;

export interface KioskTier {
  name: string;
  /** The next tier and the points still needed; absent at the top (or with no tier rules). */
  next?: { name: string; pointsToGo: number };
  /** 0…1 towards the next tier (1 at the top). */
  progress: number;
}

export interface KioskReward {
  id: string;
  name: string;
  points: number;
}

/** Optional: the loyalty program's tiers, when configured (else every member is `standard`). */
export type KioskTiers = (member: Member) => KioskTier;

/** Optional: a rewards catalogue; without it the screen shows "rewards coming". */
export interface KioskRewards {
  affordable(member: Member): KioskReward[];
  /** Redeems exactly once per `requestKey`; the voucher code is what the till accepts. */
  redeem(member: Member, rewardId: string, requestKey: string): { ok: true; code: string; balance: number } | { ok: false; code: string; message: string };
}

export interface KioskMemberView {
  firstName: string;
  balance: number;
  tier: KioskTier;
  expiring: { on: string; points: number }[];
  expiringTotal: number;
  activity: { kind: EntryKind; points: number; at: number }[];
  cards: Omit<LinkedCard, 'linkedAt'>[];
  /** null: no rewards catalogue in this gateway yet. */
  rewards: KioskReward[] | null;
}

export const firstNameOf = (name: string) => name.trim().split(/\s+/)[0] ?? name;

export function createKioskViews(deps: {
  db: Db;
  timeZone: string;
  listCards: (memberId: string) => LinkedCard[];
  /** Default: the default program's tiers (the gateway passes its configured program's). */
  tiers?: KioskTiers;
  rewards?: KioskRewards;
  /** Days ahead that count as "expiring soon" (default 60). */
  expiringWithinDays?: number;
  /** How many ledger entries to show (default 8). */
  activityCount?: number;
}) {
  const ledger = createLedgerRepo(deps.db);
  const tiers = deps.tiers ?? kioskTiersFrom({ db: deps.db, clock: systemClock, timeZone: deps.timeZone, program: defaultProgram() });
  const within = deps.expiringWithinDays ?? 60;
  const activityCount = deps.activityCount ?? 8;
  const recent = deps.db.prepare<[string, number], { kind: EntryKind; points: number; at: number }>(
    // The member's range of the clustered primary key, newest ULID first.
    'SELECT kind, points, at FROM ledger_entries WHERE member_id = ? AND points <> 0 ORDER BY id DESC LIMIT ?',
  );
  const salesToday = deps.db.prepare<[string], { sales: number; points: number }>(
    'SELECT count(*) AS sales, coalesce(sum(points), 0) AS points FROM sales WHERE business_date = ? AND voided_at IS NULL',
  );

  return {
    member(m: Member, now: number): KioskMemberView {
      const limit = localDate(now + within * DAY_MS, deps.timeZone);
      const byDate = new Map<string, number>();
      for (const lot of ledger.openLots(m.id)) {
        if (lot.expiresOn > limit) break; // oldest-expiring first
        byDate.set(lot.expiresOn, (byDate.get(lot.expiresOn) ?? 0) + lot.remaining);
      }
      const expiring = [...byDate].map(([on, points]) => ({ on, points }));
      return {
        firstName: firstNameOf(m.name),
        balance: m.balance,
        tier: tiers(m),
        expiring: expiring.slice(0, 3),
        expiringTotal: expiring.reduce((a, e) => a + e.points, 0),
        activity: recent.all(m.id, activityCount),
        cards: deps.listCards(m.id).map(({ ref, kind, label }) => ({ ref, kind, label })),
        rewards: deps.rewards ? deps.rewards.affordable(m) : null,
      };
    },
    /** The staff view: device and lane states and today's counts; no member data. */
    staff(health: GatewayHealth, now: number, joinedToday: number) {
      const today = localDate(now, deps.timeZone);
      const counts = salesToday.get(today) ?? { sales: 0, points: 0 };
      return {
        status: health.status,
        readers: health.devices
          .filter((d) => d.kind === 'card-reader' || d.kind === 'pcsc' || d.kind === 'in-process')
          .map((d) => ({ name: d.name, state: d.state, detail: d.detail ?? null })),
        lanes: health.lanes.map((l) => ({ name: l.lane, state: l.state })),
        today: { date: today, sales: counts.sales, points: counts.points, joined: joinedToday },
      };
    },
  };
}
export type KioskViews = ReturnType<typeof createKioskViews>;
