/** The CardReaders contract against the in-process readers (gateway/adapters/nfc/in-process-card-readers.ts). */
import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createInProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import { cardReadersContract, CONTRACT_BINDINGS } from '../support/card-readers-contract';

const KEY = new Uint8Array(32).fill(7);
const silent = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

cardReadersContract('in-process', async () => {
  const reader = 'Lane Reader 00';
  const readers = createInProcessCardReaders({
    config: { readers: CONTRACT_BINDINGS(reader), staff: [], debounceMs: 0, readTimeoutMs: 500 },
    cardKey: KEY,
    log: silent,
    readers: [reader],
  });
  return {
    readers,
    reader,
    cardKey: KEY,
    tap: async (card, opts) => {
      try {
        await readers.present(reader, { atr: card.atr, transmit: inProcessTransmit(card) });
      } catch (e) {
        if (opts?.expectTap !== false) throw e; // stopped readers refuse the card
      }
    },
    readerGone: async () => readers.removeReader(reader),
    readerBack: async () => readers.addReader(reader),
    teardown: () => readers.stop(),
  };
});
