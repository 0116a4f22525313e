/**
 * Largest-remainder attribution: split an integer total over parts in proportion to
 * weights, so the parts are integers that add up to the total exactly. Each sale line keeps
 * its share; a refund then reverses exactly what that line earned.
 */

/**
 * Splits `total` (≥ 0) over `weights` (≥ 0). Parts with zero weight get nothing. If every
 * weight is zero the total goes to nobody and all parts are 0 — callers pass weights that
 * are positive somewhere when the total is positive, or accept that nothing is attributed.
 * Ties in the remainder go to the earlier part, so the result is deterministic.
 */
export function largestRemainder(total: bigint, weights: readonly bigint[]): bigint[] {
  if (total < 0n) throw new RangeError('total must be non-negative');
  const sum = weights.reduce((a, w) => {
    if (w < 0n) throw new RangeError('weights must be non-negative');
    return a + w;
  }, 0n);
  if (sum === 0n || total === 0n) return weights.map(() => 0n);
  const parts = weights.map((w) => (total * w) / sum);
  let left = total - parts.reduce((a, p) => a + p, 0n);
  if (left === 0n) return parts;
  const order = weights
    .map((w, i) => ({ i, rem: (total * w) % sum }))
    .filter((x) => weights[x.i]! > 0n)
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    parts[i] = parts[i]! + 1n;
    left -= 1n;
  }
  return parts;
}
