/**
 * The CardReaders contract (gateway/ports/card-reader.ts), written once and run against every
 * implementation (STYLE.md §2): the in-process readers (unit) and the PC/SC adapter over
 * pcscd + vpcd with firmware-sim's virtual cards (integration). The harness configures two
 * bindings: `reader` → lane:l1 (present) and "No Such Reader" → kiosk:k9 (never present).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CARDS, TEST_BANK_PAN, UIDS } from '../../firmware-sim/cards/catalogue';
import type { VirtualCard } from '../../firmware-sim/cards/virtual-card';
import { cardToken } from '../../gateway/core/identity/token';
import type { CardReaders, CardTap } from '../../gateway/ports/card-reader';
import { waitFor as pollUntil } from './wait-for';

export const CONTRACT_BINDINGS = (reader: string) => [
  { match: reader, place: 'lane:l1' },
  { match: 'No Such Reader', place: 'kiosk:k9' },
];

export interface CardReadersHarness {
  /** Not started; configured with CONTRACT_BINDINGS(reader), debounce 0. */
  readers: CardReaders;
  reader: string;
  cardKey: Uint8Array;
  /**
   * Puts `card` on `reader` and takes it off again; resolves when the reader is free. With
   * `expectTap` (default) it first waits for the adapter's tap; without, for long enough
   * that one would have come.
   */
  tap(card: VirtualCard, opts?: { expectTap?: boolean }): Promise<void>;
  /** The reader disappears (unplugged, or the PC/SC service going away with it). */
  readerGone(): Promise<void>;
  /** The reader is back. */
  readerBack(): Promise<void>;
  teardown(): Promise<void>;
}

const waitFor = (cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> => pollUntil(cond, what, timeoutMs, 20);

export function cardReadersContract(name: string, setup: () => Promise<CardReadersHarness>): void {
  describe(`CardReaders contract: ${name}`, () => {
    let h: CardReadersHarness | undefined;
    afterEach(async () => {
      await h?.teardown();
      h = undefined;
    });

    async function started() {
      h = await setup();
      const x = h;
      const taps: CardTap[] = [];
      x.readers.onTap((t) => taps.push(t));
      x.readers.start(); // returns at once; readers come up in the background
      await waitFor(() => x.readers.health().some((d) => d.name === x.reader && d.state === 'up'), 'the reader up');
      return { x, taps };
    }

    it('health: the subsystem first, the present reader with its place, a binding without a reader down', async () => {
      const { x } = await started();
      const health = x.readers.health();
      expect(health[0]).toMatchObject({ state: 'up' });
      expect(health[0]!.kind).not.toBe('card-reader');
      expect(health.find((d) => d.name === x.reader)).toMatchObject({ kind: 'card-reader', state: 'up', detail: 'lane:l1' });
      expect(health.filter((d) => d.kind === 'card-reader' && d.state === 'down')).toHaveLength(1);
      expect(health.find((d) => d.kind === 'card-reader' && d.state === 'down')!.detail).toContain('No Such Reader');
    });

    it('each card presented gives exactly one tap: kind, HMAC token, reader and place; the same card gives the same token', async () => {
      const { x, taps } = await started();
      await x.tap(CARDS['classic-1k']());
      await x.tap(CARDS['classic-1k']());
      expect(taps).toHaveLength(2);
      const token = cardToken(x.cardKey, 'mifare-classic-1k', UIDS.classic1k);
      for (const t of taps)
        expect(t).toMatchObject({ outcome: 'identified', kind: 'mifare-classic-1k', token, reader: x.reader, place: { type: 'lane', id: 'l1' } });
      expect(taps[0]!.outcome === 'identified' && /^[0-9a-f]{64}$/.test(taps[0]!.token)).toBe(true);
    });

    it('card numbers never leave the adapter: not in taps or health', async () => {
      const { x, taps } = await started();
      await x.tap(CARDS['bank-card']());
      await x.tap(CARDS['classic-1k']());
      expect(taps.map((t) => t.outcome)).toEqual(['identified', 'identified']);
      const text = JSON.stringify([taps, x.readers.health()]).toLowerCase();
      expect(text).not.toContain(TEST_BANK_PAN);
      expect(text).not.toContain(Buffer.from(UIDS.classic1k).toString('hex'));
    });

    it('a card removed mid-read: one rejected tap (removed or timeout), no identity; the next card is read afresh', async () => {
      const { x, taps } = await started();
      await x.tap(CARDS['removed-mid-read']());
      await x.tap(CARDS['classic-1k']());
      expect(taps).toHaveLength(2);
      expect(taps[0]).toMatchObject({ outcome: 'rejected' });
      expect(['removed', 'timeout']).toContain((taps[0] as { reason?: string }).reason);
      expect(taps[0]).not.toHaveProperty('token');
      expect(taps[1]).toMatchObject({ outcome: 'identified', kind: 'mifare-classic-1k' });
    });

    it('listeners are called in registration order; one that throws does not affect the others; unsubscribe works', async () => {
      const { x } = await started();
      const calls: string[] = [];
      x.readers.onTap(() => calls.push('first'));
      x.readers.onTap(() => {
        calls.push('thrower');
        throw new Error('listener bug');
      });
      const off = x.readers.onTap(() => calls.push('last'));
      await x.tap(CARDS['classic-1k']());
      expect(calls).toEqual(['first', 'thrower', 'last']);
      off();
      await x.tap(CARDS['ultralight']());
      expect(calls).toEqual(['first', 'thrower', 'last', 'first', 'thrower']);
    });

    it('a reader that disappears is dropped from health, its binding shows down; it comes back and reads again', async () => {
      const { x, taps } = await started();
      await x.readerGone();
      await waitFor(() => !x.readers.health().some((d) => d.name === x.reader), 'the reader dropped');
      const bindingsDown = x.readers.health().filter((d) => d.kind === 'card-reader' && d.state === 'down');
      expect(bindingsDown).toHaveLength(2); // lane:l1 now, and kiosk:k9 as before
      expect(bindingsDown.map((d) => d.detail).join(' ')).toContain(x.reader);
      await x.readerBack();
      await waitFor(() => x.readers.health().some((d) => d.name === x.reader && d.state === 'up'), 'the reader back', 60_000);
      await x.tap(CARDS['classic-1k']());
      expect(taps).toMatchObject([{ outcome: 'identified', kind: 'mifare-classic-1k' }]);
    });

    it('stop() resolves, is idempotent, and no tap is delivered after it', async () => {
      const { x, taps } = await started();
      await Promise.all([x.readers.stop(), x.readers.stop()]);
      await x.tap(CARDS['classic-1k'](), { expectTap: false });
      expect(taps).toEqual([]);
      await x.readers.stop();
    });
  });
}
