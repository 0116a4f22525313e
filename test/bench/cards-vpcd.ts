/**
 * One tap on a vpcd reader, the way the card tests and `bench:cards` need it: put a virtual
 * card on the reader, wait until the gateway has seen it, take it off, and wait until vpcd
 * has let it go, so the next card on that reader is a new presentation (docs/cards.md,
 * "Things the test stack does that real readers do not").
 */
import { tapCard, VPCD_BASE_PORT, vpcdReaderName } from '../../firmware-sim/cards/vpcd';
import type { VirtualCard } from '../../firmware-sim/cards/virtual-card';
import { waitFor, waitVpcdIdle } from '../support/pcscd';

/** pcscd asks vpcd for presence about every 0.4 s. */
export const PCSCD_POLL_MS = 400;

export interface PresentOptions<T> {
  /** 0 → "Virtual PCD 00 00", 1 → "Virtual PCD 00 01". */
  reader: number;
  /** Polled until it returns a value: what the caller waits for (the tap, an answer). */
  seen: () => T | undefined;
  timeoutMs?: number;
  /** Keep the card on the reader this long after it was seen. */
  holdMs?: number;
  /**
   * Wait after vpcd let go. A card that left in the middle of a command needs one poll
   * period, or pcscd never sees the slot empty and takes the next card for the old one.
   */
  settleMs?: number;
}

export interface Presented<T> {
  value: T;
  /** performance.now() of the TCP connect to vpcd: the moment of the tap. */
  connectedAt: number;
}

export async function presentCard<T>(card: VirtualCard, o: PresentOptions<T>): Promise<Presented<T>> {
  const tapped = await tapCard(card, { reader: o.reader });
  let value: T | undefined;
  try {
    await waitFor(`${card.label} to be seen on "${vpcdReaderName(o.reader)}"`, () => (value = o.seen()) !== undefined, o.timeoutMs ?? 15_000, 5);
    if (o.holdMs) await new Promise((r) => setTimeout(r, o.holdMs));
  } finally {
    await tapped.remove();
    await waitVpcdIdle(VPCD_BASE_PORT + o.reader);
    if (o.settleMs) await new Promise((r) => setTimeout(r, o.settleMs));
  }
  return { value: value as T, connectedAt: tapped.connectedAt };
}
