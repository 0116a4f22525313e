import { describe, expect, it } from 'vitest';
import { fromHex } from '../../gateway/core/identity/bytes';
import { createTapDebouncer } from '../../gateway/core/identity/debounce';
import { identifyCard } from '../../gateway/core/identity/identify';
import { bindingFor, parsePlace, readerMatches } from '../../gateway/core/identity/places';
import { cardToken, isRandomUid, staffEntryFor } from '../../gateway/core/identity/token';
import { CARDS, UIDS, type CardName } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('card token = HMAC-SHA256(cardKey, kind ‖ identifier)', () => {
  // Vectors computed independently (Python hmac) to pin the byte layout.
  it('matches the reference vectors', () => {
    expect(cardToken(KEY, 'ov-chipkaart', fromHex('2A3B4C5D'))).toBe('5e1cc9251d96ae71eb3dcc4a6c3b97e1e10e5898a48948d2465cfd04a4c7afe9');
    expect(cardToken(KEY, 'emv', Buffer.from('4761739001010119'))).toBe('b9e764385728c29684c802d760b4483770b29e0dd38561a0330f8d23f44b764f');
    expect(cardToken(KEY, 'emv', Buffer.from('Q1J4AwSWD4Jvz3G3iMN7Wv3Qkjqbj'))).toBe('39f0bab3ba613607038d34898d93d91706912c4ca0e7102e1a2b49f3d98038c4');
  });
  it('differs by kind and by key', () => {
    const uid = fromHex('04112233445566');
    expect(cardToken(KEY, 'ultralight', uid)).not.toBe(cardToken(KEY, 'desfire', uid));
    expect(cardToken(KEY, 'ultralight', uid)).not.toBe(cardToken(new Uint8Array(32), 'ultralight', uid));
  });
  it('refuses a short key', () => {
    expect(() => cardToken(new Uint8Array(16), 'emv', fromHex('00'))).toThrow(/32 bytes/);
  });
});

describe('random UID rule', () => {
  it.each([
    ['08 12 34 56', true],
    ['08 00 00 00', true],
    ['2A 3B 4C 5D', false],
    ['88 12 34 56', false],
    ['08 11 22 33 44 55 66', false], // 7-byte UIDs are unique
  ])('%s → random %s', (hex, random) => {
    expect(isRandomUid(fromHex(hex))).toBe(random);
  });
});

describe('identifyCard over the simulated cards (in process)', () => {
  const now = Date.UTC(2026, 0, 5);
  const run = (name: CardName) => {
    const card = CARDS[name]();
    return identifyCard({ atr: card.atr, transmit: inProcessTransmit(card), cardKey: KEY, nowMs: now });
  };
  it.each<[CardName, string, Uint8Array]>([
    ['ov-chipkaart', 'ov-chipkaart', UIDS.ovChipkaart],
    ['classic-1k', 'mifare-classic-1k', UIDS.classic1k],
    ['ultralight', 'ultralight', UIDS.ultralight],
    ['desfire', 'desfire', UIDS.desfire],
  ])('%s → %s by UID', async (name, kind, uid) => {
    expect(await run(name)).toMatchObject({ ok: true, value: { kind, via: 'uid', token: cardToken(KEY, kind as never, uid) } });
  });
  it('the same card twice gives the same token; the OV-pas is an EMV card', async () => {
    const a = await run('ov-pas');
    const b = await run('ov-pas');
    expect(a).toMatchObject({ ok: true, value: { kind: 'emv', via: 'pan' } });
    expect(a.ok && b.ok && a.value.token === b.value.token).toBe(true);
  });
  it.each<[CardName, object]>([
    ['random-uid', { reason: 'random-id', kind: 'mifare-classic-1k' }],
    ['garbage', { reason: 'read-failed' }],
    ['short-answer', { reason: 'read-failed', detail: 'uid: short-response' }],
    ['uid-error', { reason: 'read-failed', detail: 'uid: sw 6a81' }],
    ['mifare-plus', { reason: 'unsupported-card' }],
    ['gpo-refused', { reason: 'read-failed', kind: 'emv', detail: 'emv gpo: bad-status (sw 6985)' }],
    ['removed-mid-read', { reason: 'removed', kind: 'emv' }],
  ])('%s → %o', async (name, error) => {
    expect(await run(name)).toMatchObject({ ok: false, error });
  });
  it('an unknown ATR is unsupported without sending anything', async () => {
    const r = await identifyCard({ atr: fromHex('3B 6E 00 00'), transmit: () => Promise.reject(new Error('no')), cardKey: KEY, nowMs: now });
    expect(r).toMatchObject({ ok: false, error: { reason: 'unsupported-card', apdus: 0 } });
  });
  it('an ISO-DEP card that is neither EMV nor DESFire is unsupported', async () => {
    const card = CARDS.desfire();
    const r = await identifyCard({
      atr: fromHex('3B 82 80 01 12 34 A5'.replace('A5', (0x82 ^ 0x80 ^ 0x01 ^ 0x12 ^ 0x34).toString(16))),
      transmit: inProcessTransmit(card),
      cardKey: KEY,
      nowMs: now,
    });
    expect(r).toMatchObject({ ok: false, error: { reason: 'unsupported-card' } });
  });
});

