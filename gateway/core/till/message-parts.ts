/**
 * Messages longer than one frame (issue 14; DESIGN.md §6 revised, docs/till-link.md "Long
 * messages"), pure. A frame body stays ≤ 0x400 bytes, as old tills expect; a longer message
 * goes as consecutive part frames, each ACKed on its own (stop-and-wait, SEQ as usual):
 *
 *   RS(1E) <i>/<n> US(1F) <piece>        i = 1..n, decimal; n ≥ 2
 *
 * JSON text never holds a raw byte below 0x20, so a body starting with RS cannot be a
 * single-frame message. Pieces are cut at UTF-8 character boundaries, so every part body is
 * valid UTF-8 on its own. The receiver joins the pieces when part n/n arrives; part 1 starts a
 * message over (a till that failed open mid-message and began again); a part out of order
 * drops what was gathered (the till's request then times out and it fails open, as for a
 * lost frame).
 */
import { MAX_BODY } from './frame-format';

export const PART_START = 0x1e;
const PART_SEP = 0x1f;
/** At most this many parts (and so ~1 MiB) per message: memory per lane stays bounded. */
export const MAX_PARTS = 1024;
/** The longest message the link carries, in bytes of UTF-8. */
export const MAX_MESSAGE = MAX_PARTS * (MAX_BODY - 11);

const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { fatal: true });

/** The frame bodies for `message`: itself when it fits one frame, else its parts. */
export function splitMessage(message: string, maxBody = MAX_BODY): string[] {
  const bytes = utf8.encode(message);
  if (bytes.length <= maxBody) return [message];
  // A header `RS i/n US` of at most 11 bytes (n ≤ 1024); one size for every piece.
  const pieceMax = maxBody - 11;
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    let end = Math.min(bytes.length, at + pieceMax);
    // Back off to the start of a character: never split a UTF-8 sequence.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    pieces.push(bytes.subarray(at, end));
    at = end;
  }
  if (pieces.length > MAX_PARTS) throw new RangeError(`message of ${bytes.length} bytes needs ${pieces.length} parts; at most ${MAX_PARTS}`);
  return pieces.map((p, i) => `\u001e${i + 1}/${pieces.length}\u001f${text.decode(p)}`);
}

export const isPart = (body: string): boolean => body.charCodeAt(0) === PART_START;

export type Assembled = { kind: 'message'; text: string; parts: number } | { kind: 'pending' } | { kind: 'dropped'; reason: 'bad-part' | 'out-of-order' };

// RS and US are the format's own markers here, not stray control characters.
// eslint-disable-next-line no-control-regex
const HEADER = /^\u001e([1-9][0-9]{0,3})\/([1-9][0-9]{0,3})\u001f/;

/** Joins part frames back into messages; one per direction of a link. */
export class PartAssembler {
  private pieces: string[] = [];
  private expected = 0;

  /** True while some parts of a message have arrived and others not yet. */
  get inMessage(): boolean {
    return this.expected > 0;
  }

  push(body: string): Assembled {
    if (!isPart(body)) {
      this.reset();
      return { kind: 'message', text: body, parts: 1 };
    }
    const m = HEADER.exec(body);
    const i = m ? Number(m[1]) : 0;
    const n = m ? Number(m[2]) : 0;
    if (!m || n < 2 || n > MAX_PARTS || i > n || body.charCodeAt(m[0].length - 1) !== PART_SEP) {
      this.reset();
      return { kind: 'dropped', reason: 'bad-part' };
    }
    if (i === 1) {
      this.pieces = [];
      this.expected = n;
    } else if (n !== this.expected || i !== this.pieces.length + 1) {
      this.reset();
      return { kind: 'dropped', reason: 'out-of-order' };
    }
    this.pieces.push(body.slice(m[0].length));
    if (i < n) return { kind: 'pending' };
    const joined = this.pieces.join('');
    this.reset();
    return { kind: 'message', text: joined, parts: n };
  }

  reset(): void {
    this.pieces = [];
    this.expected = 0;
  }
}
