/**
 * The card kinds the gateway tells apart (issue 3). The kind is part of the identity
 * (`HMAC(cardKey, kind ‖ identifier)`), so the same UID on two kinds of card is two
 * identities. No kind's name is a prefix of another's, so `kind ‖ identifier` is unambiguous.
 */
export const CARD_KINDS = ['ov-chipkaart', 'mifare-classic-1k', 'ultralight', 'desfire', 'emv'] as const;
export type CardKind = (typeof CARD_KINDS)[number];

/**
 * Why a tap gave no identity. Stable codes the till and kiosk can show:
 * - `random-id`: the card shows a different id at every tap (4-byte UID 08xxxxxx, or an EMV
 *   card read without PAN/PAR): it can never identify anyone.
 * - `unsupported-card`: an ATR or card we do not know how to read.
 * - `read-failed`: the card answered, but with errors or data we could not use.
 * - `removed`: the card left the field (or the reader went away) in the middle of the read.
 * - `timeout`: the read took longer than the configured limit.
 */
export const TAP_FAILURES = ['random-id', 'unsupported-card', 'read-failed', 'removed', 'timeout'] as const;
export type TapFailureReason = (typeof TAP_FAILURES)[number];
