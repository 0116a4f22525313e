/**
 * Card taps at the till lanes' readers, as the till service sees them when the till sends
 * `identify` with `card: true` ("the card most recently tapped at this lane").
 *
 * Contract:
 * - `takeTap(lane, nowMs)` is synchronous (it reads the adapter's in-memory state; it is
 *   called inside the ledger transaction, so it must not do I/O or wait).
 * - It CONSUMES the tap: a second call for the same tap returns `undefined`. A tap older
 *   than the adapter's freshness window (`cards.tapWindowMs`, 30 s by default) is not returned.
 * - It returns only the card's token (the HMAC identity of DESIGN.md §5), never a UID or
 *   card number. A card whose UID is random per tap gives `{ kind: 'random-id' }`; a card
 *   that was seen but could not be read gives `{ kind: 'unreadable' }`.
 * - `undefined`: no fresh tap at that lane (or no reader configured for it).
 */
export type CardTap = { readonly kind: 'member'; readonly token: string } | { readonly kind: 'random-id' } | { readonly kind: 'unreadable' };

export interface CardTapSource {
  takeTap(lane: string, nowMs: number): CardTap | undefined;
}
