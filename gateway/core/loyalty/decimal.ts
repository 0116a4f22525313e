/**
 * Exact decimal arithmetic for earning maths. Config factors such as 1.1 or 0.25 are
 * decimal fractions that binary floats cannot hold (1000 × 1.1 = 1100.0000000000002), and a
 * rounding rule applied to a float can then award a point the rule does not give. So a
 * factor is read from its shortest decimal text into `units / 10^scale` with bigint units,
 * and products and sums stay exact until the one rounding step.
 */

export interface Decimal {
  /** Non-negative integer numerator. */
  readonly units: bigint;
  /** Value = units / 10^scale. */
  readonly scale: number;
}

const POW10: bigint[] = [1n];
export function pow10(n: number): bigint {
  for (let i = POW10.length; i <= n; i++) POW10.push(POW10[i - 1]! * 10n);
  return POW10[n]!;
}

export const ONE: Decimal = { units: 1n, scale: 0 };
export const ZERO: Decimal = { units: 0n, scale: 0 };

/**
 * A non-negative finite number as its shortest decimal expansion (what `String(x)` prints,
 * so `0.1` is exactly one tenth). Exponent forms (`1e-7`, `1e21`) are handled.
 */
export function decimalOf(x: number): Decimal {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`not a non-negative finite number: ${x}`);
  const text = String(x);
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(text);
  if (!m) throw new RangeError(`cannot read number as decimal: ${text}`);
  const intPart = m[1]!;
  const frac = m[2] ?? '';
  const exp = m[3] ? Number(m[3]) : 0;
  let units = BigInt(intPart + frac);
  let scale = frac.length - exp;
  if (scale < 0) {
    units *= pow10(-scale);
    scale = 0;
  }
  return { units, scale };
}

export const fromInteger = (n: number | bigint): Decimal => ({ units: BigInt(n), scale: 0 });

export const mul = (a: Decimal, b: Decimal): Decimal => ({ units: a.units * b.units, scale: a.scale + b.scale });

export function add(a: Decimal, b: Decimal): Decimal {
  if (a.scale === b.scale) return { units: a.units + b.units, scale: a.scale };
  return a.scale > b.scale
    ? { units: a.units + b.units * pow10(a.scale - b.scale), scale: a.scale }
    : { units: a.units * pow10(b.scale - a.scale) + b.units, scale: b.scale };
}

/** Units of `a` at scale `scale` (≥ a.scale): for comparing and dividing on one denominator. */
export function unitsAt(a: Decimal, scale: number): bigint {
  if (scale < a.scale) throw new RangeError('cannot lower scale exactly');
  return a.units * pow10(scale - a.scale);
}

export type Rounding = 'floor' | 'half-up';

/** Rounds a non-negative decimal to an integer. */
export function roundDecimal(a: Decimal, rounding: Rounding): bigint {
  const den = pow10(a.scale);
  if (rounding === 'floor') return a.units / den;
  return (a.units * 2n + den) / (den * 2n);
}
