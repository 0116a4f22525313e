/**
 * APDU exchange over an injected transmit (ISO/IEC 7816-4 §5). The transport is the card
 * reader's business; this layer handles the two status words that mean "ask again":
 * - `61xx`: more data waiting: GET RESPONSE (`00 C0 00 00 xx`) until it stops saying 61.
 * - `6Cxx`: wrong Le: resend the same command once with Le = xx.
 * Every raw response buffer is wiped once its data has been copied out; the caller wipes
 * the `data` it gets back (it holds card data: FCI, records, UIDs).
 */
import { err, ok, type Result } from '../result';
import { wipe } from './bytes';

/** Sends one command APDU, resolves with the response APDU (data ‖ SW1 SW2). Rejects (or
 * resolves empty) when the card or the reader is gone. */
export type Transmit = (command: Uint8Array) => Promise<Uint8Array>;

export interface ApduResponse {
  /** Response data without the status word. The caller must wipe it after use. */
  readonly data: Uint8Array;
  readonly sw: number;
}

export type ApduErrorCode = 'transport' | 'short-response' | 'too-long' | 'apdu-limit';
export interface ApduError {
  readonly code: ApduErrorCode;
}

export interface CardChannel {
  exchange(command: Uint8Array): Promise<Result<ApduResponse, ApduError>>;
  /** Commands sent so far (GET RESPONSE and 6C resends included). */
  readonly sent: number;
}

export interface ChannelLimits {
  /** A hostile card can loop on 61xx forever: cap the commands of one read (default 64). */
  maxApdus?: number;
  /** Cap on the bytes gathered for one command over GET RESPONSE chains (default 8 KiB). */
  maxResponseBytes?: number;
}

export const SW_OK = 0x9000;

/** The command with its Le set to `le` (short APDUs only); undefined when the layout is not one we can fix. */
export function withLe(command: Uint8Array, le: number): Uint8Array | undefined {
  const n = command.length;
  if (n < 4) return undefined;
  if (n === 4) return Uint8Array.from([...command, le]); // case 1 → case 2
  if (n === 5) return Uint8Array.from([...command.subarray(0, 4), le]); // case 2
  const lc = command[4]!;
  if (lc === 0) return undefined; // extended length: not used here
  if (n === 5 + lc) return Uint8Array.from([...command, le]); // case 3 → case 4
  if (n === 6 + lc) return Uint8Array.from([...command.subarray(0, n - 1), le]); // case 4
  return undefined;
}

export function createChannel(transmit: Transmit, limits: ChannelLimits = {}): CardChannel {
  const maxApdus = limits.maxApdus ?? 64;
  const maxBytes = limits.maxResponseBytes ?? 8192;
  let sent = 0;

  async function send(command: Uint8Array): Promise<Result<Uint8Array, ApduError>> {
    if (sent >= maxApdus) return err({ code: 'apdu-limit' });
    sent++;
    let response: Uint8Array;
    try {
      response = await transmit(command);
    } catch {
      return err({ code: 'transport' });
    }
    // No bytes at all is no answer: vpcd reports a card that left mid-command that way.
    if (response.length === 0) return err({ code: 'transport' });
    if (response.length < 2) {
      wipe(response);
      return err({ code: 'short-response' });
    }
    return ok(response);
  }

  async function exchange(command: Uint8Array): Promise<Result<ApduResponse, ApduError>> {
    let first = await send(command);
    if (!first.ok) return first;
    let r = first.value;
    if (r[r.length - 2] === 0x6c) {
      const again = withLe(command, r[r.length - 1]!);
      if (again) {
        wipe(r);
        first = await send(again);
        if (!first.ok) return first;
        r = first.value;
      }
    }
    const chunks: Uint8Array[] = [r];
    let total = r.length - 2;
    let sw = r[r.length - 2]! * 256 + r[r.length - 1]!;
    const fail = (e: ApduError) => {
      wipe(...chunks);
      return err(e);
    };
    while (sw >> 8 === 0x61) {
      const next = await send(Uint8Array.from([0x00, 0xc0, 0x00, 0x00, sw & 0xff]));
      if (!next.ok) return fail(next.error);
      chunks.push(next.value);
      total += next.value.length - 2;
      if (total > maxBytes) return fail({ code: 'too-long' });
      const v = next.value;
      sw = v[v.length - 2]! * 256 + v[v.length - 1]!;
    }
    const data = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      data.set(c.subarray(0, c.length - 2), at);
      at += c.length - 2;
    }
    wipe(...chunks);
    return ok({ data, sw });
  }

  return {
    exchange,
    get sent() {
      return sent;
    },
  };
}

export function swHex(sw: number): string {
  return sw.toString(16).padStart(4, '0');
}
