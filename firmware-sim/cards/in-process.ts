/**
 * A virtual card as an in-process transmit, for unit tests and a demo without pcscd. Card
 * removal becomes a rejected transmit, as nfc-pcsc reports it. `record` keeps the exchange
 * (test data only: the gateway itself never records APDUs).
 */
import type { Transmit } from '../../gateway/core/identity/apdu';
import type { VirtualCard } from './virtual-card';

export interface InProcessOptions {
  record?: { command: Uint8Array; response: Uint8Array }[];
}

export function inProcessTransmit(card: VirtualCard, opts: InProcessOptions = {}): Transmit {
  card.powerOn?.();
  let present = true;
  return async (command) => {
    if (!present) throw new Error('card removed');
    const answer = card.respond(Uint8Array.from(command));
    if (answer === 'remove') {
      present = false;
      throw new Error('card removed');
    }
    if (answer === 'silent') return new Promise<Uint8Array>(() => {}); // never answers
    opts.record?.push({ command: Uint8Array.from(command), response: Uint8Array.from(answer) });
    return Uint8Array.from(answer);
  };
}
