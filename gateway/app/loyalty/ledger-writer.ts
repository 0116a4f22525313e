/**
 * Ledger writes, to be called INSIDE a transaction: they apply the core's account and lot
 * rules and write entries, lots and the member's cached balance together. The caller
 * writes the outbox event for the change in the same transaction.
 *
 * Keys make each entry idempotent at the row level too (unique `key`): `sale:{id}:earn`,
 * `sale:{id}:settle`, `return:{id}:reverse`, `lot:{id}:expire`; a burn brings its own key.
 */
import type { LedgerEntry, LedgerRepo } from '../../adapters/sqlite/ledger-repo';
import type { MemberRow, MembersRepo } from '../../adapters/sqlite/members-repo';
import { applyEarn, applyReverse, type Account } from '../../core/loyalty/account';
import { takeFromLots } from '../../core/loyalty/lots';
import { err, ok, type Result } from '../../core/result';
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

  /** Credits a sale's points: settles the deficit first, the rest becomes a lot. */
  function earn(member: MemberRow, p: { points: number; saleId: number; expiresOn: string; at: number }): EarnResult {
    const outcome = applyEarn(member, p.points);
    const entries: LedgerEntry[] = [];
    if (p.points > 0) {
      entries.push({
        id: ids(), key: `sale:${p.saleId}:earn`, memberId: member.id, kind: 'earn',
        points: p.points, deficitDelta: 0, saleId: p.saleId, reason: null, at: p.at,
      });
    }
    if (outcome.settled > 0) {
      entries.push({
        id: ids(), key: `sale:${p.saleId}:settle`, memberId: member.id, kind: 'adjust',
        points: -outcome.settled, deficitDelta: -outcome.settled, saleId: p.saleId, reason: 'deficit-settled', at: p.at,
      });
    }
    for (const e of entries) ledger.insertEntry(e);
    if (outcome.credited > 0) {
      ledger.insertLot({
        id: ids(), memberId: member.id, saleId: p.saleId, earned: outcome.credited, remaining: outcome.credited,
        expiresOn: p.expiresOn, createdAt: p.at,
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
    if (outcome.taken > 0) {
      const { takes, taken } = takeFromLots(ledger.openLots(member.id), outcome.taken, p.saleId);
      // Σ lots = balance is an invariant; a shortfall here means the cache is corrupt.
      if (taken !== outcome.taken) throw new Error(`ledger inconsistent: lots hold less than the cached balance of member ${member.id}`);
      for (const t of takes) ledger.setLotRemaining(member.id, t.lotId, t.remaining);
    }
    const entry: LedgerEntry = {
      id: ids(), key: `return:${p.returnId}:reverse`, memberId: member.id, kind: 'reverse',
      points: -outcome.taken, deficitDelta: outcome.deficitAdded, saleId: p.saleId, reason: null, at: p.at,
    };
    ledger.insertEntry(entry);
    members.setAccount(member.id, outcome.account.balance, outcome.account.deficit);
    return { entries: [entry], taken: outcome.taken, deficitAdded: outcome.deficitAdded, account: outcome.account };
  }

  /**
   * Spends points (redemption), oldest-expiring lots first. Refused, not clamped, when the
   * balance is short: a spend is asked for, unlike a reversal that must happen.
   */
  function burn(member: MemberRow, p: { points: number; key: string; at: number; reason?: string }): Result<{ entry: LedgerEntry; account: Account }, { code: 'not-enough-points'; balance: number }> {
    if (!Number.isSafeInteger(p.points) || p.points <= 0) throw new RangeError(`burn needs positive points: ${p.points}`);
    if (p.points > member.balance) return err({ code: 'not-enough-points', balance: member.balance });
    const { takes, taken } = takeFromLots(ledger.openLots(member.id), p.points);
    if (taken !== p.points) throw new Error(`ledger inconsistent: lots hold less than the cached balance of member ${member.id}`);
    for (const t of takes) ledger.setLotRemaining(member.id, t.lotId, t.remaining);
    const entry: LedgerEntry = {
      id: ids(), key: p.key, memberId: member.id, kind: 'burn',
      points: -p.points, deficitDelta: 0, saleId: null, reason: p.reason ?? null, at: p.at,
    };
    ledger.insertEntry(entry);
    const account = { balance: member.balance - p.points, deficit: member.deficit };
    members.setAccount(member.id, account.balance, account.deficit);
    return ok({ entry, account });
  }

  return { earn, reverse, burn };
}
export type LedgerWriter = ReturnType<typeof createLedgerWriter>;

/** The shape of ledger entries inside outbox events. */
export const entryEvent = (e: LedgerEntry) => ({ id: e.id, key: e.key, kind: e.kind, points: e.points, deficitDelta: e.deficitDelta });
