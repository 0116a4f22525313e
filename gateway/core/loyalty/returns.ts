/**
 * Refunds and voids: which sale lines give back how much, and how many points that reverses.
 *
 * Reversal is cumulative per line: after `r` of `qty` units are back, the line has reversed
 * floor(linePoints × r / qty) in total. Each return reverses the growth of that number, so
 * partial returns never over-reverse, and returning everything reverses exactly linePoints.
 */
import { err, ok, type Result } from '../result';

export interface SoldLine {
  readonly sku: string;
  readonly qty: number;
  /** Points attributed to this line at the sale. */
  readonly points: number;
  /** Units of this line already returned by earlier refunds. */
  readonly returnedQty: number;
}

export interface ReturnedItem {
  readonly sku: string;
  readonly qty: number;
}

export interface LineReturn {
  /** Index of the sale line. */
  readonly line: number;
  readonly qty: number;
  /** Points this return reverses on that line. */
  readonly points: number;
}

export interface ReturnPlan {
  readonly lines: readonly LineReturn[];
  readonly points: number;
  /** Returned quantity per sale line after this return (same order as the sale). */
  readonly returnedQty: readonly number[];
}

export type ReturnError =
  | { readonly code: 'not-in-sale'; readonly sku: string }
  | { readonly code: 'exceeds-sale'; readonly sku: string; readonly sold: number; readonly alreadyReturned: number; readonly requested: number };

/** Total points reversed on a line once `returnedQty` of its `qty` units are back. */
export function reversedSoFar(points: number, qty: number, returnedQty: number): number {
  if (returnedQty >= qty) return points;
  return Number((BigInt(points) * BigInt(returnedQty)) / BigInt(qty));
}

/**
 * Plans a refund. Items are matched to sale lines by SKU; when the sale has the SKU on
 * several lines, units are taken from the first line that still has some. Returning more
 * units of a SKU than were sold (counting earlier refunds) is an error, and nothing is
 * returned in that case.
 */
export function planReturn(sold: readonly SoldLine[], items: readonly ReturnedItem[]): Result<ReturnPlan, ReturnError> {
  const wanted = new Map<string, number>();
  for (const item of items) wanted.set(item.sku, (wanted.get(item.sku) ?? 0) + item.qty);

  const returnedQty = sold.map((l) => l.returnedQty);
  const lines: LineReturn[] = [];
  let points = 0;
  for (const [sku, requested] of wanted) {
    const idx = sold.flatMap((l, i) => (l.sku === sku ? [i] : []));
    if (idx.length === 0) return err({ code: 'not-in-sale', sku });
    const soldQty = idx.reduce((a, i) => a + sold[i]!.qty, 0);
    const already = idx.reduce((a, i) => a + sold[i]!.returnedQty, 0);
    if (already + requested > soldQty) {
      return err({ code: 'exceeds-sale', sku, sold: soldQty, alreadyReturned: already, requested });
    }
    let left = requested;
    for (const i of idx) {
      if (left === 0) break;
      const line = sold[i]!;
      const take = Math.min(left, line.qty - returnedQty[i]!);
      if (take === 0) continue;
      const before = reversedSoFar(line.points, line.qty, returnedQty[i]!);
      returnedQty[i] = returnedQty[i]! + take;
      const reversed = reversedSoFar(line.points, line.qty, returnedQty[i]!) - before;
      lines.push({ line: i, qty: take, points: reversed });
      points += reversed;
      left -= take;
    }
  }
  lines.sort((a, b) => a.line - b.line);
  return ok({ lines, points, returnedQty });
}

/** Plans a void: every unit not yet returned comes back, reversing what is left of each line. */
export function planVoid(sold: readonly SoldLine[]): ReturnPlan {
  const lines: LineReturn[] = [];
  let points = 0;
  sold.forEach((line, i) => {
    const qty = line.qty - line.returnedQty;
    if (qty <= 0) return;
    const reversed = line.points - reversedSoFar(line.points, line.qty, line.returnedQty);
    lines.push({ line: i, qty, points: reversed });
    points += reversed;
  });
  return { lines, points, returnedQty: sold.map((l) => l.qty) };
}

export function describeReturnError(e: ReturnError): string {
  return e.code === 'not-in-sale'
    ? `sku ${e.sku} is not on the original sale`
    : `sku ${e.sku}: returning ${e.requested} would exceed the ${e.sold} sold (${e.alreadyReturned} already returned)`;
}
