/**
 * Ledger writes, to be called INSIDE a transaction: they apply the core's account and lot
 * rules and write entries, lots and the member's cached balance together. The caller
 * writes the outbox event for the change in the same transaction.
 *
 * Keys make each entry idempotent at the row level too (unique `key`): `sale:{id}:earn`,
 * `sale:{id}:settle`, `return:{id}:reverse`, `lot:{id}:expire`; a burn, a debit and a
 * settlement bring their own key.
 *
 * Every taking of points from lots goes through `takeLots`: the lots must hold what the
 * cached balance says (Σ lots = balance), else the fault TROUW_LEDGER_INCONSISTENT.
 */
import type { LedgerEntry, LedgerRepo } from '../../adapters/sqlite/ledger-repo';
import type { MemberRow, MembersRepo } from '../../adapters/sqlite/members-repo';
import { applyEarn, applyReverse, type Account } from '../../core/loyalty/account';
import { takeFromLots } from '../../core/loyalty/lots';
import { err, ok, type Result } from '../../core/result';
import { fault } from '../../core/faults';
import type { IdFactory } from '../shared/ids';

export interface EarnResult {
  entries: LedgerEntry[];
  settled: number;
  credited: number;
  account: Account;
}

export interface ReverseResult {
  entries: LedgerEntry[];
  taken: number;
  deficitAdded: number;
  account: Account;
}

