/**
 * Voucher codes: 10 random Crockford base32 characters (50 bits from a crypto source: not
 * guessable; a shop sees a few thousand vouchers, a guesser needs ~10^15 tries) plus one
 * check character, printed as `XXXXX-XXXXX-C`.
 *
 * The check makes the 11 symbols v₀…v₁₀ (values 0–31, elements of GF(32)) satisfy
 *   Σ αⁱ·vᵢ = 0   in GF(32), α primitive (x⁵ + x² + 1).
 * A single substitution changes the sum by αⁱ·e ≠ 0; swapping neighbours i, i+1 changes it
 * by αⁱ(1 + α)(vᵢ ⊕ vᵢ₊₁) ≠ 0 when they differ. So every single-character typo and every
 * adjacent swap, the check character included, is caught (a mod-31 or Luhn check would
 * miss some; Crockford's own mod-37 check needs five symbols that are not on a till's keypad).
 *
 * Reading is forgiving the Crockford way: case-insensitive, I and L read as 1, O as 0,
 * hyphens and spaces ignored.
 */
import { err, ok, type Result } from '../result';

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const DATA_LENGTH = 10;
/** Random bytes a code needs (50 bits used). */
export const RANDOM_BYTES = 7;

const POLY = 0b100101; // x^5 + x^2 + 1, primitive over GF(2)
const EXP: number[] = [];
{
  let x = 1;
  for (let i = 0; i < 31; i++) {
    EXP.push(x);
    x <<= 1;
    if (x & 0b100000) x ^= POLY;
  }
}
const LOG: number[] = new Array<number>(32).fill(-1);
EXP.forEach((v, i) => {
  LOG[v] = i;
});

const gfMul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : EXP[(LOG[a]! + LOG[b]!) % 31]!);
const alphaPow = (i: number): number => EXP[i % 31]!;

function syndrome(values: readonly number[]): number {
  let s = 0;
  values.forEach((v, i) => {
    s ^= gfMul(alphaPow(i), v);
  });
  return s;
}

/** The check value for 10 data values: the v₁₀ that makes the syndrome zero. */
export function checkValue(data: readonly number[]): number {
  const s = syndrome(data);
  // α^10 · c = s (characteristic 2: minus is plus) → c = s · α^(31−10)
  return gfMul(s, alphaPow(31 - data.length));
}

/** A code from random bytes (the caller supplies them: crypto.randomBytes(RANDOM_BYTES)). */
export function voucherFromBytes(bytes: Uint8Array): string {
  if (bytes.length < RANDOM_BYTES) throw new RangeError(`need ${RANDOM_BYTES} random bytes`);
  let bits = 0n;
  for (let i = 0; i < RANDOM_BYTES; i++) bits = (bits << 8n) | BigInt(bytes[i]!);
  const data: number[] = [];
  for (let i = 0; i < DATA_LENGTH; i++) data.push(Number((bits >> BigInt(5 * i)) & 31n));
  return [...data, checkValue(data)].map((v) => ALPHABET[v]).join('');
}

/** `ABCDEFGHJK7` → `ABCDE-FGHJK-7` (how it is printed and shown). */
export const formatVoucher = (code: string): string => `${code.slice(0, 5)}-${code.slice(5, 10)}-${code.slice(10)}`;

export type VoucherCodeError = { code: 'malformed'; message: string } | { code: 'bad-check'; message: string };

/** Typed or scanned text → the canonical 11-character code, or why it cannot be one. */
export function parseVoucher(text: string): Result<string, VoucherCodeError> {
  const cleaned = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (cleaned.length !== DATA_LENGTH + 1) {
    return err({ code: 'malformed', message: `a voucher code has ${DATA_LENGTH + 1} characters (found ${cleaned.length})` });
  }
  const values: number[] = [];
  for (const ch of cleaned) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return err({ code: 'malformed', message: 'a voucher code has only digits and letters (no U)' });
    values.push(v);
  }
  if (syndrome(values) !== 0) return err({ code: 'bad-check', message: 'the voucher code has a typing error (check character does not match)' });
  return ok(cleaned);
}
