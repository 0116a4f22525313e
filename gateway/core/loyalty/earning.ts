/**
 * Earning rules v1 (points for a sale), pure: the date is an argument.
 *
 * 1. A line is excluded (earns nothing, qualifies for nothing) when its category or SKU is
 *    on the exclusion lists (tobacco, gift cards by default).
 * 2. A line's factor is the product of its multipliers — SKU rules when any SKU rule
 *    matches, else the category rules (a multiplier with neither key applies to every line
 *    that has no SKU rule) — times the factors of the promotions active on the date that
 *    match the line.
 * 3. Weighted cents = Σ amountCents × factor over eligible lines, exact (decimal.ts).
 *    Base points = round(weighted × pointsPerEuro / 100), the configured rounding applied
 *    ONCE to the sale total, never per line.
 * 4. Each active promotion with at least one matching eligible line of positive amount adds
 *    its flat `bonusPoints`.
 * 5. Eligible cents (unweighted) below `minimumSpendCents` earns nothing at all.
 * 6. The total is attributed to lines by largest remainder — base by weighted cents, each
 *    bonus over its own matching lines — so Σ line points = total and a refund can reverse
 *    exactly what a line earned.
 */
import type { EarningRulesConfig } from '../../config/schema';
import { dateInRange, type IsoDate } from '../time/calendar';
import { largestRemainder } from './attribution';
import { ONE, add, decimalOf, fromInteger, mul, roundDecimal, unitsAt, ZERO, type Decimal, type Rounding } from './decimal';

/** The parts of a till line that earning looks at. */
export interface EarnLine {
  readonly sku: string;
  readonly category: string;
  readonly qty: number;
  readonly amountCents: number;
}

interface CompiledPromotion {
  readonly id: string;
  readonly from: IsoDate;
  readonly to: IsoDate;
  readonly factor: Decimal;
  readonly categories: ReadonlySet<string> | undefined;
  readonly skus: ReadonlySet<string> | undefined;
  readonly bonusPoints: number;
}

interface CompiledMultiplier {
  readonly category: string | undefined;
  readonly sku: string | undefined;
  readonly factor: Decimal;
}

/** Rules parsed once (decimals, sets) so the sale path does no config work. */
export interface CompiledRules {
  readonly pointsPerEuro: Decimal;
  readonly rounding: Rounding;
  readonly minimumSpendCents: number;
  readonly expiryMonths: number;
  readonly skuMultipliers: readonly CompiledMultiplier[];
  readonly categoryMultipliers: readonly CompiledMultiplier[];
  readonly excludedCategories: ReadonlySet<string>;
  readonly excludedSkus: ReadonlySet<string>;
  readonly promotions: readonly CompiledPromotion[];
}

export function compileRules(rules: EarningRulesConfig): CompiledRules {
  const multipliers = rules.multipliers.map((m) => ({ category: m.category, sku: m.sku, factor: decimalOf(m.factor) }));
  return {
    pointsPerEuro: decimalOf(rules.pointsPerEuro),
    rounding: rules.rounding,
    minimumSpendCents: rules.minimumSpendCents,
    expiryMonths: rules.expiryMonths,
    skuMultipliers: multipliers.filter((m) => m.sku !== undefined),
    categoryMultipliers: multipliers.filter((m) => m.sku === undefined),
    excludedCategories: new Set(rules.exclusions.categories),
    excludedSkus: new Set(rules.exclusions.skus),
    promotions: rules.promotions.map((p) => ({
      id: p.id,
      from: p.from,
      to: p.to,
      factor: decimalOf(p.factor),
      categories: p.categories ? new Set(p.categories) : undefined,
      skus: p.skus ? new Set(p.skus) : undefined,
      bonusPoints: p.bonusPoints,
    })),
  };
}

