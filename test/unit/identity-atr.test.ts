import { describe, expect, it } from 'vitest';
import { classifyAtr, contactlessAtr, storageCardAtr } from '../../gateway/core/identity/atr';
import { fromHex, toHex } from '../../gateway/core/identity/bytes';

describe('ATR classification (PC/SC Part 3)', () => {
  it.each([
    ['3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A', 'mifare-classic-1k'],
    ['3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 02 00 00 00 00 69', 'ov-chipkaart'],
    ['3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68', 'ultralight'],
    ['3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 3A 00 00 00 00 51', 'ultralight'],
  ])('storage card %s → %s', (atr, kind) => {
    expect(classifyAtr(fromHex(atr))).toEqual({ family: 'storage', kind, nameCode: fromHex(atr)[14]! + fromHex(atr)[13]! * 256 });
  });

  it('a storage card we do not read has no kind', () => {
    expect(classifyAtr(storageCardAtr(0x0036))).toMatchObject({ family: 'storage', kind: undefined, nameCode: 0x36 });
  });

  it('DESFire EV1: 3B 81 80 01 80 80', () => {
    expect(classifyAtr(fromHex('3B 81 80 01 80 80'))).toMatchObject({ family: 'iso-dep', desfire: true });
  });

  it('an EMV card is ISO-DEP, not DESFire (its ATR cannot say EMV: PPSE does)', () => {
    const mc = fromHex('3B 8E 80 01 80 31 80 66 B0 84 0C 01 6E 01 83 00 90 00 1D');
    expect(classifyAtr(mc)).toMatchObject({ family: 'iso-dep', desfire: false });
  });

  it.each([
    ['bad TCK', '3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 02 00 00 00 00 6A'],
    ['contact card', '3B 6E 00 00 80 31 80 66 B0 84 0C 01 6E 01 83 00 90 00'],
    ['too short', '3B 80'],
    ['empty', ''],
    ['length disagrees with T0', '3B 8F 80 01 80 80'],
  ])('%s → unknown', (_n, atr) => {
    expect(classifyAtr(fromHex(atr))).toEqual({ family: 'unknown' });
  });

  it('builders produce the ATRs readers report', () => {
    expect(toHex(storageCardAtr(2))).toBe('3b8f8001804f0ca0000003060300020000000069');
    expect(toHex(contactlessAtr(fromHex('80')))).toBe('3b8180018080');
  });
});
