/**
 * Till link framing (DESIGN.md §6), pure: no I/O, no clock (callers pass `nowMs`).
 *
 *   STX(02) SEQ(2 ASCII hex) LEN(4 ASCII hex, ≤ 0400) BODY(LEN bytes of UTF-8) ETX(03)
 *   CRC16/KERMIT over SEQ..ETX, low byte first
 *
 * frame-format.ts: constants, event types, `encodeFrame`; frame-decoder.ts: `FrameDecoder`.
 */
export * from './frame-format';
export { FrameDecoder } from './frame-decoder';
