/**
 * A contactless EMV card (bank card, OV-pas) that answers what the gateway's reading flow
 * sends: SELECT PPSE, SELECT AID, GET PROCESSING OPTIONS (checks the PDOL data length),
 * READ RECORD per its AFL. Transport quirks can be switched on to exercise the gateway:
 * `getResponse` (answers 61xx and hands the data out over GET RESPONSE in chunks) and
 * `wrongLe` (answers 6Cxx to READ RECORD with Le 00 first). Behaviour hooks let a test make
 * a step fail, go silent or leave the field.
 */
import { contactlessAtr } from '../../gateway/core/identity/atr';
import { SW, type CardAnswer, type VirtualCard } from './virtual-card';
import { ascii, bcd, cat, hex, tlv } from './tlv-build';

export interface EmvCardOptions {
  label: string;
  pan: string;
  /** YYMM */
  expiry: string;
  /** Payment Account Reference (29 characters); absent on older cards. */
  par?: string;
  aid: Uint8Array;
  appLabel: string;
  /** ATS historical bytes the reader puts in the ATR. */
  historical?: Uint8Array;
  /** GPO answer format: 1 (tag 80: AIP ‖ AFL) or 2 (template 77). Default 2. */
  gpoFormat?: 1 | 2;
  /** Put track 2 into the GPO answer (as qVSDC cards do) besides the records. */
  track2InGpo?: boolean;
  getResponse?: boolean;
  wrongLe?: boolean;
  /** Per step: answer with this status word instead, stay silent or leave the field. */
  fault?: Partial<Record<'ppse' | 'select' | 'gpo' | 'record', Uint8Array | 'silent' | 'remove'>>;
}

export type EmvStep = 'ppse' | 'select' | 'gpo' | 'record';

const PPSE_NAME = ascii('2PAY.SYS.DDF01');
/** TTQ, amount, other amount, country, TVR, currency, date, type, unpredictable number. */
const PDOL = hex('9F6604 9F0206 9F0306 9F1A02 9505 5F2A02 9A03 9C01 9F3704');
const PDOL_DATA_LENGTH = 4 + 6 + 6 + 2 + 5 + 2 + 3 + 1 + 4;

export function track2(pan: string, expiry: string): Uint8Array {
  return bcd(`${pan}D${expiry}201${'0'.repeat(12)}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function emvCard(o: EmvCardOptions): VirtualCard {
  const aip = hex('2000'); // SDA not supported... (value irrelevant to the gateway)
  // SFI 1 record 1: track 2 and name; SFI 2 records 1–2: PAN, dates, and the PAR last.
  const afl = hex('08010100 10010201');
  const records = new Map<string, Uint8Array>([
    ['1:1', tlv(0x70, tlv(0x57, track2(o.pan, o.expiry)), tlv(0x5f20, ascii('/')), tlv(0x9f1f, ascii('0000000000')))],
    ['2:1', tlv(0x70, tlv(0x5a, bcd(o.pan)), tlv(0x5f24, bcd(`${o.expiry}31`)), tlv(0x5f25, bcd('200101')), tlv(0x5f28, hex('0528')), tlv(0x5f34, [0x01]))],
    ['2:2', tlv(0x70, tlv(0x8c, hex('9F02069F03069F1A0295055F2A029A039C019F3704')), tlv(0x9f07, hex('FFC0')), ...(o.par ? [tlv(0x9f24, ascii(o.par))] : []))],
  ]);
  const ppseFci = tlv(0x6f, tlv(0x84, PPSE_NAME), tlv(0xa5, tlv(0xbf0c, tlv(0x61, tlv(0x4f, o.aid), tlv(0x50, ascii(o.appLabel)), tlv(0x87, [0x01])))));
  const aidFci = tlv(0x6f, tlv(0x84, o.aid), tlv(0xa5, tlv(0x50, ascii(o.appLabel)), tlv(0x87, [0x01]), tlv(0x9f38, PDOL), tlv(0x5f2d, ascii('nlen'))));
  const gpoAnswer =
    o.gpoFormat === 1
      ? tlv(0x80, aip, afl)
      : tlv(0x77, tlv(0x82, aip), tlv(0x94, afl), tlv(0x9f36, hex('0001')), ...(o.track2InGpo ? [tlv(0x57, track2(o.pan, o.expiry))] : []));

  let pending: Uint8Array | undefined; // data waiting for GET RESPONSE
  const CHUNK = 48;

  function reply(data: Uint8Array): Uint8Array {
    if (!o.getResponse || data.length === 0) return cat(data, SW.ok);
    pending = data;
    return Uint8Array.from([0x61, Math.min(CHUNK, data.length)]);
  }

  function faultOr(step: EmvStep, answer: () => CardAnswer): CardAnswer {
    const f = o.fault?.[step];
    return f ?? answer();
  }

  return {
    label: o.label,
    atr: contactlessAtr(o.historical ?? hex('8031 80 65 B0 83 11 11 A5 83 00 90 00'.replace(/ /g, ''))),
    powerOn() {
      pending = undefined;
    },
    respond(apdu) {
      const ins = apdu[1];
      if (apdu[0] === 0x00 && ins === 0xc0) {
        if (!pending) return hex('6985');
        const n = apdu[4] === 0 ? 256 : apdu[4]!;
        const part = pending.subarray(0, n);
        pending = pending.length > n ? pending.subarray(n) : undefined;
        return pending ? cat(part, [0x61, Math.min(CHUNK, pending.length)]) : cat(part, SW.ok);
      }
      pending = undefined;
      if (apdu[0] === 0xff && ins === 0xca) {
        // The UID of an EMV card is random per tap (the reader reports whatever the card gave).
        return cat([0x08], Uint8Array.from([Math.random() * 256, Math.random() * 256, Math.random() * 256]), SW.ok);
      }
      if (apdu[0] === 0x00 && ins === 0xa4 && apdu[2] === 0x04) {
        const name = apdu.subarray(5, 5 + apdu[4]!);
        if (sameBytes(name, PPSE_NAME)) return faultOr('ppse', () => reply(ppseFci));
        if (sameBytes(name, o.aid)) return faultOr('select', () => reply(aidFci));
        return SW.notFound;
      }
      if (apdu[0] === 0x80 && ins === 0xa8) {
        return faultOr('gpo', () => {
          const lc = apdu[4]!;
          if (apdu[5] !== 0x83 || apdu[6] !== PDOL_DATA_LENGTH || lc !== PDOL_DATA_LENGTH + 2) return SW.wrongLength;
          return reply(gpoAnswer);
        });
      }
      if (apdu[0] === 0x00 && ins === 0xb2) {
        return faultOr('record', () => {
          const rec = records.get(`${apdu[3]! >> 3}:${apdu[2]}`);
          if (!rec || (apdu[3]! & 0x07) !== 0x04) return SW.recordNotFound;
          const le = apdu[4]!;
          if (o.wrongLe && le !== rec.length) return Uint8Array.from([0x6c, rec.length]);
          return reply(rec);
        });
      }
      return SW.insNotSupported;
    },
  };
}
