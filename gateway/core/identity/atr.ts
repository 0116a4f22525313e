/**
 * ATR classification for contactless cards behind a PC/SC reader (PC/SC Part 3 §3.1.3.2.3).
 * A contactless reader synthesises the ATR:
 *   3B 8n 80 01 <n historical bytes> TCK
 * Storage cards (ISO 14443-3, no ISO-DEP) carry 15 historical bytes:
 *   80 4F 0C A0 00 00 03 06 SS NN NN 00 00 00 00   (RID A0 00 00 03 06 = PC/SC workgroup)
 * with SS the standard and NN NN the card name (Part 3 supplement). ISO-DEP cards (14443-4)
 * carry the ATS historical bytes (type A) or the ATQB application data (type B): DESFire
 * shows a single 0x80; EMV cards show anything, so an ISO-DEP card is EMV only if it answers
 * SELECT PPSE (see emv.ts).
 */
import type { CardKind } from './kinds';

export type AtrClass =
  | { readonly family: 'storage'; readonly kind: CardKind | undefined; readonly nameCode: number }
  | { readonly family: 'iso-dep'; readonly desfire: boolean; readonly historical: Uint8Array }
  | { readonly family: 'unknown' };

/** PC/SC Part 3 supplement, card names. Only those we read map to a kind. */
const STORAGE_NAMES: ReadonlyMap<number, CardKind> = new Map([
  [0x0001, 'mifare-classic-1k'],
  [0x0002, 'ov-chipkaart'], // MIFARE Classic 4K: the OV-chipkaart
  [0x0003, 'ultralight'],
  [0x003a, 'ultralight'], // Ultralight C
]);

const STORAGE_PREFIX = [0x80, 0x4f, 0x0c, 0xa0, 0x00, 0x00, 0x03, 0x06];

/** Splits a contactless ATR into its historical bytes; undefined when not the Part 3 layout. */
function historicalBytes(atr: Uint8Array): Uint8Array | undefined {
  // TS T0 TD1 TD2: 3B 8n 80 01 — T0 says TD1 follows and n historical bytes; TD1 says TD2
  // follows (T=0), TD2 says T=1 and nothing more. Then n bytes and TCK.
  if (atr.length < 5 || atr[0] !== 0x3b || (atr[1]! & 0xf0) !== 0x80 || atr[2] !== 0x80 || atr[3] !== 0x01) return undefined;
  const n = atr[1]! & 0x0f;
  if (atr.length !== 4 + n + 1) return undefined;
  let tck = 0;
  for (let i = 1; i < atr.length; i++) tck ^= atr[i]!;
  if (tck !== 0) return undefined; // XOR of T0..TCK must be 0
  return atr.subarray(4, 4 + n);
}

export function classifyAtr(atr: Uint8Array): AtrClass {
  const hist = historicalBytes(atr);
  if (!hist) return { family: 'unknown' };
  if (hist.length === 15 && STORAGE_PREFIX.every((b, i) => hist[i] === b)) {
    const nameCode = hist[9]! * 256 + hist[10]!;
    return { family: 'storage', kind: STORAGE_NAMES.get(nameCode), nameCode };
  }
  return { family: 'iso-dep', desfire: hist.length === 1 && hist[0] === 0x80, historical: hist };
}

/** Builds a Part 3 contactless ATR around historical bytes (simulators and tests). */
export function contactlessAtr(historical: Uint8Array): Uint8Array {
  if (historical.length > 15) throw new RangeError('at most 15 historical bytes');
  const atr = new Uint8Array(5 + historical.length);
  atr.set([0x3b, 0x80 | historical.length, 0x80, 0x01]);
  atr.set(historical, 4);
  let tck = 0;
  for (let i = 1; i < atr.length - 1; i++) tck ^= atr[i]!;
  atr[atr.length - 1] = tck;
  return atr;
}

/** The ATR a PC/SC reader gives a storage card with this Part 3 name code (0x0002 = Classic 4K). */
export function storageCardAtr(nameCode: number): Uint8Array {
  return contactlessAtr(Uint8Array.from([...STORAGE_PREFIX, 0x03, nameCode >> 8, nameCode & 0xff, 0, 0, 0, 0]));
}
