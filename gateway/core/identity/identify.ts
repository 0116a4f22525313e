/**
 * From a card in the field to an identity: classify by ATR, then read the UID (storage cards,
 * DESFire) or run the EMV flow (ISO-DEP cards that answer PPSE), then tokenise. All card I/O
 * goes through the injected transmit; no failure of the card throws. Nothing read from the
 * card outlives this call except the token: responses, UIDs and PANs are wiped.
 */
import { err, ok, type Result } from '../result';
import { SW_OK, createChannel, swHex, type CardChannel, type Transmit } from './apdu';
import { classifyAtr } from './atr';
import { wipe } from './bytes';
import { describeEmvFailure, readEmvIdentifier } from './emv';
import type { CardKind, TapFailureReason } from './kinds';
import { cardToken, isRandomUid, isValidUidLength } from './token';

export interface IdentifyInput {
  readonly atr: Uint8Array;
  readonly transmit: Transmit;
  readonly cardKey: Uint8Array;
  /** For the EMV transaction date. */
  readonly nowMs: number;
  /** 4 random bytes for the EMV unpredictable number (9F37). */
  readonly unpredictableNumber?: Uint8Array;
}

export interface CardIdentity {
  readonly kind: CardKind;
  readonly token: string;
  /** Which identifier the token was made from. */
  readonly via: 'uid' | 'par' | 'pan' | 'track2';
  /** APDUs exchanged (pseudo-APDUs to the reader included). */
  readonly apdus: number;
}

export interface IdentifyFailure {
  readonly reason: TapFailureReason;
  readonly kind?: CardKind;
  /** Free of card data: step, error code, status word. */
  readonly detail: string;
  readonly apdus: number;
}

/** PC/SC Part 3 GET DATA, UID: answered by the reader for every contactless card. */
export const GET_UID = Uint8Array.from([0xff, 0xca, 0x00, 0x00, 0x00]);

async function byUid(channel: CardChannel, kind: CardKind, key: Uint8Array): Promise<Result<CardIdentity, IdentifyFailure>> {
  const r = await channel.exchange(GET_UID);
  if (!r.ok) {
    return err({ reason: r.error.code === 'transport' ? 'removed' : 'read-failed', kind, detail: `uid: ${r.error.code}`, apdus: channel.sent });
  }
  const uid = r.value.data;
  try {
    if (r.value.sw !== SW_OK) return err({ reason: 'read-failed', kind, detail: `uid: sw ${swHex(r.value.sw)}`, apdus: channel.sent });
    if (!isValidUidLength(uid.length)) return err({ reason: 'read-failed', kind, detail: `uid: ${uid.length} bytes`, apdus: channel.sent });
    if (isRandomUid(uid)) return err({ reason: 'random-id', kind, detail: 'random uid', apdus: channel.sent });
    return ok({ kind, token: cardToken(key, kind, uid), via: 'uid', apdus: channel.sent });
  } finally {
    wipe(uid);
  }
}

export async function identifyCard(input: IdentifyInput): Promise<Result<CardIdentity, IdentifyFailure>> {
  const channel = createChannel(input.transmit);
  const cls = classifyAtr(input.atr);
  if (cls.family === 'unknown') return err({ reason: 'unsupported-card', detail: 'atr not a contactless PC/SC atr', apdus: 0 });
  if (cls.family === 'storage') {
    if (!cls.kind) return err({ reason: 'unsupported-card', detail: `storage card name 0x${cls.nameCode.toString(16).padStart(4, '0')}`, apdus: 0 });
    return byUid(channel, cls.kind, input.cardKey);
  }

  // ISO-DEP: EMV if it answers PPSE; its UID is random (issue 3), so only PAR/PAN count.
  const emv = await readEmvIdentifier(channel, {
    nowMs: input.nowMs,
    ...(input.unpredictableNumber ? { unpredictableNumber: input.unpredictableNumber } : {}),
  });
  if (emv.ok) {
    try {
      return ok({ kind: 'emv', token: cardToken(input.cardKey, 'emv', emv.value.bytes), via: emv.value.source, apdus: channel.sent });
    } finally {
      wipe(emv.value.bytes);
    }
  }
  const f = emv.error;
  if (f.code === 'not-emv') {
    if (cls.desfire) return byUid(channel, 'desfire', input.cardKey);
    return err({ reason: 'unsupported-card', detail: describeEmvFailure(f), apdus: channel.sent });
  }
  // Past a successful PPSE the card is an EMV card.
  const kind: CardKind | undefined = f.step === 'ppse' && f.code !== 'no-application' && f.code !== 'malformed' ? undefined : 'emv';
  const reason: TapFailureReason = f.code === 'transport' ? 'removed' : 'read-failed';
  return err({ reason, ...(kind ? { kind } : {}), detail: describeEmvFailure(f), apdus: channel.sent });
}
