import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { findAllTags, findTag, parseDol, parseTlv } from '../../gateway/core/identity/tlv';
import { fromHex, toHex } from '../../gateway/core/identity/bytes';
import { tlv } from '../../firmware-sim/cards/tlv-build';

const ppseFci = fromHex('6F2F840E325041592E5359532E4444463031A51DBF0C1A61184F07A0000000031010500A56495341204445424954870101');

describe('BER-TLV parser', () => {
  it('parses a PPSE FCI: nested templates, two-byte tags', () => {
    const r = parseTlv(ppseFci);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toHaveLength(1);
    expect(r.value[0]!.tag).toBe(0x6f);
    expect(r.value[0]!.constructed).toBe(true);
    expect(toHex(findTag(r.value, 0x4f)!.value)).toBe('a0000000031010');
    expect(findTag(r.value, 0xbf0c)!.constructed).toBe(true);
    expect(Buffer.from(findTag(r.value, 0x50)!.value).toString('ascii')).toBe('VISA DEBIT');
    expect(findAllTags(r.value, 0x61)).toHaveLength(1);
  });

  it('reads long-form lengths (81 xx, 82 xx xx)', () => {
    const big = new Uint8Array(300).fill(0x41);
    const r = parseTlv(tlv(0x70, tlv(0x5f20, big.subarray(0, 200)), tlv(0x9f4b, big)));
    expect(r.ok && findTag(r.value, 0x9f4b)!.value.length).toBe(300);
    expect(r.ok && findTag(r.value, 0x5f20)!.value.length).toBe(200);
  });

  it('skips 00 and FF padding between TLVs', () => {
    const r = parseTlv(fromHex('00 00 5A 02 12 34 FF 00 9F 36 02 00 01 00'));
    expect(r.ok && r.value.map((t) => t.tag)).toEqual([0x5a, 0x9f36]);
  });

  it('returns values as views: wiping the input wipes them', () => {
    const data = fromHex('5A 03 11 22 33');
    const r = parseTlv(data);
    data.fill(0);
    expect(r.ok && [...r.value[0]!.value]).toEqual([0, 0, 0]);
  });

  it('accepts an empty buffer and a zero-length value', () => {
    expect(parseTlv(new Uint8Array(0))).toEqual({ ok: true, value: [] });
    const r = parseTlv(fromHex('9F24 00'));
    expect(r.ok && r.value[0]!.value.length).toBe(0);
  });

  it.each([
    ['value runs past the end', '5A 08 12 34', 'truncated-value', 0],
    ['tag cut after its first byte', '9F', 'truncated-tag', 0],
    ['three-byte tag cut', '5A 01 00 DF 81', 'truncated-tag', 3],
    ['length missing', '5A', 'truncated-length', 1],
    ['long length cut', '5A 82 01', 'truncated-length', 1],
    ['indefinite length', '70 80 5A 01 00 00 00', 'indefinite-length', 1],
    ['length of 5 bytes', '5A 85 00 00 00 00 01 00', 'length-too-long', 1],
    ['four-byte tag', '9F 81 81 01 01 00', 'tag-too-long', 0],
    ['inner TLV truncated', '70 04 5A 05 12 34', 'truncated-value', 2],
    ['template length past the end', '6F 2A 84 0E 32 50 41 59 A5 FF', 'truncated-value', 0],
  ])('rejects %s', (_name, hex, code, offset) => {
    expect(parseTlv(fromHex(hex))).toEqual({ ok: false, error: { code, offset } });
  });

  it('limits nesting and count', () => {
    let deep = tlv(0x5a, [1]);
    for (let i = 0; i < 12; i++) deep = tlv(0x70, deep);
    expect(parseTlv(deep)).toMatchObject({ ok: false, error: { code: 'too-deep' } });
    const many = new Uint8Array(600 * 2).map((_, i) => (i % 2 ? 0 : 0x5a)); // 600 × "5A 00"
    expect(parseTlv(many)).toMatchObject({ ok: false, error: { code: 'too-many' } });
  });

  fcTest.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 2000 })('never throws on arbitrary bytes', (bytes) => {
    const r = parseTlv(bytes);
    expect(typeof r.ok).toBe('boolean');
  });

  fcTest.prop([fc.array(fc.tuple(fc.constantFrom(0x5a, 0x57, 0x9f24, 0x50, 0x5f20, 0x9f4b), fc.uint8Array({ maxLength: 300 })), { maxLength: 6 })])(
    'parses what a conforming encoder wrote, and every truncation fails cleanly',
    (items) => {
      const encoded = Uint8Array.from(items.flatMap(([tag, v]) => [...tlv(tag, v)]));
      const r = parseTlv(tlv(0x70, encoded));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value[0]!.children!.map((c) => c.tag)).toEqual(items.map(([t]) => t));
      expect(r.value[0]!.children!.map((c) => toHex(c.value))).toEqual(items.map(([, v]) => toHex(v)));
      const whole = tlv(0x70, encoded);
      for (let cut = 1; cut < whole.length; cut += Math.max(1, Math.floor(whole.length / 7))) {
        expect(parseTlv(whole.subarray(0, cut)).ok).toBe(false);
      }
    },
  );
});

describe('DOL parser', () => {
  it('reads tag/length pairs', () => {
    expect(parseDol(fromHex('9F66 04 9F02 06 9F37 04 5F2A 02 9A 03 9C 01'))).toEqual({
      ok: true,
      value: [
        { tag: 0x9f66, length: 4 },
        { tag: 0x9f02, length: 6 },
        { tag: 0x9f37, length: 4 },
        { tag: 0x5f2a, length: 2 },
        { tag: 0x9a, length: 3 },
        { tag: 0x9c, length: 1 },
      ],
    });
  });
  it('rejects a truncated DOL', () => {
    expect(parseDol(fromHex('9F66 04 9F')).ok).toBe(false);
    expect(parseDol(fromHex('9F66')).ok).toBe(false);
  });
});
