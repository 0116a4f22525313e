/**
 * The EMV read against recorded APDU exchanges: command (hex; a trailing `*` matches any
 * rest, for the GPO whose PDOL data carries the date and a random number) → response.
 * The card data are test values (Luhn-valid test PANs).
 */
import { describe, expect, it } from 'vitest';
import { createChannel, withLe, type Transmit } from '../../gateway/core/identity/apdu';
import { fromHex, toHex } from '../../gateway/core/identity/bytes';
import { fillDol, readEmvIdentifier, SELECT_PPSE } from '../../gateway/core/identity/emv';
import { identifyCard } from '../../gateway/core/identity/identify';
import { cardToken } from '../../gateway/core/identity/token';
import { CARDS, TEST_BANK_PAN, TEST_PAR } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';

type Exchange = [command: string, response: string];

function replay(exchanges: Exchange[]) {
  const responses: Uint8Array[] = [];
  const sent: string[] = [];
  let i = 0;
  const transmit: Transmit = async (command) => {
    const cmd = toHex(command).toUpperCase();
    sent.push(cmd);
    const step = exchanges[i++];
    if (!step) throw new Error(`unexpected command ${cmd}`);
    const want = step[0].replace(/\s+/g, '').toUpperCase();
    const matches = want.endsWith('*') ? cmd.startsWith(want.slice(0, -1)) : cmd === want;
    if (!matches) throw new Error(`command ${i}: sent ${cmd}, recorded ${want}`);
    const r = fromHex(step[1]);
    responses.push(r);
    return r;
  };
  return { transmit, responses, sent, done: () => i === exchanges.length };
}

const ascii = (b: Uint8Array) => Buffer.from(b).toString('ascii');
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

/** A Visa debit card: single application, PDOL, GPO format 2 with track 2, one record with 5A. */
const VISA: Exchange[] = [
  ['00A404000E325041592E5359532E444446303100', '6F2F840E325041592E5359532E4444463031A51DBF0C1A61184F07A0000000031010500A564953412044454249548701019000'],
  ['00A4040007A000000003101000', '6F318407A0000000031010A526500A564953412044454249548701019F380C9F66049F02069F37045F2A02BF0C055F55024E4C9000'],
  [
    '80A80000128310*',
    '77468202002094040801010057134761739001010119D28122010000000000000F5F3401009F100706011203A000009F260811223344556677889F2701809F360200019F6C0216009000',
  ],
  ['00B2010C00', '701A5F280205289F0702FFC05A0847617390010101195F24032812319000'],
];

/**
 * A Mastercard with Maestro as second application (priority 2), SELECT AID answered over
 * 61xx, GPO format 1, AFL naming 4 records, the PAR in the second: reading stops there.
 */
const MASTERCARD: Exchange[] = [
  [
    '00A404000E325041592E5359532E444446303100',
    '6F46840E325041592E5359532E4444463031A534BF0C3161154F07A000000004306050074D41455354524F87010261184F07A0000000041010500A4D4153544552434152448701019000',
  ],
  ['00A4040007A000000004101000', '611C'],
  ['00C000001C', '6F1A8407A0000000041010A50F500A4D4153544552434152448701019000'],
  ['80A8000002830000', '800A198008010100100103009000'],
  ['00B2010C00', '6C1B'],
  ['00B2010C1B', '701957135413330089600010D29052010000000000000F5F20012F9000'],
  ['00B2011400', '702A5A0854133300896000109F241D51314A344177535744344A767A334733694D4E37577633516B6A71626A9000'],
];

