/**
 * Till link frame format (DESIGN.md §6), pure: constants, event types, the encoder.
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

export type CorruptReason = 'crc' | 'length' | 'header' | 'etx' | 'timeout';

export type FrameEvent =
  | { kind: 'frame'; seq: number; body: string; crc: number }
  /**
   * A good frame (CRC and bounds fine) whose body is not valid UTF-8: the line carried it
   * faithfully, so it is ACKed and answered as an application error, not NAKed (a NAK makes
   * the till resend the same bytes 3 times and fail open as for line noise). `body` is the
   * text decoded with replacement characters, only to find the request id in it.
   */
  | { kind: 'undecodable'; seq: number; body: string; crc: number }
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

/** Value of one ASCII hex digit (either case), or -1. */
export function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}
