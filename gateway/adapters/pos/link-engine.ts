/**
 * One end of the till link (DESIGN.md §6) over any byte stream. The same engine serves both
 * ends: the gateway calls `serve(handler)` (responder), the simulated till calls
 * `request(body)` (requester).
 *
 * Receiving: a valid frame is ACKed at once; a repeat of the last frame (same SEQ and CRC) is
 * ACKed again and dropped; a corrupt frame is NAKed. ENQ is answered with ACK.
 * Responding: requests are handled one at a time, in order of arrival; each answer goes back
 * stop-and-wait (link-sender.ts).
 */
import { ACK, DEFAULT_INTER_BYTE_GAP_MS, ENQ, FrameDecoder, NAK, type FrameEvent } from '../../core/till/frame';
import type { Clock } from '../../ports/clock';
import { StopAndWaitSender } from './link-sender';
import {
  LinkError, newCounters, silentLogger, systemTimers,
  type ByteStream, type LinkCounters, type LinkLogger, type Timers, type Transmit,
} from './link-types';

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
}

export type RequestHandler = (body: string) => Promise<string>;

export class LinkEngine {
  readonly counters: LinkCounters;
  private readonly decoder: FrameDecoder;
  private readonly sender: StopAndWaitSender;
  private readonly timers: Timers;
  private readonly clock: Pick<Clock, 'monotonic'>;
  private readonly log: LinkLogger;
  private lastIn: { seq: number; crc: number } | null = null;
  private nakPending = false;
  private expiry: unknown;
  private handler: RequestHandler | null = null;
  private readonly queue: string[] = [];
  private handling = false;
  private stopping = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private probeWaiter: ((acked: boolean) => void) | null = null;
  private readonly onData = (chunk: Uint8Array) => this.receive(chunk);
  private readonly onClose = () => this.close();

