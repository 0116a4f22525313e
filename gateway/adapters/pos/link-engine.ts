/**
 * One end of the till link (DESIGN.md §6) over any byte stream. The same engine serves both
 * ends: the gateway calls `serve(handler)` (responder), the simulated till calls
 * `request(body)` (requester).
 *
 * Receiving: a valid frame is ACKed at once; a repeat of the last frame (same SEQ and CRC) is
 * ACKed again and dropped; a corrupt frame is NAKed. ENQ is answered with ACK.
 * Responding: requests are handled one at a time, in order of arrival; each answer goes back
 * stop-and-wait (link-sender.ts).
 * Long messages (core/till/message-parts.ts): a request longer than one frame goes as part
 * frames, each ACKed; the reply timer starts when the last part goes out. Parts received are
 * joined before the message is handed on. An answer is split only for a peer that has sent
 * parts itself (an old till never gets a part it cannot read).
 */
import { ACK, DEFAULT_INTER_BYTE_GAP_MS, ENQ, FrameDecoder, NAK, type FrameEvent } from '../../core/till/frame';
import type { Clock } from '../../ports/clock';
import { PartAssembler, splitMessage } from '../../core/till/message-parts';
import { Responder, type RequestHandler } from './link-responder';
import { undecodableAnswer } from './undecodable-answer';
import { StopAndWaitSender } from './link-sender';
import {
  LinkError,
  newCounters,
  silentLogger,
  systemTimers,
  type ByteStream,
  type LinkCounters,
  type LinkEngineOptions,
  type LinkLogger,
  type Timers,
} from './link-types';

export type { LinkEngineOptions, RequestHandler };

export class LinkEngine {
  readonly counters: LinkCounters;
  private readonly decoder: FrameDecoder;
  private readonly sender: StopAndWaitSender;
  private readonly timers: Timers;
  private readonly clock: Pick<Clock, 'monotonic'>;
  private readonly log: LinkLogger;
  private lastIn: { seq: number; crc: number } | null = null;
  /** When the oldest corruption not yet NAKed was seen (monotonic ms), or null. */
  private nakPendingSince: number | null = null;
  private expiry: unknown;
  private readonly responder: Responder;
  private readonly assembler = new PartAssembler();
  private peerSendsParts = false;
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
    this.responder = new Responder({
      answer: (body) => this.sendMessage(body, false, {}),
      log: this.log,
      maxQueued: opts.maxQueued ?? 16,
      onIdle: () => this.notifyIdle(),
    });
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True when no request is being handled or queued and nothing is being sent. */
  get idle(): boolean {
    return this.responder.idle && !this.sender.busy;
  }

  /** Responder: answer every request frame with `handler`'s body. */
  serve(handler: RequestHandler): void {
    this.responder.serve(handler);
  }

