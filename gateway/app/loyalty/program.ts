/**
 * The loyalty program's ledger-side operations, to be called INSIDE a transaction (like
 * ledger.ts): tier state kept with each sale and return, spending within the offline budget
 * and the daily cap, crediting points back (voucher cancel, bonuses). Each change that
 * moves points writes its ledger entry here; the caller writes its outbox event in the same
 * transaction. Tier changes write their own event.
 */
import { Value } from '@sinclair/typebox/value';
import type { LedgerEntry, LedgerRepo } from '../../adapters/sqlite/ledger-repo';
import type { MemberRow, MembersRepo } from '../../adapters/sqlite/members-repo';
import type { OutboxWriter } from '../../../sync/gateway/outbox-writer';
import { createProgramRepo, type ProgramRepo, type ProgramRow } from '../../adapters/sqlite/program-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import { ProgramConfig } from '../../config/loyalty-program-schema';
import type { Account } from '../../core/loyalty/account';
import { checkSpend, spendable, type SpendRefusal, type SpendState } from '../../core/loyalty/budget';
import { addDays, monthIndex, monthKey } from '../../core/loyalty/dates';
import { takeFromLots } from '../../core/loyalty/lots';
import { tierAt, type Activity, type MonthActivity, type TierStatus } from '../../core/loyalty/tiers';
import { err, ok, type Result } from '../../core/result';
import type { MemberView } from '../../core/till/messages';
import type { IdFactory } from '../shared/ids';
import type { LedgerWriter } from './ledger-writer';
import { TierChanged } from '../../../sync/schemas/loyalty-events';

export const defaultProgram = (): ProgramConfig => Value.Default(ProgramConfig, {}) as ProgramConfig;

export interface SpendTake {
  lotId: string;
  take: number;
  expiresOn: string;
}

export interface SpendOutcome {
  entry: LedgerEntry;
  account: Account;
  takes: SpendTake[];
}

