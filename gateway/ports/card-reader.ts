/**
 * Card readers (PC/SC, DESIGN.md §5, issue 3): taps in, identities out. One CardReaders
 * serves every reader of the gateway; readers are bound to places (a till lane, a kiosk) by
 * name pattern in config (`cards.readers`).
 *
 * Contract:
 * - `start()` returns at once. The subsystem comes up in the background. Without the PC/SC
 *   service (pcscd) it does not hang or spin: `health()` reports it `down` with the reason,
 *   it retries with back-off, and readers come up by themselves when the service appears.
 *   When the driver library is not installed at all, it reports `disabled` and stays so.
 * - Readers come and go (hot-plug, the service restarting). A reader that disappears is
 *   dropped from `health()`; a configured binding with no reader present shows `down`.
 * - Each card presented is read once and gives exactly one `CardTap`: an identity (kind and
 *   token) or a failure reason. A card held on the reader is one tap; the same outcome on the
 *   same reader within `cards.debounceMs` is not repeated.
 * - A card removed in the middle of a read leaves nothing behind: the tap says `removed`
 *   (or `timeout`), no partial identity is emitted, and the next tap is read afresh.
 * - A token is `HMAC-SHA256(cardKey, kind ‖ identifier)`. Card numbers (UID, PAN, track 2)
 *   and raw APDUs never leave the reader adapter: not in taps, logs, health or errors.
 * - Listeners are called synchronously in registration order; a listener that throws is
 *   logged and does not affect the others or the reader.
 * - `stop()` stops reading, releases the readers and the PC/SC context, and resolves when
 *   done. Idempotent. No tap is delivered after it resolves.
 */
import type { CardKind, TapFailureReason } from '../core/identity/kinds';
import type { Place } from '../core/identity/places';
import type { DeviceHealth } from './health';

export type { CardKind, TapFailureReason, Place };

interface TapBase {
  /** The reader's PC/SC name. */
  readonly reader: string;
  /** Where the reader is, from config; undefined for a reader no binding matches. */
  readonly place: Place | undefined;
  /** Wall-clock time of the tap (epoch ms). */
  readonly at: number;
  /** Milliseconds from the card being connected to the outcome, APDU round trips included. */
  readonly readMs: number;
  /** Of readMs, the milliseconds spent waiting for the reader and card to answer APDUs. */
  readonly ioMs: number;
}

export interface IdentifiedTap extends TapBase {
  readonly outcome: 'identified';
  readonly kind: CardKind;
  /** 64 hex characters. Personal data: do not log it. */
  readonly token: string;
  /** Set when the token is on the staff list. */
  readonly staff?: { readonly role: string; readonly label?: string };
}

export interface RejectedTap extends TapBase {
  readonly outcome: 'rejected';
  /** Known when the ATR (or a successful PPSE) told it. */
  readonly kind: CardKind | undefined;
  readonly reason: TapFailureReason;
  /** For logs and support: step and status word, never card data. */
  readonly detail: string;
}

export type CardTap = IdentifiedTap | RejectedTap;

export type TapListener = (tap: CardTap) => void;

export interface CardReaders {
  start(): void;
  stop(): Promise<void>;
  /** Subscribes to taps; returns the unsubscribe function. */
  onTap(listener: TapListener): () => void;
  /**
   * The subsystem first (`kind: 'pcsc'`: up, down with the reason, disabled), then one entry
   * per present reader (`kind: 'card-reader'`, detail = its place) and one `down` entry per
   * configured binding that no present reader matches.
   */
  health(): DeviceHealth[];
}