  constructor(
    private readonly stream: ByteStream,
    private readonly opts: LinkEngineOptions = {},
  ) {
    this.counters = opts.counters ?? newCounters();
    this.timers = opts.timers ?? systemTimers;
    this.clock = opts.clock ?? { monotonic: () => performance.now() };
    this.log = opts.logger ?? silentLogger;
    this.decoder = new FrameDecoder({ interByteGapMs: opts.interByteGapMs ?? DEFAULT_INTER_BYTE_GAP_MS });
    this.sender = new StopAndWaitSender({
      transmit: opts.transmit ?? ((frame) => void this.write(frame)),
      timers: this.timers,
      counters: this.counters,
      ackTimeoutMs: opts.ackTimeoutMs ?? 1000,
      maxRetries: opts.maxRetries ?? 3,
      firstSeq: opts.firstSeq ?? 0,
    });
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True when no request is being handled or queued and nothing is being sent. */
  get idle(): boolean {
    return !this.handling && this.queue.length === 0 && !this.sender.busy;
  }

  /** Responder: answer every request frame with `handler`'s body. */
  serve(handler: RequestHandler): void {
    this.handler = handler;
    this.pump();
  }

  /** SEQ of the next frame this end sends: pass it as `firstSeq` to the next engine. */
  get nextSeq(): number {
    return this.sender.nextSeq;
  }

  /**
   * Requester: send one request frame and resolve with the reply frame's body. Frames that
   * `accept` refuses (a stale reply to an earlier request) are ACKed and passed to
   * `onLateReply`; the request keeps waiting.
   */
  request(body: string, opts: { timeoutMs?: number; accept?: (body: string) => boolean } = {}): Promise<string> {
    if (this.closed) return Promise.reject(new LinkError('closed', 'link closed'));
    const ac = new AbortController();
    const ms = opts.timeoutMs ?? this.opts.replyTimeoutMs ?? 2000;
    const timer = this.timers.setTimeout(() => ac.abort(new LinkError('timeout', `no reply within ${ms} ms`)), ms);
    return this.sender.send(body, true, { signal: ac.signal, accept: opts.accept }).finally(() => {
      this.timers.clearTimeout(timer);
      this.notifyIdle();
    });
  }

  /** ENQ probe: true if the peer ACKs within `timeoutMs`. Only while nothing is outstanding. */
  probe(timeoutMs = this.opts.ackTimeoutMs ?? 1000): Promise<boolean> {
    if (this.closed || this.sender.busy || this.probeWaiter) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = this.timers.setTimeout(() => done(false), timeoutMs);
      const done = (acked: boolean) => {
        this.timers.clearTimeout(timer);
        this.probeWaiter = null;
        resolve(acked);
      };
      this.probeWaiter = done;
      this.write(Uint8Array.of(ENQ));
    });
  }

  /**
   * Take no new requests (they are not ACKed, so the till fails open and resends later),
   * finish and answer the ones already ACKed, within `graceMs`; then close.
   */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    if (!this.closed && !this.idle) {
      await new Promise<void>((resolve) => {
        const timer = this.timers.setTimeout(resolve, graceMs);
        this.idleWaiters.push(() => {
          this.timers.clearTimeout(timer);
          resolve();
        });
      });
    }
    this.close();
  }

  /** Detach from the stream (which the owner closes) and fail whatever is outstanding. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.off('data', this.onData);
    this.stream.off('close', this.onClose);
    this.timers.clearTimeout(this.expiry);
    this.sender.close(new LinkError('closed', 'link closed'));
    this.probeWaiter?.(false);
    this.queue.length = 0;
    this.notifyIdle();
  }

  private write(bytes: Uint8Array): void {
    if (this.closed) return;
    try {
      this.stream.write(bytes);
    } catch (e) {
      this.log.warn({ err: String(e) }, 'till link write failed');
    }
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.handleEvents(this.decoder.push(chunk, this.clock.monotonic()));
  }

  private handleEvents(events: FrameEvent[]): void {
    for (const e of events) this.handleEvent(e);
    // One NAK per burst of corruption, sent once the decoder is between frames: if re-scanning
    // finds a good frame right after the bad bytes, that frame's ACK is the only answer due.
    if (this.nakPending && !this.decoder.inFrame) {
      this.nakPending = false;
      this.counters.naksSent++;
      this.write(Uint8Array.of(NAK));
    }
    this.timers.clearTimeout(this.expiry);
    const deadline = this.decoder.deadline();
    if (deadline !== undefined && !this.closed) {
      const wait = Math.max(0, deadline - this.clock.monotonic()) + 1;
      this.expiry = this.timers.setTimeout(() => this.handleEvents(this.decoder.expire(this.clock.monotonic())), wait);
    }
  }

  private handleEvent(e: FrameEvent): void {
    switch (e.kind) {
      case 'frame':
        this.nakPending = false;
        return this.onFrame(e.seq, e.crc, e.body);
      case 'ack':
        if (!this.sender.onAck() && this.probeWaiter) this.probeWaiter(true);
        return;
      case 'nak':
        this.sender.onNak();
        return;
      case 'enq':
        this.write(Uint8Array.of(ACK));
        return;
      case 'corrupt':
        this.log.debug({ reason: e.reason }, 'corrupt till frame');
        this.nakPending = true;
        return;
      case 'garbage':
        this.counters.garbageBytes += e.bytes;
        return;
    }
  }

  private onFrame(seq: number, crc: number, body: string): void {
    if (this.lastIn && this.lastIn.seq === seq && this.lastIn.crc === crc) {
      this.counters.duplicates++;
      this.write(Uint8Array.of(ACK));
      return;
    }
    const isReply = this.sender.awaitingReply;
    if (!isReply && this.handler && (this.stopping || this.queue.length >= (this.opts.maxQueued ?? 16))) {
      this.log.warn({ seq, stopping: this.stopping }, 'till frame not taken');
      return;
    }
    this.lastIn = { seq, crc };
    this.counters.framesIn++;
    this.log.debug({ seq, length: body.length }, 'till frame in');
    this.write(Uint8Array.of(ACK));
    if (isReply) {
      if (!this.sender.onReply(body)) this.opts.onLateReply?.(body);
    } else if (this.handler) {
      this.queue.push(body);
      this.pump();
    } else this.opts.onLateReply?.(body);
  }

  private pump(): void {
    if (this.handling || !this.handler) return;
    const body = this.queue.shift();
    if (body === undefined) return this.notifyIdle();
    this.handling = true;
    const handler = this.handler;
    void (async () => {
      try {
        const answer = await handler(body);
        await this.sender.send(answer, false);
      } catch (e) {
        // The till resends (or fails open); the gateway replays its stored answer then.
        this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'till answer not delivered');
      } finally {
        this.handling = false;
        if (!this.closed) this.pump();
      }
    })();
  }

  private notifyIdle(): void {
    if (!this.idle && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