export function createProgram(deps: {
  db: Db;
  config: ProgramConfig;
  ids: IdFactory;
  members: MembersRepo;
  ledger: LedgerRepo;
  writer: LedgerWriter;
  outbox: OutboxWriter;
}) {
  const { config, ledger, writer, outbox } = deps;
  const repo: ProgramRepo = createProgramRepo(deps.db);
  const tiers = config.tiers;
  const lowest = tiers.levels[0]!;
  // The tier needs at most the current window, the last two review windows: this many months back.
  const monthsBack = 3 * tiers.periodMonths + 1;

  function activityOf(memberId: string, date: string): Map<string, MonthActivity> {
    const rows = repo.activitySince(memberId, monthKey(monthIndex(date) - monthsBack));
    return new Map(rows.map((r) => [r.month, { points: r.points, cents: r.cents }]));
  }

  const status = (member: MemberRow, date: string): TierStatus => tierAt(tiers, activityOf(member.id, date), date);

  /**
   * Recomputes and stores the member's tier; writes `member.tier-changed` when it changed.
   * A member without a program row holds the lowest tier: the row is written only when there
   * is something to keep (a higher tier here, a snapshot, a birthday), so a sale that leaves a
   * member at the lowest tier writes no program row. `activity`: the member's activity as
   * already read in this transaction (with this change applied), to save reading it again.
   */
  function refreshTier(
    member: MemberRow,
    date: string,
    now: number,
    activity?: Map<string, MonthActivity>,
  ): { from: string; to: string; changed: boolean; row: ProgramRow | undefined } {
    const row = repo.get(member.id);
    const before = row?.tier ?? lowest.id;
    const after = tierAt(tiers, activity ?? activityOf(member.id, date), date).tier.id;
    if (before === after) return { from: before, to: after, changed: false, row };
    if (row) repo.setTier(member.id, after, date);
    else repo.insertTier(member.id, after, date);
    const rank = (id: string) => tiers.levels.findIndex((l) => l.id === id);
    outbox.append({
      event: TierChanged,
      subject: member.id,
      at: now,
      data: { memberId: member.id, memberNumber: member.number, from: before, to: after, direction: rank(after) > rank(before) ? 'up' : 'down', on: date },
    });
    return { from: before, to: after, changed: true, row: row && { ...row, tier: after, tierSince: date } };
  }

  /**
   * Adds a sale's (positive) or a return's (negative) qualifying amounts and recomputes the tier.
   * `activity`: the member's activity read for `date` in this transaction (activityFor); it is
   * updated in place with the change, so the caller can go on using it.
   */
  function recordActivity(member: MemberRow, date: string, delta: MonthActivity, now: number, activity?: Map<string, MonthActivity>) {
    const month = date.slice(0, 7);
    if (delta.points !== 0 || delta.cents !== 0) {
      repo.addActivity(member.id, month, delta.points, delta.cents);
      if (activity) {
        const was = activity.get(month);
        activity.set(month, { points: (was?.points ?? 0) + delta.points, cents: (was?.cents ?? 0) + delta.cents });
      }
    }
    return refreshTier(member, date, now, activity);
  }

  /**
   * Points of sales still inside the return window (`program.pending.returnDays`), not yet
   * spendable: the net points (earned − reversed) of the member's sales whose business date
   * is after today − returnDays. A sale of 15 June with 14 days is spendable from 29 June.
   */
  function pendingPoints(member: MemberRow, today: string): number {
    const days = config.pending.returnDays;
    if (days === 0 || member.balance === 0) return 0;
    return Math.max(0, Math.min(member.balance, repo.pendingAfter(member.id, addDays(today, -days))));
  }

  function spendState(member: MemberRow, today: string, known?: { readonly row: ProgramRow | undefined }): SpendState {
    const p = known ? known.row : repo.get(member.id);
    const snapshot = p?.hqBalance != null && p.hqAsOf != null ? { balance: p.hqBalance, netSince: repo.netSince(member.id, p.hqAsOf) } : null;
    return {
      balance: member.balance - pendingPoints(member, today),
      snapshot,
      spentToday: repo.spentOn(member.id, today),
      dailyCap: config.offline.dailySpendCap,
      withoutSnapshot: config.offline.withoutSnapshot,
    };
  }

  /**
   * Spends points within the offline budget and daily cap, oldest-expiring lots first.
   * Refused (nothing written) beyond either limit, with the reason.
   */
  function spend(member: MemberRow, p: { points: number; key: string; reason: string; today: string; now: number }): Result<SpendOutcome, SpendRefusal> {
    const allowed = checkSpend(spendState(member, p.today), p.points);
    if (!allowed.ok) return allowed;
    const lots = ledger.openLots(member.id);
    // The same deterministic choice burn() makes: remembered so a cancel can give the same dates back.
    const byId = new Map(lots.map((l) => [l.id, l.expiresOn]));
    const takes = takeFromLots(lots, p.points).takes.map((t) => ({ lotId: t.lotId, take: t.take, expiresOn: byId.get(t.lotId)! }));
    const burnt = writer.burn(member, { points: p.points, key: p.key, at: p.now, reason: p.reason });
    if (!burnt.ok) return err({ code: 'not-enough-points', available: burnt.error.balance, message: `not enough points: ${burnt.error.balance} available` });
    repo.ensure(member.id, lowest.id, p.today);
    repo.addSpend(member.id, p.today, p.points);
    return ok({ ...burnt.value, takes });
  }

  /** Credits points that are not a sale's earning: the ledger writer's `credit` (deficit first, then lots). */
  const credit = writer.credit;

  /** The member as the till and kiosk show them, with tier, benefits and what may be spent today. */
  /**
   * `known`: what the caller already read in this transaction (a sale: the activity with the
   * sale applied, and the program row), so it is not read again.
   */
  function view(member: MemberRow, date: string, balance = member.balance, known?: { activity: Activity; row: ProgramRow | undefined }): MemberView {
    const s = known ? tierAt(tiers, known.activity, date) : status(member, date);
    const state = spendState({ ...member, balance }, date, known);
    return {
      number: member.number,
      name: member.name,
      balance,
      tier: s.tier.id,
      tierName: s.tier.name,
      benefits: s.tier.benefits,
      spendable: spendable(state).available,
    };
  }

  /** HQ's confirmed balance (sync calls it through app/offline-budget.ts). Older snapshots are ignored. */
  function applySnapshot(member: MemberRow, balance: number, asOf: number, today: string): boolean {
    repo.ensure(member.id, lowest.id, today);
    const p = repo.get(member.id)!;
    if (p.hqAsOf != null && p.hqAsOf >= asOf) return false;
    repo.setSnapshot(member.id, balance, asOf);
    return true;
  }

  /**
   * The member's activity as the tier on `date` needs it (one read), for a caller that works
   * out the tier more than once in one transaction (a sale: multiplier, update, answer). It
   * holds every month from the window before `date` on, so it also serves any later date.
   */
  const activityFor = (member: MemberRow, date: string): Map<string, MonthActivity> => activityOf(member.id, date);

  return {
    config,
    repo,
    status,
    activityFor,
    refreshTier,
    pendingPoints,
    recordActivity,
    spendState,
    spend,
    credit,
    view,
    applySnapshot,
    multiplierOf: (m: MemberRow, date: string) => status(m, date).tier.multiplier,
  };
}
export type Program = ReturnType<typeof createProgram>;
