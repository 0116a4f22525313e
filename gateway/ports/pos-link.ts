/**
 * A till lane: one POS link (serial or TCP) speaking the framed protocol of DESIGN.md §6.
 *
 * Contract:
 * - `start()` returns at once. The link opens its port in the background; a missing or
 *   unplugged port is not an error the caller sees: the link reports `down` in `health()`
 *   with the reason, retries with back-off, and comes `up` by itself when the port returns.
 * - Each complete, CRC-valid frame is ACKed, then its body (UTF-8 text, not yet parsed) is
 *   passed to the handler once. A repeated SEQ with the same CRC is ACKed and NOT passed on
 *   again. Corrupt frames are NAKed and never reach the handler.
 * - The handler's answer is sent back as one frame (stop-and-wait, retried 3× on NAK or
 *   1 s timeout). Frames arriving while a request is being handled wait their turn.
 * - `stop()` stops taking new frames, lets the request in hand finish and be answered
 *   (bounded by a grace period), then closes the port. Idempotent.
 */
export type TillBodyHandler = (body: string, ctx: { lane: string }) => Promise<string>;

export type LinkState = 'stopped' | 'connecting' | 'up' | 'down';

export interface LinkHealth {
  lane: string;
  transport: 'serial' | 'tcp';
  /** Where: the serial path or host:port. */
  endpoint: string;
  state: LinkState;
  /** Epoch ms of the last state change. */
  since: number;
  lastError?: string;
  counters: {
    framesIn: number;
    framesOut: number;
    naksSent: number;
    naksReceived: number;
    retries: number;
    duplicates: number;
    /** Bytes dropped while hunting for STX (garbage between frames). */
    garbageBytes: number;
  };
}

export interface PosLink {
  readonly lane: string;
  start(handler: TillBodyHandler): void;
  stop(): Promise<void>;
  health(): LinkHealth;
}
