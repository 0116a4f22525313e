/** iBeacon parsing, rotating tokens, the token table and the classifier (DESIGN.md §4). */
import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { iBeaconAdData, manufacturerAdData } from '../../firmware-sim/hci/h4';
import { classifyAdvert, createClassifier } from '../../gateway/core/presence/classify';
import { isIBeacon, parseIBeacon, uuidBytes } from '../../gateway/core/presence/ibeacon';
import { TokenTable, epochOf, memberToken } from '../../gateway/core/presence/token';

const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
/** Manufacturer data as noble hands it over: the AD structure 0xFF without length and type. */
const md = (uuid: string, major: number, minor: number) => iBeaconAdData(uuid, major, minor, -59).subarray(5);
const EPOCH_MS = 900_000;

describe('iBeacon', () => {
  it('parses uuid, major, minor and measured power', () => {
    expect(parseIBeacon(md(PROGRAM, 0xabcd, 0x0102))).toEqual({ uuid: PROGRAM, major: 0xabcd, minor: 0x0102, measuredPower: -59 });
  });

  it('rejects what is not exactly an iBeacon', () => {
    const good = md(PROGRAM, 1, 2);
    expect(isIBeacon(good.subarray(0, 24))).toBe(false);
    expect(isIBeacon(Buffer.concat([good, Buffer.of(0)]))).toBe(false);
    expect(parseIBeacon(Buffer.from([0x4c, 0x00, 0x10, 0x05, 0x01]))).toBeNull();
    const other = Buffer.from(good);
    other[2] = 0x03;
    expect(parseIBeacon(other)).toBeNull();
    expect(() => uuidBytes('nope')).toThrow(RangeError);
  });
});

describe('rotating tokens', () => {
  it('is trunc32(HMAC-SHA256(key, "trouw-ble-v1" ‖ epoch as u32 BE))', () => {
    const key = Buffer.alloc(32, 7);
    const mac = createHmac('sha256', key)
      .update('trouw-ble-v1')
      .update(Buffer.from([0, 0, 0x07, 0xd0]))
      .digest();
    expect(memberToken(key, 2000)).toBe(mac.readUInt32BE(0));
    expect(epochOf(1_700_000_000_000)).toBe(Math.floor(1_700_000_000 / 900));
  });

  it('resolves in epochs e−1…e+1 only, and not when two members share a token', () => {
    const t = new TokenTable([
      { member: 'M-1', epoch: 100, token: 0x11111111 },
      { member: 'M-2', epoch: 100, token: 0x22222222 },
      { member: 'M-3', epoch: 101, token: 0x22222222 },
    ]);
    const at = (e: number) => e * EPOCH_MS + 1;
    expect(t.resolve(0x11111111, at(100))).toEqual({ kind: 'member', member: 'M-1' });
    expect(t.resolve(0x11111111, at(99))).toEqual({ kind: 'member', member: 'M-1' });
    expect(t.resolve(0x11111111, at(101))).toEqual({ kind: 'member', member: 'M-1' });
    expect(t.resolve(0x11111111, at(102))).toEqual({ kind: 'unresolved' });
    expect(t.resolve(0x33333333, at(100))).toEqual({ kind: 'unresolved' });
    expect(t.resolve(0x22222222, at(100))).toEqual({ kind: 'ambiguous' });
    expect(t.resolve(0x22222222, at(102))).toEqual({ kind: 'member', member: 'M-3' });
    expect(t.without('M-1').resolve(0x11111111, at(100))).toEqual({ kind: 'unresolved' });
  });
});

describe('classifier', () => {
  const now = 100 * EPOCH_MS + 5;
  const c = createClassifier({
    programUuid: PROGRAM,
    tags: [
      { id: 'trolley-7', uuid: PROGRAM, major: 0xfff0, minor: 7 },
      { id: 'badge-1', uuid: 'a0a0a0a0-0000-0000-0000-000000000001', major: 1, minor: 1 },
    ],
    tokens: new TokenTable([{ member: 'M-1', epoch: 100, token: 0x00120034 }]),
  });

  it('names a resolved member and a configured tag', () => {
    expect(classifyAdvert(c, md(PROGRAM, 0x0012, 0x0034), now)).toEqual({ kind: 'member', subject: { kind: 'member', id: 'M-1' } });
    expect(classifyAdvert(c, md(PROGRAM, 0xfff0, 7), now)).toEqual({ kind: 'tag', subject: { kind: 'tag', id: 'trolley-7' } });
    expect(classifyAdvert(c, md('a0a0a0a0-0000-0000-0000-000000000001', 1, 1), now)).toEqual({ kind: 'tag', subject: { kind: 'tag', id: 'badge-1' } });
  });

  it('counts an unresolved program token anonymously and drops everything else', () => {
    expect(classifyAdvert(c, md(PROGRAM, 0x0099, 0x0001), now)).toEqual({ kind: 'anonymous', token: 0x00990001 });
    expect(classifyAdvert(c, md('a0a0a0a0-0000-0000-0000-000000000001', 1, 2), now)).toBeNull();
    expect(classifyAdvert(c, md('b1b1b1b1-0000-0000-0000-000000000001', 0x0012, 0x0034), now)).toBeNull();
    expect(classifyAdvert(c, manufacturerAdData(Uint8Array.of(0x4c, 0x00, 0x10, 0x05, 1, 2)).subarray(5), now)).toBeNull();
    expect(classifyAdvert(c, new Uint8Array(0), now)).toBeNull();
  });
});
