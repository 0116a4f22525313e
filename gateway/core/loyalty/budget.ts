/**
 * The offline spending budget (DESIGN.md §7, issue 6), pure. A member may spend points in
 * this store up to
 *   min(local balance, HQ snapshot + local net change since the snapshot)
 * and at most `dailyCap` points per store-local day. The local net change counts every
 * ledger entry written here after the snapshot's `asOf` (earnings in, spends, expiry and
 * reversals out), so what HQ has not confirmed is only what this store itself did.
 * Without a snapshot the policy decides: the local balance, or nothing.
 */
import { err, ok, type Result } from '../result';

export interface SpendState {
  /** Local cached balance (Σ lots). */
  readonly balance: number;
  /** HQ's last confirmed balance and this store's net change since; null: HQ never confirmed. */
  readonly snapshot: { readonly balance: number; readonly netSince: number } | null;
  /** Points this member already spent here today (store-local day). */
  readonly spentToday: number;
  readonly dailyCap: number;
  readonly withoutSnapshot: 'local' | 'refuse';
}

export type SpendRefusal =
  | { readonly code: 'not-enough-points'; readonly available: number; readonly message: string }
  | { readonly code: 'over-offline-budget'; readonly available: number; readonly message: string }
  | { readonly code: 'over-daily-cap'; readonly available: number; readonly message: string }
  | { readonly code: 'no-hq-snapshot'; readonly available: 0; readonly message: string };

/** What may be spent now, and which limit binds. */
export function spendable(s: SpendState): { available: number; limit: SpendRefusal['code'] } {
  const capLeft = Math.max(0, s.dailyCap - s.spentToday);
  let budget: number;
  let budgetLimit: SpendRefusal['code'];
  if (s.snapshot) {
    budget = Math.max(0, s.snapshot.balance + s.snapshot.netSince);
    budgetLimit = budget < s.balance ? 'over-offline-budget' : 'not-enough-points';
    budget = Math.min(budget, s.balance);
  } else if (s.withoutSnapshot === 'refuse') {
    return { available: 0, limit: 'no-hq-snapshot' };
  } else {
    budget = s.balance;
    budgetLimit = 'not-enough-points';
  }
  return capLeft < budget ? { available: capLeft, limit: 'over-daily-cap' } : { available: budget, limit: budgetLimit };
}

export function checkSpend(s: SpendState, points: number): Result<{ available: number }, SpendRefusal> {
  if (!Number.isSafeInteger(points) || points <= 0) throw new RangeError(`spend needs positive points: ${points}`);
  const { available, limit } = spendable(s);
  if (points <= available) return ok({ available });
  switch (limit) {
    case 'no-hq-snapshot':
      return err({ code: limit, available: 0, message: 'spending needs a balance confirmed by HQ first' });
    case 'over-daily-cap':
      return err({ code: limit, available, message: `daily spending cap: ${available} of ${s.dailyCap} points left today` });
    case 'over-offline-budget':
      return err({ code: limit, available, message: `offline budget: ${available} points may be spent until HQ confirms the balance` });
    case 'not-enough-points':
      return err({ code: limit, available, message: `not enough points: ${available} available` });
  }
}
