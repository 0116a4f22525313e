/**
 * A virtual contactless card as a PC/SC reader presents it: an ATR (the reader's synthesised
 * one, PC/SC Part 3) and answers to APDUs, including the reader's own pseudo-APDU
 * `FF CA 00 00 00` (GET DATA: UID), which a real reader answers for the card and vpcd passes
 * to us. The same object serves the vpcd link (integration tests, the demo, the CLI) and
 * in-process transmits (unit tests), so both paths see the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { storageCardAtr, contactlessAtr } from '../../gateway/core/identity/atr';
import { cat, hex } from './tlv-build';

/**
 * What a card does with an APDU: answer it, stay silent (the reader waits until it gives
 * up or the card leaves), or leave the field right now without answering.
 */
export type CardAnswer = Uint8Array | 'silent' | 'remove';

export interface VirtualCard {
  /** Short name for the CLI and test output (never card data). */
  readonly label: string;
  readonly atr: Uint8Array;
  /** Called when the card enters the field (a tap). */
  powerOn?(): void;
  respond(apdu: Uint8Array): CardAnswer;
}

export const SW = {
  ok: hex('9000'),
  wrongLength: hex('6700'),
  notFound: hex('6A82'),
  recordNotFound: hex('6A83'),
  funcNotSupported: hex('6A81'),
  insNotSupported: hex('6D00'),
  claNotSupported: hex('6E00'),
  conditions: hex('6985'),
} as const;

const isGetUid = (a: Uint8Array) => a.length === 5 && a[0] === 0xff && a[1] === 0xca && a[2] === 0x00 && a[3] === 0x00;

/** Answers GET DATA (UID) as a PC/SC reader does: honours Le (6C when it is wrong). */
export function answerUid(apdu: Uint8Array, uid: Uint8Array): Uint8Array | undefined {
  if (!isGetUid(apdu)) return undefined;
  const le = apdu[4]!;
  if (le !== 0 && le !== uid.length) return Uint8Array.from([0x6c, uid.length]);
  return cat(uid, SW.ok);
}

export const STORAGE_NAME = { classic1k: 0x0001, classic4k: 0x0002, ultralight: 0x0003 } as const;

/** MIFARE Classic 1K/4K or Ultralight: a fixed UID, nothing else the gateway asks for. */
export function storageCard(label: string, nameCode: number, uid: Uint8Array): VirtualCard {
  const atr = storageCardAtr(nameCode);
  return {
    label,
    atr,
    respond: (apdu) => answerUid(apdu, uid) ?? SW.funcNotSupported,
  };
}

/** DESFire (EV1 ATR `3B 81 80 01 80 80`): 7-byte UID; ISO SELECT of a missing DF → 6A82. */
export function desfireCard(label: string, uid: Uint8Array): VirtualCard {
  return {
    label,
    atr: contactlessAtr(Uint8Array.from([0x80])),
    respond: (apdu) => answerUid(apdu, uid) ?? (apdu[1] === 0xa4 ? SW.notFound : SW.claNotSupported),
  };
}

/** A single-size random ID card (08 xx xx xx, new at every tap): never an identity. */
export function randomUidCard(label = 'random-uid'): VirtualCard {
  let uid = cat([0x08], randomBytes(3));
  return {
    label,
    atr: storageCardAtr(STORAGE_NAME.classic1k),
    powerOn() {
      uid = cat([0x08], randomBytes(3));
    },
    respond: (apdu) => answerUid(apdu, uid) ?? SW.funcNotSupported,
  };
}
