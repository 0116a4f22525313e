/**
 * Streaming frame decoder (DESIGN.md §6), pure: callers pass `nowMs`.
 */
import { crc16kermitUpdate } from './crc';
import { ACK, DEFAULT_INTER_BYTE_GAP_MS, ENQ, ETX, MAX_BODY, MAX_FRAME, NAK, STX, hexValue, type CorruptReason, type FrameEvent } from './frame-format';

const HEADER_END = 7; // STX + SEQ(2) + LEN(4)

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
  private readonly lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

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
    const seq = hexValue(this.buf[1]!) * 16 + hexValue(this.buf[2]!);
    const raw = this.buf.subarray(HEADER_END, etxAt);
    let body: string;
    try {
      body = this.text.decode(raw);
    } catch {
      // The CRC vouches for the bytes: the sender sent them so; an application error, not a NAK.
      const lossy = this.lossy.decode(raw);
      this.phase = 'hunt';
      this.n = 0;
      return this.emit({ kind: 'undecodable', seq, body: lossy, crc });
    }
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
