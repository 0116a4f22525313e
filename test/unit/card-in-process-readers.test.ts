import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createInProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { cardToken } from '../../gateway/core/identity/token';
import { CARDS, UIDS } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import type { CardTap } from '../../gateway/ports/card-reader';

const KEY = new Uint8Array(32).fill(1);
const silent = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

describe('in-process card readers (tests and the demo without pcscd)', () => {
  it('runs the same pipeline: place, kind, token, debounce, health', async () => {
    const readers = createInProcessCardReaders({
      config: {
        readers: [
          { match: 'lane-1', place: 'lane:1' },
          { match: 'kiosk', place: 'kiosk:k' },
        ],
        staff: [],
        debounceMs: 1000,
        readTimeoutMs: 500,
      },
      cardKey: KEY,
      log: silent,
      readers: ['lane-1'],
    });
    const taps: CardTap[] = [];
    readers.onTap((t) => taps.push(t));
    readers.start();
    const card = CARDS['classic-1k']();
    const tap = await readers.present('lane-1', { atr: card.atr, transmit: inProcessTransmit(card) });
    expect(tap).toMatchObject({
      outcome: 'identified',
      kind: 'mifare-classic-1k',
      place: { type: 'lane', id: '1' },
      token: cardToken(KEY, 'mifare-classic-1k', UIDS.classic1k),
    });
    expect(await readers.present('lane-1', { atr: card.atr, transmit: inProcessTransmit(card) })).toBeUndefined();
    const rnd = CARDS['random-uid']();
    expect(await readers.present('lane-1', { atr: rnd.atr, transmit: inProcessTransmit(rnd) })).toMatchObject({ outcome: 'rejected', reason: 'random-id' });
    expect(taps).toHaveLength(2);
    expect(readers.health()).toContainEqual(expect.objectContaining({ name: 'reader for kiosk:k', state: 'down' }));
    await expect(readers.present('nope', { atr: card.atr, transmit: inProcessTransmit(card) })).rejects.toThrow(/no reader/);
    await readers.stop();
  });
});