describe('staff passes', () => {
  it('finds the role by token, case-insensitively', () => {
    const token = cardToken(KEY, 'desfire', UIDS.desfire);
    const staff = [{ token: token.toUpperCase(), role: 'supervisor', label: 'Anna' }];
    expect(staffEntryFor(token, staff)).toMatchObject({ role: 'supervisor' });
    expect(staffEntryFor('0'.repeat(64), staff)).toBeUndefined();
  });
});

describe('tap debouncer', () => {
  it('one tap per card per window, per reader', () => {
    const d = createTapDebouncer(2000);
    expect(d.accept('r1', 'a', 0)).toBe(true);
    expect(d.accept('r1', 'a', 500)).toBe(false); // flicker at the edge of the field
    expect(d.accept('r2', 'a', 600)).toBe(true); // another reader
    expect(d.accept('r1', 'b', 700)).toBe(true); // another card
    expect(d.accept('r1', 'a', 800)).toBe(true); // a came back after b
    expect(d.accept('r1', 'a', 2500)).toBe(false);
    expect(d.accept('r1', 'a', 4600)).toBe(true); // the window runs from the last sighting
    d.forget('r1');
    expect(d.accept('r1', 'a', 4601)).toBe(true);
  });
});

describe('reader places', () => {
  const bindings = [
    { match: 'Virtual PCD 00 00', place: 'lane:l1' },
    { match: 'ACS ACR122U*', place: 'kiosk:entrance' },
    { match: '*', place: 'lane:fallback' },
  ];
  it('globs case-insensitively over the whole name; the first match wins', () => {
    expect(bindingFor('virtual pcd 00 00', bindings)?.place).toEqual({ type: 'lane', id: 'l1' });
    expect(bindingFor('ACS ACR122U PICC Interface 01', bindings)?.place).toEqual({ type: 'kiosk', id: 'entrance' });
    expect(bindingFor('Virtual PCD 00 01', bindings)?.place).toEqual({ type: 'lane', id: 'fallback' });
    expect(bindingFor('Virtual PCD 00 01', bindings.slice(0, 2))).toBeUndefined();
  });
  it('treats regex characters literally', () => {
    expect(readerMatches('Reader (1)', 'Reader (1)')).toBe(true);
    expect(readerMatches('Reader 1', 'Reader.1')).toBe(false);
  });
  it('parses places', () => {
    expect(parsePlace('lane:3')).toEqual({ type: 'lane', id: '3' });
    expect(parsePlace('till:3')).toBeUndefined();
  });
});
