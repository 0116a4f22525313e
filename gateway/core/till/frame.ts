/**
 * Till link framing (DESIGN.md §6), pure: no I/O, no clock (callers pass `nowMs`).
 *
 *   STX(02) SEQ(2 ASCII hex) LEN(4 ASCII hex, ≤ 0400) BODY(LEN bytes of UTF-8) ETX(03)
 *   CRC16/KERMIT over SEQ..ETX, low byte first
 *
 * Between frames the single bytes ACK 06, NAK 15 and ENQ 05 travel. Frames are parsed by LEN,
 * never by hunting ETX: a body may legally contain any byte value.
 */
import { crc16kermitUpdate } from './crc';

export const STX = 0x02;
export const ETX = 0x03;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;
export const MAX_BODY = 0x400;
const HEADER_END = 7; // STX + SEQ(2) + LEN(4)
/** The largest frame on the wire: STX, header, body, ETX, CRC(2). */
export const MAX_FRAME = HEADER_END + MAX_BODY + 3;
export const DEFAULT_INTER_BYTE_GAP_MS = 100;

export type CorruptReason = 'crc' | 'length' | 'header' | 'etx' | 'timeout' | 'utf8';

export type FrameEvent =
  | { kind: 'frame'; seq: number; body: string; crc: number }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'enq' }
  /** A frame started and went wrong: the caller NAKs it (once per burst: see link-engine). */
  | { kind: 'corrupt'; reason: CorruptReason }
  /** Bytes dropped while hunting for STX, including the re-scanned remains of a corrupt frame. */
  | { kind: 'garbage'; bytes: number };

export class FrameError extends Error {
  constructor(
    readonly code: 'frame.bad-seq' | 'frame.too-large',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

const utf8 = new TextEncoder();
const HEX = '0123456789ABCDEF';

function putHex(out: Uint8Array, at: number, value: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i--, value >>>= 4) out[at + i] = HEX.charCodeAt(value & 0xf);
}

/** Encode one frame. Throws FrameError for a SEQ outside 0..255 or a body over 0x400 bytes. */
export function encodeFrame(seq: number, body: string | Uint8Array): Uint8Array {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xff) throw new FrameError('frame.bad-seq', `SEQ ${seq} is not 0..255`);
  const bytes = typeof body === 'string' ? utf8.encode(body) : body;
  if (bytes.length > MAX_BODY) {
    throw new FrameError('frame.too-large', `body is ${bytes.length} bytes, at most ${MAX_BODY} fit in a frame`);
  }
  const out = new Uint8Array(HEADER_END + bytes.length + 3);
  out[0] = STX;
  putHex(out, 1, seq, 2);
  putHex(out, 3, bytes.length, 4);
  out.set(bytes, HEADER_END);
  const etxAt = HEADER_END + bytes.length;
  out[etxAt] = ETX;
  const crc = crc16kermitUpdate(0, out, 1, etxAt + 1);
  out[etxAt + 1] = crc & 0xff;
  out[etxAt + 2] = crc >>> 8;
  return out;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

type Phase = 'hunt' | 'header' | 'body' | 'etx' | 'crc';

/**
 * Streaming decoder. Memory is bounded: one candidate frame (≤ MAX_FRAME bytes) and one
 * re-scan region (≤ MAX_FRAME bytes).
 *
 * After a corrupt frame, hunting restarts at the byte after its STX, so a real frame that a
 * bad STX (garbage, a truncated frame) swallowed is still found. While re-scanning those
 * already-seen bytes, only whole valid frames count: a failed candidate found there is
 * garbage, not another `corrupt` (one bad frame must not earn several NAKs), and stray ACK,
 * NAK or ENQ bytes there are garbage too (a bit flip in a body can forge an ACK; a lost ACK
 * costs one retry, a forged one loses a frame).
 */
export class FrameDecoder {
  private readonly gapMs: number;
  private readonly buf = new Uint8Array(MAX_FRAME);
  private n = 0;
  private bodyLen = 0;
  private phase: Phase = 'hunt';
  private candidateRescanned = false;
  private lastByteAt = 0;
  private garbage = 0;
  private replay: Uint8Array | null = null;
  private replayPos = 0;
  private out: FrameEvent[] = [];
  private readonly text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(opts: { interByteGapMs?: number } = {}) {
    this.gapMs = opts.interByteGapMs ?? DEFAULT_INTER_BYTE_GAP_MS;
  }

  /** True while part of a frame has been received. */
  get inFrame(): boolean {
    return this.phase !== 'hunt';
  }