export function createLedgerWriter(deps: { members: MembersRepo; ledger: LedgerRepo; ids: IdFactory }) {
  const { members, ledger, ids } = deps;

  /** Takes `points` from the member's open lots (`saleId`'s own lot first, then oldest-expiring). */
  function takeLots(member: MemberRow, points: number, saleId?: number): void {
    if (points <= 0) return;
    const { takes, taken } = takeFromLots(ledger.openLots(member.id), points, saleId);
    // Σ lots = balance is an invariant; a shortfall here means the cache is corrupt.
    if (taken !== points) throw fault('TROUW_LEDGER_INCONSISTENT', `lots hold less than the cached balance of member ${member.id}`);
    for (const t of takes) ledger.setLotRemaining(member.id, t.lotId, t.remaining);
  }

  /** Credits a sale's points: settles the deficit first, the rest becomes a lot. */
  function earn(member: MemberRow, p: { points: number; saleId: number; expiresOn: string; at: number }): EarnResult {
    const outcome = applyEarn(member, p.points);
    const entries: LedgerEntry[] = [];
    if (p.points > 0) {
      entries.push({
        id: ids(),
        key: `sale:${p.saleId}:earn`,
        memberId: member.id,
        kind: 'earn',
        points: p.points,
        deficitDelta: 0,
        saleId: p.saleId,
        reason: null,
        at: p.at,
      });
    }
    if (outcome.settled > 0) {
      entries.push({
        id: ids(),
        key: `sale:${p.saleId}:settle`,
        memberId: member.id,
        kind: 'adjust',
        points: -outcome.settled,
        deficitDelta: -outcome.settled,
        saleId: p.saleId,
        reason: 'deficit-settled',
        at: p.at,
      });
    }
    for (const e of entries) ledger.insertEntry(e);
    if (outcome.credited > 0) {
      ledger.insertLot({
        id: ids(),
        memberId: member.id,
        saleId: p.saleId,
        earned: outcome.credited,
        remaining: outcome.credited,
        expiresOn: p.expiresOn,
        createdAt: p.at,
      });
    }
    if (entries.length > 0) members.setAccount(member.id, outcome.account.balance, outcome.account.deficit);
    return { entries, settled: outcome.settled, credited: outcome.credited, account: outcome.account };
  }

  /**
   * Reverses points of a sale (refund, void): takes what the balance holds — the sale's own
   * lot first, then oldest-expiring — and records the rest as deficit.
   */
  function reverse(member: MemberRow, p: { points: number; saleId: number; returnId: number; at: number }): ReverseResult {
    const outcome = applyReverse(member, p.points);
    if (p.points === 0) return { entries: [], taken: 0, deficitAdded: 0, account: outcome.account };
    takeLots(member, outcome.taken, p.saleId);
    const entry: LedgerEntry = {
      id: ids(),
      key: `return:${p.returnId}:reverse`,
      memberId: member.id,
      kind: 'reverse',
      points: -outcome.taken,
      deficitDelta: outcome.deficitAdded,
      saleId: p.saleId,
      reason: null,
      at: p.at,
    };
    ledger.insertEntry(entry);
    members.setAccount(member.id, outcome.account.balance, outcome.account.deficit);
    return { entries: [entry], taken: outcome.taken, deficitAdded: outcome.deficitAdded, account: outcome.account };
  }

  /**
   * Spends points (redemption), oldest-expiring lots first. Refused, not clamped, when the
   * balance is short: a spend is asked for, unlike a reversal that must happen.
   */
  function burn(
    member: MemberRow,
    p: { points: number; key: string; at: number; reason?: string },
  ): Result<{ entry: LedgerEntry; account: Account }, { code: 'not-enough-points'; balance: number }> {
    if (!Number.isSafeInteger(p.points) || p.points <= 0) throw new RangeError(`burn needs positive points: ${p.points}`);
    if (p.points > member.balance) return err({ code: 'not-enough-points', balance: member.balance });
    takeLots(member, p.points);
    const entry: LedgerEntry = {
      id: ids(),
      key: p.key,
      memberId: member.id,
      kind: 'burn',
      points: -p.points,
      deficitDelta: 0,
      saleId: null,
      reason: p.reason ?? null,
      at: p.at,
    };
    ledger.insertEntry(entry);
    const account = { balance: member.balance - p.points, deficit: member.deficit };
    members.setAccount(member.id, account.balance, account.deficit);
    return ok({ entry, account });
  }

  /** Negative adjustment (an HQ command): oldest-expiring lots first; what the balance lacks becomes deficit. */
  function debit(
    member: MemberRow,
    p: { points: number; key: string; reason: string; at: number },
  ): { entry: LedgerEntry; account: Account; taken: number; deficitAdded: number } {
    const outcome = applyReverse(member, p.points);
    takeLots(member, outcome.taken);
    const entry: LedgerEntry = {
      id: ids(),
      key: p.key,
      memberId: member.id,
      kind: 'adjust',
      points: -outcome.taken,
      deficitDelta: outcome.deficitAdded,
      saleId: null,
      reason: p.reason,
      at: p.at,
    };
    ledger.insertEntry(entry);
    members.setAccount(member.id, outcome.account.balance, outcome.account.deficit);
    return { entry, account: outcome.account, taken: outcome.taken, deficitAdded: outcome.deficitAdded };
  }

  /**
   * Sets the account to what HQ settled (balance and debt as of a snapshot): the difference
   * in points becomes a lot (more) or is taken from lots (less), as one `adjust` entry.
   */
  function settle(
    member: MemberRow,
    p: { balance: number; debt: number; key: string; reason: string; expiresOn: string; at: number },
  ): { points: number; deficitDelta: number } {
    const points = p.balance - member.balance;
    const deficitDelta = p.debt - member.deficit;
    if (points > 0)
      ledger.insertLot({ id: ids(), memberId: member.id, saleId: null, earned: points, remaining: points, expiresOn: p.expiresOn, createdAt: p.at });
    else takeLots(member, -points);
    ledger.insertEntry({ id: ids(), key: p.key, memberId: member.id, kind: 'adjust', points, deficitDelta, saleId: null, reason: p.reason, at: p.at });
    members.setAccount(member.id, p.balance, p.debt);
    return { points, deficitDelta };
  }

  /**
   * Credits points that are not a sale's earning (a cancelled voucher, a bonus) as an `adjust`
   * entry; each part becomes a lot with its own expiry date. Settles a deficit first, like earning.
   */
  function credit(
    member: MemberRow,
    p: { key: string; reason: string; parts: { points: number; expiresOn: string }[]; now: number },
  ): { entries: LedgerEntry[]; account: Account } {
    const points = p.parts.reduce((a, x) => a + x.points, 0);
    const outcome = applyEarn(member, points);
    const entries: LedgerEntry[] = [];
    if (points <= 0) return { entries, account: { balance: member.balance, deficit: member.deficit } };
    const entry: LedgerEntry = {
      id: ids(),
      key: p.key,
      memberId: member.id,
      kind: 'adjust',
      points,
      deficitDelta: 0,
      saleId: null,
      reason: p.reason,
      at: p.now,
    };
    ledger.insertEntry(entry);
    entries.push(entry);
    if (outcome.settled > 0) {
      const settle: LedgerEntry = {
        id: ids(),
        key: `${p.key}:settle`,
        memberId: member.id,
        kind: 'adjust',
        points: -outcome.settled,
        deficitDelta: -outcome.settled,
        saleId: null,
        reason: 'deficit-settled',
        at: p.now,
      };
      ledger.insertEntry(settle);
      entries.push(settle);
    }
    // The deficit is settled from the soonest-expiring parts first; the rest become lots.
    let toSettle = outcome.settled;
    for (const part of [...p.parts].sort((a, b) => (a.expiresOn < b.expiresOn ? -1 : 1))) {
      const settle = Math.min(toSettle, part.points);
      toSettle -= settle;
      const left = part.points - settle;
      if (left > 0)
        ledger.insertLot({ id: ids(), memberId: member.id, saleId: null, earned: left, remaining: left, expiresOn: part.expiresOn, createdAt: p.now });
    }
    members.setAccount(member.id, outcome.account.balance, outcome.account.deficit);
    return { entries, account: outcome.account };
  }

  return { earn, reverse, burn, debit, settle, credit };
}
export type LedgerWriter = ReturnType<typeof createLedgerWriter>;

/** The shape of ledger entries inside outbox events. */
export const entryEvent = (e: LedgerEntry) => ({ id: e.id, key: e.key, kind: e.kind, points: e.points, deficitDelta: e.deficitDelta });