export interface EarningResult {
  /** Σ amountCents of lines not excluded (what the minimum spend is measured on). */
  readonly eligibleCents: number;
  readonly basePoints: number;
  readonly bonusPoints: number;
  /** basePoints + bonusPoints, or 0 below the minimum spend. */
  readonly points: number;
  /** Points attributed to each line, same order as the input; Σ = points. */
  readonly linePoints: readonly number[];
  /** Ids of active promotions that matched at least one eligible line. */
  readonly promotions: readonly string[];
  readonly belowMinimum: boolean;
}

const promotionMatches = (p: CompiledPromotion, line: EarnLine): boolean =>
  (p.categories === undefined && p.skus === undefined) || (p.categories?.has(line.category) ?? false) || (p.skus?.has(line.sku) ?? false);

function multiplierFor(rules: CompiledRules, line: EarnLine): Decimal {
  let factor: Decimal | undefined;
  for (const m of rules.skuMultipliers) {
    if (m.sku === line.sku && (m.category === undefined || m.category === line.category)) {
      factor = factor ? mul(factor, m.factor) : m.factor;
    }
  }
  if (factor) return factor;
  factor = ONE;
  for (const m of rules.categoryMultipliers) {
    if (m.category === undefined || m.category === line.category) factor = mul(factor, m.factor);
  }
  return factor;
}

export const isExcluded = (rules: CompiledRules, line: EarnLine): boolean => rules.excludedCategories.has(line.category) || rules.excludedSkus.has(line.sku);

const toSafe = (n: bigint): number => {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('points overflow');
  return Number(n);
};

export function computeEarning(rules: CompiledRules, lines: readonly EarnLine[], date: IsoDate): EarningResult {
  const active = rules.promotions.filter((p) => dateInRange(date, p.from, p.to));
  const weighted: Decimal[] = [];
  const matched: number[][] = active.map(() => []);
  let eligibleCents = 0;
  let total = ZERO;
  let maxScale = 0;

  lines.forEach((line, i) => {
    const ok = !isExcluded(rules, line);
    if (!ok) {
      weighted.push(ZERO);
      return;
    }
    eligibleCents += line.amountCents;
    let factor = multiplierFor(rules, line);
    active.forEach((p, k) => {
      if (!promotionMatches(p, line)) return;
      factor = mul(factor, p.factor);
      if (line.amountCents > 0) matched[k]!.push(i);
    });
    const w = mul(fromInteger(line.amountCents), factor);
    weighted.push(w);
    total = add(total, w);
    if (w.scale > maxScale) maxScale = w.scale;
  });

  const zero = lines.map(() => 0);
  if (eligibleCents < rules.minimumSpendCents) {
    return { eligibleCents, basePoints: 0, bonusPoints: 0, points: 0, linePoints: zero, promotions: [], belowMinimum: true };
  }

  // ×pointsPerEuro / 100 cents: divide by 100 by raising the scale by two.
  const raw = mul(total, rules.pointsPerEuro);
  const base = roundDecimal({ units: raw.units, scale: raw.scale + 2 }, rules.rounding);
  const weights = weighted.map((w) => unitsAt(w, maxScale));
  const parts = largestRemainder(base, weights);

  let bonus = 0n;
  const applied: string[] = [];
  active.forEach((p, k) => {
    const idx = matched[k]!;
    if (idx.length === 0) return;
    applied.push(p.id);
    if (p.bonusPoints === 0) return;
    const b = BigInt(p.bonusPoints);
    bonus += b;
    let w = idx.map((i) => weights[i]!);
    if (w.every((x) => x === 0n)) w = idx.map((i) => BigInt(lines[i]!.amountCents));
    largestRemainder(b, w).forEach((share, j) => {
      const i = idx[j]!;
      parts[i] = parts[i]! + share;
    });
  });

  return {
    eligibleCents,
    basePoints: toSafe(base),
    bonusPoints: toSafe(bonus),
    points: toSafe(base + bonus),
    linePoints: parts.map(toSafe),
    promotions: applied,
    belowMinimum: false,
  };
}