  /** True once the peer has sent a message in parts: it reads them, so long answers may go so. */
  get peerSpeaksParts(): boolean {
    return this.peerSendsParts || this.opts.sendParts === true;
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
  request(body: string, opts: { timeoutMs?: number; accept?: (body: string) => boolean; onLastFrame?: () => void } = {}): Promise<string> {
    if (this.closed) return Promise.reject(new LinkError('closed', 'link closed'));
    return this.sendMessage(body, true, {
      accept: opts.accept,
      replyTimeoutMs: opts.timeoutMs ?? this.opts.replyTimeoutMs ?? 2000,
      onLastFrame: opts.onLastFrame,
    }).finally(() => this.notifyIdle());
  }

  /**
   * One message, in one frame or in parts. Every part is queued at once (nothing else can
   * slip in between them); a part that fails stops the rest. With `replyTimeoutMs` the reply
   * timer starts when the last part starts: the till's fail-open time counts from the moment
   * its whole message is on its way, however long the basket.
   */
  private sendMessage(
    body: string,
    wantsReply: boolean,
    o: { accept?: (body: string) => boolean; replyTimeoutMs?: number; onLastFrame?: () => void },
  ): Promise<string> {
    const parts = wantsReply || this.peerSpeaksParts ? splitMessage(body) : [body];
    const ac = new AbortController();
    let timer: unknown;
    const armReply = () => {
      o.onLastFrame?.();
      if (o.replyTimeoutMs === undefined) return;
      const ms = o.replyTimeoutMs;
      timer = this.timers.setTimeout(() => ac.abort(new LinkError('timeout', `no reply within ${ms} ms`)), ms);
    };
    const leading = parts.slice(0, -1).map((p) => this.sender.send(p, false, { signal: ac.signal }));
    for (const p of leading) p.catch((e: unknown) => ac.abort(e));
    if (leading.length === 0) armReply();
    else void Promise.all(leading).then(armReply, () => undefined);
    return this.sender.send(parts.at(-1)!, wantsReply, { signal: ac.signal, accept: o.accept }).finally(() => this.timers.clearTimeout(timer));
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
    this.responder.close();
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
    // A NAK is due within 200 ms (DESIGN.md §6), so it waits no longer than `nakWithinMs`.
    const now = this.clock.monotonic();
    const nakBy = this.nakPendingSince === null ? undefined : this.nakPendingSince + (this.opts.nakWithinMs ?? 150);
    if (nakBy !== undefined && (!this.decoder.inFrame || now >= nakBy)) {
      this.nakPendingSince = null;
      this.counters.naksSent++;
      this.write(Uint8Array.of(NAK));
    }
    this.timers.clearTimeout(this.expiry);
    const deadline = Math.min(this.decoder.deadline() ?? Infinity, this.nakPendingSince === null ? Infinity : nakBy!);
    if (deadline !== Infinity && !this.closed) {
      const wait = Math.max(0, deadline - now) + 1;
      this.expiry = this.timers.setTimeout(() => this.handleEvents(this.decoder.expire(this.clock.monotonic())), wait);
    }
  }

  private handleEvent(e: FrameEvent): void {
    switch (e.kind) {
      case 'frame':
        this.nakPendingSince = null;
        return this.onFrame(e.seq, e.crc, e.body, false);
      case 'undecodable':
        this.nakPendingSince = null;
        return this.onFrame(e.seq, e.crc, e.body, true);
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
        this.nakPendingSince ??= this.clock.monotonic();
        return;
      case 'garbage':
        this.counters.garbageBytes += e.bytes;
        return;
    }
  }

  private onFrame(seq: number, crc: number, body: string, undecodable: boolean): void {
    if (this.lastIn && this.lastIn.seq === seq && this.lastIn.crc === crc) {
      this.counters.duplicates++;
      this.write(Uint8Array.of(ACK));
      return;
    }
    const isReply = this.sender.awaitingReply;
    if (!isReply && this.responder.serving && (this.stopping || this.responder.full)) {
      this.log.warn({ seq, stopping: this.stopping }, 'till frame not taken');
      return;
    }
    this.lastIn = { seq, crc };
    this.counters.framesIn++;
    this.log.debug({ seq, length: body.length }, 'till frame in');
    this.write(Uint8Array.of(ACK));
    if (!undecodable) {
      const joined = this.assembler.push(body);
      if (joined.kind !== 'message') {
        this.peerSendsParts = true;
        if (joined.kind === 'dropped') this.log.warn({ seq, reason: joined.reason }, 'till message part dropped');
        else if (isReply) this.sender.touch();
        return;
      }
      if (joined.parts > 1) this.log.debug({ parts: joined.parts, length: joined.text.length }, 'till message joined');
      body = joined.text;
    }
    if (undecodable) {
      // Answered here, as the application would answer bad JSON: the till sees an error for
      // its request id instead of resending the same bytes and failing open.
      this.log.warn({ seq }, 'till frame body is not valid UTF-8');
      if (!isReply && this.responder.serving) this.responder.pushAnswer(undecodableAnswer(body));
      return;
    }
    if (isReply) {
      if (!this.sender.onReply(body)) this.opts.onLateReply?.(body);
    } else if (this.responder.serving) this.responder.push(body);
    else this.opts.onLateReply?.(body);
  }

  private notifyIdle(): void {
    if (!this.idle && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
