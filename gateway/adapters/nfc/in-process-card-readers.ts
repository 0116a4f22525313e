/**
 * CardReaders without PC/SC: readers are added by name and cards presented by calling
 * `present()` with an ATR and a transmit (firmware-sim's `inProcessTransmit(card)`). The
 * same pipeline as the PC/SC adapter identifies, debounces and delivers the tap, so unit
 * tests, and the demo where pcscd is not installed, see the gateway's real behaviour.
 */
import type { Transmit } from '../../core/identity/apdu';
import { formatPlace, readerMatches } from '../../core/identity/places';
import type { CardsConfig } from '../../config/cards-schema';
import type { CardReaders, CardTap } from '../../ports/card-reader';
import { systemClock, type Clock } from '../../ports/clock';
import type { DeviceHealth } from '../../ports/health';
import type { Logger } from '../logging/create-logger';
import { createTapPipeline } from './tap-pipeline';

export interface InProcessCardReaders extends CardReaders {
  addReader(name: string): void;
  removeReader(name: string): void;
  /** Reads the card on `reader`; resolves with the tap delivered (undefined when debounced). */
  present(reader: string, card: { atr: Uint8Array; transmit: Transmit }): Promise<CardTap | undefined>;
}

export function createInProcessCardReaders(opts: {
  config: Pick<CardsConfig, 'readers' | 'staff' | 'debounceMs' | 'readTimeoutMs'>;
  cardKey: Uint8Array;
  log: Logger;
  clock?: Clock;
  readers?: string[];
}): InProcessCardReaders {
  const clock = opts.clock ?? systemClock;
  const pipeline = createTapPipeline({
    cardKey: opts.cardKey,
    readers: opts.config.readers,
    staff: opts.config.staff,
    debounceMs: opts.config.debounceMs,
    readTimeoutMs: opts.config.readTimeoutMs,
    clock,
    log: opts.log,
  });
  const readers = new Map<string, number>((opts.readers ?? []).map((r) => [r, clock.now()]));
  let state: 'stopped' | 'up' = 'stopped';
  let since = clock.now();
  return {
    start() {
      if (state === 'up') return;
      state = 'up';
      since = clock.now();
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      since = clock.now();
      pipeline.close();
    },
    onTap: (l) => pipeline.onTap(l),
    addReader(name) {
      if (!readers.has(name)) readers.set(name, clock.now());
    },
    removeReader(name) {
      readers.delete(name);
      pipeline.forget(name);
    },
    async present(reader, card) {
      if (state !== 'up') throw new Error('card readers not started');
      if (!readers.has(reader)) throw new Error(`no reader "${reader}"`);
      return pipeline.read(reader, card.atr, card.transmit);
    },
    health() {
      const out: DeviceHealth[] = [{ name: 'card-readers', kind: 'in-process', state, since }];
      for (const [name, at] of readers) {
        const place = pipeline.placeOf(name);
        out.push({ name, kind: 'card-reader', state: 'up', since: at, detail: place ? formatPlace(place) : 'not bound to a place' });
      }
      for (const b of opts.config.readers) {
        if (![...readers.keys()].some((n) => readerMatches(n, b.match))) {
          out.push({ name: `reader for ${b.place}`, kind: 'card-reader', state: 'down', since, detail: `no reader matching "${b.match}"` });
        }
      }
      return out;
    },
  };
}
