/**
 * A member's points account: `balance` (spendable, never negative) and `deficit` (points a
 * reversal could not take because they were already spent; owed, visible, never dropped).
 *
 * Invariant kept by both operations: balance − deficit changes by exactly +earned or
 * −reversed, so balance − deficit = Σ earned − Σ reversed (− burned − expired) always.
 */

export interface Account {
  readonly balance: number;
  readonly deficit: number;
}

export interface EarnOutcome {
  /** Part of the earning that pays off the deficit (settled first). */
  readonly settled: number;
  /** Part that becomes spendable (a points lot of this size). */
  readonly credited: number;
  readonly account: Account;
}

export interface ReverseOutcome {
  /** Points taken from the balance. */
  readonly taken: number;
  /** Points that could not be taken and were added to the deficit. */
  readonly deficitAdded: number;
  readonly account: Account;
}

const check = (n: number, what: string) => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer: ${n}`);
};

/** New points settle any deficit first; the rest is credited. */
export function applyEarn(acc: Account, points: number): EarnOutcome {
  check(points, 'points');
  const settled = Math.min(acc.deficit, points);
  const credited = points - settled;
  return { settled, credited, account: { balance: acc.balance + credited, deficit: acc.deficit - settled } };
}

/** A reversal takes what the balance has; the remainder becomes deficit. */
export function applyReverse(acc: Account, points: number): ReverseOutcome {
  check(points, 'points');
  const taken = Math.min(acc.balance, points);
  const deficitAdded = points - taken;
  return { taken, deficitAdded, account: { balance: acc.balance - taken, deficit: acc.deficit + deficitAdded } };
}
