/**
 * Small types shared by the till link engine, the PosLink adapters and the simulated till.
 * No vendor types: a serial port, a TCP socket and an in-process pipe all fit `ByteStream`.
 */
import type { Clock } from '../../ports/clock';
import type { LinkHealth } from '../../ports/pos-link';

/** What the engine needs of a byte stream: Node's Duplex, SerialPort and net.Socket all fit. */
export interface ByteStream {
  write(chunk: Uint8Array): unknown;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  off(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/** Replaceable timers (STYLE.md §3), so tests can drive time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** pino-compatible; frame bodies carry member numbers, so they are never passed to it. */
export interface LinkLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: LinkLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * framesIn/framesOut count distinct frames; a resent frame counts in `retries` (sender) or
 * `duplicates` (receiver) instead.
 */
export type LinkCounters = LinkHealth['counters'];

export const newCounters = (): LinkCounters => ({
  framesIn: 0,
  framesOut: 0,
  naksSent: 0,
  naksReceived: 0,
  retries: 0,
  duplicates: 0,
  garbageBytes: 0,
});

export type LinkErrorCode =
  | 'closed' // the stream closed (or the engine was closed) before the exchange ended
  | 'nak-limit' // the peer NAKed the frame and every retry
  | 'ack-timeout' // no ACK after the last retry
  | 'timeout' // no reply within the caller's deadline (the till fails open)
  | 'write-failed' // the transport refused the bytes
  | 'stopping'; // the link is shutting down and takes no new work

/** Faults carry a code the caller can branch on (STYLE.md §5). */
export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

/**
 * Puts one frame on the wire. The default writes it; the simulated till swaps in a faulty one
 * (flipped bits, truncation, garbage, gaps...). `attempt` is 0 for the first transmission.
 * The engine waits for the returned promise before it starts the ACK timer.
 */
export type Transmit = (frame: Uint8Array, info: { seq: number; attempt: number }) => void | Promise<void>;

/** LinkEngine options; every protocol timer of DESIGN.md §6 is one, with its default. */
export interface LinkEngineOptions {
  /** Wait this long for an ACK before resending (default 1000). */
  ackTimeoutMs?: number;
  /** Resends after a NAK or timeout (default 3). */
  maxRetries?: number;
  /** A longer silence inside a frame aborts it (default 100). */
  interByteGapMs?: number;
  /** Requester: give up on a reply after this long (default 2000: the till then fails open). */
  replyTimeoutMs?: number;
  /** Responder: requests waiting behind the one in hand; more are not ACKed (default 16). */
  maxQueued?: number;
  /** SEQ of the first frame sent (default 0); increments mod 256. */
  firstSeq?: number;
  clock?: Pick<Clock, 'monotonic'>;
  timers?: Timers;
  /** Shared with the owner so counts survive reconnects. */
  counters?: LinkCounters;
  logger?: LinkLogger;
  transmit?: Transmit;
  /** Requester: a frame that arrived after its request gave up (already ACKed). */
  onLateReply?: (body: string) => void;
  /** Send the NAK for a corrupt frame at the latest this long after it (default 150). */
  nakWithinMs?: number;
  /** Split long answers into parts even before the peer has sent any (default false). */
  sendParts?: boolean;
}