  /** When the partial frame in hand times out (call `expire` after it), or undefined. */
  deadline(): number | undefined {
    return this.inFrame ? this.lastByteAt + this.gapMs : undefined;
  }

  push(bytes: Uint8Array, nowMs: number): FrameEvent[] {
    this.expireInto(nowMs);
    for (let i = 0; i < bytes.length; i++) {
      this.lastByteAt = nowMs;
      this.feed(bytes[i]!, false);
      this.drainReplay();
    }
    return this.take();
  }

  /** Abort a partial frame whose inter-byte gap has passed (no bytes needed to notice it). */
  expire(nowMs: number): FrameEvent[] {
    this.expireInto(nowMs);
    return this.take();
  }

  /** Forget any partial frame (e.g. the port was reopened). */
  reset(): void {
    this.phase = 'hunt';
    this.n = 0;
    this.replay = null;
    this.garbage = 0;
    this.out = [];
  }

  private take(): FrameEvent[] {
    this.flushGarbage();
    const events = this.out;
    this.out = [];
    return events;
  }

  private expireInto(nowMs: number): void {
    while (this.inFrame && nowMs - this.lastByteAt > this.gapMs) {
      this.abort('timeout', true);
      this.drainReplay();
    }
  }

  private emit(e: FrameEvent): void {
    this.flushGarbage();
    this.out.push(e);
  }

  private flushGarbage(): void {
    if (this.garbage > 0) this.out.push({ kind: 'garbage', bytes: this.garbage });
    this.garbage = 0;
  }

  private drainReplay(): void {
    while (this.replay) {
      const r = this.replay;
      if (this.replayPos >= r.length) {
        this.replay = null;
        return;
      }
      this.feed(r[this.replayPos++]!, true);
    }
  }

  private feed(b: number, rescanned: boolean): void {
    switch (this.phase) {
      case 'hunt':
        if (b === STX) {
          this.buf[0] = b;
          this.n = 1;
          this.phase = 'header';
          this.candidateRescanned = rescanned;
        } else if (!rescanned && b === ACK) this.emit({ kind: 'ack' });
        else if (!rescanned && b === NAK) this.emit({ kind: 'nak' });
        else if (!rescanned && b === ENQ) this.emit({ kind: 'enq' });
        else this.garbage++;
        return;
      case 'header':
        this.buf[this.n++] = b;
        if (hexValue(b) < 0) return this.abort('header', true);
        if (this.n === HEADER_END) {
          this.bodyLen = 0;
          for (let i = 3; i < HEADER_END; i++) this.bodyLen = this.bodyLen * 16 + hexValue(this.buf[i]!);
          if (this.bodyLen > MAX_BODY) return this.abort('length', true);
          this.phase = this.bodyLen === 0 ? 'etx' : 'body';
        }
        return;
      case 'body':
        this.buf[this.n++] = b;
        if (this.n === HEADER_END + this.bodyLen) this.phase = 'etx';
        return;
      case 'etx':
        this.buf[this.n++] = b;
        if (b !== ETX) return this.abort('etx', true);
        this.phase = 'crc';
        return;
      case 'crc':
        this.buf[this.n++] = b;
        if (this.n === HEADER_END + this.bodyLen + 3) this.finish();
        return;
    }
  }

  private finish(): void {
    const etxAt = HEADER_END + this.bodyLen;
    const crc = crc16kermitUpdate(0, this.buf, 1, etxAt + 1);
    if (crc !== (this.buf[etxAt + 1]! | (this.buf[etxAt + 2]! << 8))) return this.abort('crc', true);
    let body: string;
    try {
      body = this.text.decode(this.buf.subarray(HEADER_END, etxAt));
    } catch {
      // The CRC vouches for the frame's bounds: nothing inside is worth re-scanning.
      return this.abort('utf8', false);
    }
    const seq = hexValue(this.buf[1]!) * 16 + hexValue(this.buf[2]!);
    this.phase = 'hunt';
    this.n = 0;
    this.emit({ kind: 'frame', seq, body, crc });
  }

  private abort(reason: CorruptReason, rescan: boolean): void {
    if (this.candidateRescanned) this.garbage += rescan ? 1 : this.n;
    else this.emit({ kind: 'corrupt', reason });
    if (rescan) {
      const rest = this.replay ? this.replay.subarray(this.replayPos) : new Uint8Array(0);
      const region = new Uint8Array(this.n - 1 + rest.length);
      region.set(this.buf.subarray(1, this.n), 0);
      region.set(rest, this.n - 1);
      this.replay = region;
      this.replayPos = 0;
    }
    this.phase = 'hunt';
    this.n = 0;
  }
}
