/**
 * The card identity: `HMAC-SHA256(cardKey, kind ‖ identifier)` as lowercase hex (DESIGN.md
 * §5). The kind is its ASCII name, the identifier the UID bytes (storage cards, DESFire) or
 * the ASCII PAR / PAN digits (EMV). Without the key a token cannot be turned back into a card
 * number, and tokens from two stores with different keys cannot be joined.
 */
import { createHmac } from 'node:crypto';
import type { CardKind } from './kinds';

/** Minimum key length: a 256-bit HMAC key. */
export const CARD_KEY_BYTES = 32;

export function cardToken(cardKey: Uint8Array, kind: CardKind, identifier: Uint8Array): string {
  if (cardKey.length < CARD_KEY_BYTES) throw new RangeError(`card key must be at least ${CARD_KEY_BYTES} bytes`);
  return createHmac('sha256', cardKey).update(kind, 'ascii').update(identifier).digest('hex');
}

/**
 * A 4-byte UID starting 0x08 is a random ID (ISO/IEC 14443-3 §6.4.4 "RID"): a new one at
 * every power-up, so it is never an identity. Single-size UIDs with another first byte are
 * fixed (NUID/ONUID) and 7- or 10-byte UIDs are unique.
 */
export function isRandomUid(uid: Uint8Array): boolean {
  return uid.length === 4 && uid[0] === 0x08;
}

/** UID sizes ISO 14443-3 allows: single (4), double (7), triple (10). */
export function isValidUidLength(n: number): boolean {
  return n === 4 || n === 7 || n === 10;
}

export interface StaffEntry {
  readonly token: string;
  readonly role: string;
  readonly label?: string;
}

/** The staff entry for a token, when the card is a staff pass (HQ's staff list, issue 3). */
export function staffEntryFor(token: string, staff: readonly StaffEntry[]): StaffEntry | undefined {
  const t = token.toLowerCase();
  return staff.find((s) => s.token.toLowerCase() === t);
}
