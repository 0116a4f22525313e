/**
 * The card subsystem as the gateway runs it: the key, the readers (nfc-pcsc over pcscd, or
 * readers given by the caller: the demo and tests), and the tap router.
 * A key file readable by others, or no key at all while readers are configured, stops the
 * gateway at start with one line saying how to fix it (issue 3).
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/schema';
import type { Clock } from '../../ports/clock';
import type { CardReaders } from '../../ports/card-reader';
import type { DeviceHealth } from '../../ports/health';
import type { Db } from '../../adapters/sqlite/open-database';
import { loadCardKey } from '../../adapters/nfc/card-key';
import { createNfcCardReaders } from '../../adapters/nfc/nfc-card-readers';
import { createCardTapRouter, type CardTapRouter } from './card-tap-router';

export class CardKeyError extends Error {
  readonly code = 'CARD_KEY';
}

export interface CardSubsystem {
  router: CardTapRouter;
  readers: CardReaders;
  health(): DeviceHealth[];
  stop(): Promise<void>;
}

export function startCards(config: Readonly<GatewayConfig>, deps: { db: Db; clock: Clock; logger: Logger; readers?: CardReaders }): CardSubsystem | undefined {
  const c = config.cards;
  if (!c.enabled || (!deps.readers && c.readers.length === 0)) return undefined;
  let readers = deps.readers;
  if (!readers) {
    const key = loadCardKey({ key: c.key, keyFile: c.keyFile });
    if (!key.ok) {
      const fix =
        key.error.code === 'insecure-permissions' || key.error.code === 'wrong-owner'
          ? `chmod 600 ${c.keyFile} (and chown it to the gateway user)`
          : `put the chain's card key in ${c.keyFile} (mode 600) or set TROUW_CARDS__KEY; for a test store: trouw-gateway create-card-key`;
      throw new CardKeyError(`cards: ${key.error.message}; fix: ${fix}`);
    }
    readers = createNfcCardReaders({ config: c, cardKey: key.value, log: deps.logger.child({ component: 'cards' }), clock: deps.clock });
  }
  const router = createCardTapRouter({ readers, db: deps.db, clock: deps.clock, windowMs: c.tapWindowMs });
  readers.start();
  return {
    router,
    readers,
    health: () => readers.health(),
    stop: async () => {
      router.stop();
      await readers.stop();
    },
  };
}
