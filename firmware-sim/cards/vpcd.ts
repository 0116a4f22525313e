/**
 * A virtual card on a vpcd reader (vsmartcard, DESIGN.md §10). vpcd, loaded by pcscd, listens
 * on TCP 35963 (reader "Virtual PCD 00 00") and 35964 ("Virtual PCD 00 01"); the card is the
 * client. Frames both ways: 2-byte big-endian length, then the payload. A 1-byte payload
 * from vpcd is a control: 0 power off, 1 power on, 2 reset, 4 get ATR (answered with the
 * ATR); anything longer is a command APDU, answered with the response APDU.
 * Tap = connect; remove = close the socket. pcscd polls presence about every 0.4 s (with
 * a get-ATR), so that is how long it takes to notice either.
 */
import { connect, type Socket } from 'node:net';
import type { VirtualCard } from './virtual-card';

export const VPCD_BASE_PORT = 35963;

export interface TapOptions {
  /** 0 → "Virtual PCD 00 00" (35963), 1 → "Virtual PCD 00 01" (35964). */
  reader?: number;
  host?: string;
  /** Overrides reader → port. */
  port?: number;
  /** Give up connecting after this long (default 2000 ms). */
  connectTimeoutMs?: number;
}

export interface TappedCard {
  readonly card: VirtualCard;
  /** performance.now() when the TCP connection was made: the moment of the tap. */
  readonly connectedAt: number;
  /** APDUs answered so far (controls not counted). */
  readonly apdus: number;
  /** Resolves when the card has left the field (removed by us, vpcd closed, or the card left itself). */
  readonly gone: Promise<void>;
  /** Take the card off the reader. */
  remove(): Promise<void>;
}

export function vpcdReaderName(reader: number): string {
  return `Virtual PCD 00 ${String(reader).padStart(2, '0')}`;
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  out.set(payload, 2);
  return out;
}

/** Puts the card on a vpcd reader. Rejects when vpcd is not listening (pcscd down). */
export function tapCard(card: VirtualCard, opts: TapOptions = {}): Promise<TappedCard> {
  const port = opts.port ?? VPCD_BASE_PORT + (opts.reader ?? 0);
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host, port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`vpcd ${host}:${port}: connect timed out`));
    }, opts.connectTimeoutMs ?? 2000);
    let apdus = 0;
    let buf = Buffer.alloc(0);
    let resolveGone!: () => void;
    const gone = new Promise<void>((r) => (resolveGone = r));
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`vpcd ${host}:${port}: ${(e as NodeJS.ErrnoException).code ?? e.message} (is pcscd with vsmartcard-vpcd running?)`));
    });
    sock.on('error', () => {}); // after connect: vpcd went away; 'close' follows
    sock.on('close', () => resolveGone());
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const payload = Uint8Array.from(buf.subarray(2, 2 + n));
        buf = buf.subarray(2 + n);
        if (n === 1) {
          if (payload[0] === 4) sock.write(frame(card.atr));
          // 0 off, 1 on, 2 reset: no answer expected.
          continue;
        }
        const answer = card.respond(payload);
        if (answer === 'remove') {
          sock.destroy();
          return;
        }
        if (answer === 'silent') continue;
        apdus++;
        sock.write(frame(answer));
      }
    });
    sock.once('connect', () => {
      clearTimeout(timer);
      card.powerOn?.();
      const connectedAt = performance.now();
      resolve({
        card,
        connectedAt,
        get apdus() {
          return apdus;
        },
        gone,
        remove() {
          sock.end();
          sock.destroy();
          return gone;
        },
      });
    });
  });
}
