/**
 * The CardReaders contract against the real stack: virtual card → vpcd (TCP) → pcscd →
 * nfc-pcsc → the PC/SC adapter. pcscd is started by this file (test/support/pcscd.ts); run
 * it under `flock /tmp/trouw-pcscd.lock` (one pcscd per machine).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createNfcCardReaders } from '../../gateway/adapters/nfc/nfc-card-readers';
import type { CardTap } from '../../gateway/ports/card-reader';
import { tapCard, vpcdReaderName, VPCD_BASE_PORT } from '../../firmware-sim/cards/vpcd';
import { cardReadersContract, CONTRACT_BINDINGS } from '../support/card-readers-contract';
import { startPcscd, waitFor, waitVpcdIdle, type PcscdHandle } from '../support/pcscd';

const KEY = Buffer.alloc(32, 0x3c);
/** pcscd polls vpcd every ~0.4 s: a card tapped sooner after a removal looks like the old one. */
const PCSCD_POLL_MS = 500;
let pcscd: PcscdHandle;
beforeAll(async () => {
  pcscd = await startPcscd();
}, 60_000);
afterAll(async () => {
  if (pcscd?.running) await pcscd.stop();
});

cardReadersContract('PC/SC over pcscd + vpcd', async () => {
  const reader = vpcdReaderName(0);
  const log = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
  const readers = createNfcCardReaders({
    config: { readers: CONTRACT_BINDINGS(reader), staff: [], debounceMs: 0, readTimeoutMs: 2500, retryMinMs: 200, retryMaxMs: 1000, pcscdSocket: pcscd.socket },
    cardKey: KEY,
    log,
  });
  const seen: CardTap[] = [];
  readers.onTap((t) => seen.push(t));
  return {
    readers,
    reader,
    cardKey: KEY,
    tap: async (card, opts) => {
      const from = seen.length;
      const on = await tapCard(card, { reader: 0 });
      try {
        if (opts?.expectTap !== false) await waitFor(`a tap on ${reader}`, () => seen.length > from, 15_000, 10);
        else await new Promise((r) => setTimeout(r, 3000));
      } finally {
        await on.remove();
        await waitVpcdIdle(VPCD_BASE_PORT);
        await new Promise((r) => setTimeout(r, PCSCD_POLL_MS));
      }
    },
    // Both vpcd readers live in pcscd: the service stopping takes the reader away.
    readerGone: () => pcscd.stop(),
    readerBack: () => pcscd.start(),
    teardown: () => readers.stop(),
  };
});