describe('EMV read (recorded exchanges)', () => {
  it('Visa: PPSE → AID → GPO with PDOL → READ RECORD; PAN from 5A', async () => {
    const card = replay(VISA);
    const r = await readEmvIdentifier(createChannel(card.transmit), { nowMs: NOW });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.source).toBe('pan');
    expect(ascii(r.value.bytes)).toBe('4761739001010119');
    expect(card.done()).toBe(true);
    // GPO: 83 10 ‖ TTQ(4) ‖ amount(6) ‖ UN(4) ‖ currency EUR(2)
    expect(card.sent[2]).toBe('80A8000012831036004000000000000000000000000978' + '00');
  });

  it('Mastercard: priority order, 61xx GET RESPONSE, 6Cxx resend with Le, PAR wins and ends the reading', async () => {
    const card = replay(MASTERCARD);
    const r = await readEmvIdentifier(createChannel(card.transmit), { nowMs: NOW });
    expect(r).toMatchObject({ ok: true, value: { source: 'par' } });
    if (r.ok) expect(ascii(r.value.bytes)).toBe(TEST_PAR);
    expect(card.done()).toBe(true); // SFI 2 records 2–3 were not read
  });

  it('wipes every response buffer the card gave, on success and on failure', async () => {
    for (const [script, succeeds] of [
      [VISA, true],
      [MASTERCARD, true],
      [VISA.slice(0, 3), false],
    ] as const) {
      const card = replay(script);
      const r = await identifyCard({ atr: CARDS['bank-card']().atr, transmit: card.transmit, cardKey: new Uint8Array(32), nowMs: NOW });
      expect(r.ok).toBe(succeeds);
      expect(card.responses.length).toBeGreaterThan(2);
      for (const resp of card.responses) expect(resp.every((b) => b === 0)).toBe(true);
    }
  });

  it('falls back to the PAN in track 2 when the records have no 5A', async () => {
    const noPanRecord: Exchange[] = [...VISA.slice(0, 3), ['00B2010C00', '700A5F280205289F0702FFC09000']];
    const r = await readEmvIdentifier(createChannel(replay(noPanRecord).transmit), { nowMs: NOW });
    expect(r).toMatchObject({ ok: true, value: { source: 'track2' } });
    if (r.ok) expect(ascii(r.value.bytes)).toBe('4761739001010119');
  });

  it('PPSE not found → not-emv (a DESFire or other ISO-DEP card)', async () => {
    const r = await readEmvIdentifier(createChannel(replay([[toHex(SELECT_PPSE), '6A82']]).transmit), { nowMs: NOW });
    expect(r).toEqual({ ok: false, error: { code: 'not-emv', step: 'ppse', sw: 0x6a82 } });
  });

  it.each<[string, Exchange[], object]>([
    ['malformed PPSE FCI', [[toHex(SELECT_PPSE), '6F2A840E32504159A5FF9000']], { code: 'malformed', step: 'ppse' }],
    ['PPSE without applications', [[toHex(SELECT_PPSE), '6F10840E325041592E5359532E44444630319000']], { code: 'no-application', step: 'ppse' }],
    ['every AID refused', [VISA[0]!, ['00A4040007A000000003101000', '6A81']], { code: 'no-application', step: 'select', sw: 0x6a81 }],
    ['GPO refused', [...VISA.slice(0, 2), ['80A8*', '6985']], { code: 'bad-status', step: 'gpo', sw: 0x6985 }],
    ['GPO answer neither 80 nor 77', [...VISA.slice(0, 2), ['80A8*', '5A021234 9000']], { code: 'malformed', step: 'gpo' }],
    ['AFL not a multiple of 4', [...VISA.slice(0, 2), ['80A8*', '80051980080101 9000']], { code: 'malformed', step: 'gpo' }],
    ['AFL with SFI 0', [...VISA.slice(0, 2), ['80A8*', '80061980 00010100 9000']], { code: 'malformed', step: 'gpo' }],
    ['record missing', [...VISA.slice(0, 3), ['00B2010C00', '6A83']], { code: 'bad-status', step: 'record', sw: 0x6a83 }],
    ['record truncated TLV', [...VISA.slice(0, 3), ['00B2010C00', '701A5F2802 9000']], { code: 'malformed', step: 'record' }],
    [
      'no identifier anywhere',
      [...VISA.slice(0, 2), ['80A8*', '80061980080101009000'], ['00B2010C00', '70045F20012F9000']],
      { code: 'no-identifier', step: 'record' },
    ],
    ['one-byte answer', [[toHex(SELECT_PPSE), '90']], { code: 'short-response', step: 'ppse' }],
    ['card gone mid-flow', VISA.slice(0, 2), { code: 'transport', step: 'gpo' }],
  ])('%s', async (_name, script, error) => {
    const r = await readEmvIdentifier(createChannel(replay(script).transmit), { nowMs: NOW });
    expect(r).toEqual({ ok: false, error });
  });

  it('a card answering 61xx forever hits the APDU limit', async () => {
    const transmit: Transmit = async () => fromHex('6110');
    const r = await readEmvIdentifier(createChannel(transmit, { maxApdus: 20 }), { nowMs: NOW });
    expect(r).toMatchObject({ ok: false, error: { step: 'ppse' } });
    if (!r.ok) expect(['apdu-limit', 'too-long']).toContain(r.error.code);
  });

  it('ignores an invalid PAR (all zeros) and uses the PAN', async () => {
    const zerosPar = '9F241D' + '30'.repeat(0) + '00'.repeat(29);
    const rec = `70${(0x0a + 0x20).toString(16)}5A084761739001010119${zerosPar}9000`;
    const r = await readEmvIdentifier(createChannel(replay([...VISA.slice(0, 3), ['00B2010C00', rec]]).transmit), { nowMs: NOW });
    expect(r).toMatchObject({ ok: true, value: { source: 'pan' } });
  });
});

