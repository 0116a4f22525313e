import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALPHABET, formatVoucher, parseVoucher, RANDOM_BYTES, voucherFromBytes } from '../../gateway/core/rewards/voucher-code';

const code = fc.uint8Array({ minLength: RANDOM_BYTES, maxLength: RANDOM_BYTES }).map(voucherFromBytes);

describe('voucher codes', () => {
  it('are 11 Crockford characters that parse back, forgiving case, hyphens, I/L/O', () => {
    const c = voucherFromBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{11}$/);
    expect(parseVoucher(formatVoucher(c).toLowerCase())).toEqual({ ok: true, value: c });
    const withOnes = '1'.repeat(10);
    const valid = voucherFromBytes(new Uint8Array(7)); // all zero data
    expect(parseVoucher(valid.replace(/0/g, 'o'))).toEqual({ ok: true, value: valid });
    expect(parseVoucher(`${withOnes}X`).ok).toBe(parseVoucher(`${'l'.repeat(10)}X`).ok);
    expect(parseVoucher('ABC')).toMatchObject({ ok: false, error: { code: 'malformed' } });
  });

  it('the check character catches every single-character substitution (check character included)', () => {
    fc.assert(
      fc.property(code, (c) => {
        for (let i = 0; i < c.length; i++) {
          for (const ch of ALPHABET) {
            if (ch === c[i]) continue;
            const typo = c.slice(0, i) + ch + c.slice(i + 1);
            expect(parseVoucher(typo)).toMatchObject({ ok: false, error: { code: 'bad-check' } });
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('catches every swap of two different neighbours', () => {
    fc.assert(
      fc.property(code, (c) => {
        for (let i = 0; i + 1 < c.length; i++) {
          if (c[i] === c[i + 1]) continue;
          const swapped = c.slice(0, i) + c[i + 1] + c[i] + c.slice(i + 2);
          expect(parseVoucher(swapped).ok).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('spreads over the whole code space (50 random bits)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(voucherFromBytes(new Uint8Array([7, 7, 7, 7, 7, i >> 8, i & 255])).slice(0, 10));
    expect(seen.size).toBe(1000);
  });
});