describe('PDOL filling', () => {
  it('fills known tags, right-aligns numeric ones, zeros the unknown', () => {
    const data = fillDol(
      [
        { tag: 0x9f1a, length: 2 },
        { tag: 0x5f2a, length: 3 }, // longer than the value: numeric → left zeros
        { tag: 0x9a, length: 3 },
        { tag: 0x9f66, length: 2 }, // shorter: binary → leftmost bytes
        { tag: 0xdf01, length: 2 },
        { tag: 0x9f37, length: 4 },
      ],
      { nowMs: NOW, unpredictableNumber: fromHex('DEADBEEF') },
    );
    expect(toHex(data)).toBe('0528' + '000978' + '261123' + '3600' + '0000' + 'deadbeef');
  });
});

describe('APDU helpers', () => {
  it('withLe sets or adds Le for short APDU cases 1–4', () => {
    expect(toHex(withLe(fromHex('00B2010C'), 0x1b)!)).toBe('00b2010c1b');
    expect(toHex(withLe(fromHex('00B2010C00'), 0x1b)!)).toBe('00b2010c1b');
    expect(toHex(withLe(fromHex('00A4040002AABB'), 0x10)!)).toBe('00a4040002aabb10');
    expect(toHex(withLe(fromHex('00A4040002AABB00'), 0x10)!)).toBe('00a4040002aabb10');
    expect(withLe(fromHex('00A40400'.concat('0001')), 1)).toBeUndefined();
  });
});

describe('EMV against the simulated cards (same bytes as over vpcd)', () => {
  const key = new Uint8Array(32).fill(3);
  it.each(['bank-card', 'bank-card-chained'] as const)('%s → token of "emv" ‖ PAN', async (name) => {
    const card = CARDS[name]();
    const r = await identifyCard({ atr: card.atr, transmit: inProcessTransmit(card), cardKey: key, nowMs: NOW });
    expect(r).toMatchObject({ ok: true, value: { kind: 'emv', via: 'pan', token: cardToken(key, 'emv', Buffer.from(TEST_BANK_PAN)) } });
  });
  it('bank-card-par → token of "emv" ‖ PAR', async () => {
    const card = CARDS['bank-card-par']();
    const r = await identifyCard({ atr: card.atr, transmit: inProcessTransmit(card), cardKey: key, nowMs: NOW });
    expect(r).toMatchObject({ ok: true, value: { kind: 'emv', via: 'par', token: cardToken(key, 'emv', Buffer.from(TEST_PAR)) } });
  });
});
