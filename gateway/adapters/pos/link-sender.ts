/**
 * Stop-and-wait sending (DESIGN.md §6): one frame outstanding; resent after a NAK or when no
 * ACK comes within `ackTimeoutMs`, at most `maxRetries` times, always with the same SEQ and
 * bytes, so the receiver can tell a resend from a new frame.
 *
 * A frame sent with `wantsReply` (a till request) stays outstanding after its ACK until the
 * peer's reply frame arrives. ACKs carry no SEQ, so a late ACK of an earlier frame can pass for
 * this one; while waiting for the reply the sender therefore still resends (same SEQ, so the
 * receiver only re-ACKs it) on a NAK or when no reply comes within `ackTimeoutMs`, as long as
 * retries remain. A reply frame also counts as the ACK if the real ACK was lost.
 */
import { encodeFrame } from '../../core/till/frame';
import { LinkError, type LinkCounters, type Timers, type Transmit } from './link-types';

interface Outbound {
  frame: Uint8Array;
  seq: number;
  attempt: number;
  phase: 'transmitting' | 'await-ack' | 'await-reply';
  /** An ACK or NAK that arrived while the frame was still going out. */
  early: 'ack' | 'nak' | null;
  wantsReply: boolean;
  accept: (body: string) => boolean;
  timer: unknown;
  settle(result: { ok: true; reply: string } | { ok: false; error: LinkError }): void;
}

export interface SenderDeps {
  transmit: Transmit;
  timers: Timers;
  counters: LinkCounters;
  ackTimeoutMs: number;
  maxRetries: number;
  firstSeq: number;
}

export class StopAndWaitSender {
  private current: Outbound | null = null;
  private seq: number;
  private tail: Promise<unknown> = Promise.resolve();
  private closed: LinkError | null = null;

  constructor(private readonly deps: SenderDeps) {
    this.seq = deps.firstSeq & 0xff;
  }

  /** SEQ the next frame will carry; an owner that reconnects passes it on as `firstSeq`. */
  get nextSeq(): number {
    return this.seq;
  }

  get busy(): boolean {
    return this.current !== null;
  }

  /** Whether the outstanding frame waits for a reply frame (so a frame arriving now is it). */
  get awaitingReply(): boolean {
    return this.current?.wantsReply === true;
  }

  /**
   * Queue one frame; resolves when it is ACKed ('') or, with `wantsReply`, with the first
   * reply body that `accept` takes. The body is encoded when its turn comes (so a too-large
   * body rejects with FrameError).
   */
  send(body: string, wantsReply: boolean, opts: { signal?: AbortSignal; accept?: (body: string) => boolean } = {}): Promise<string> {
    const run = () => this.start(body, wantsReply, opts.signal, opts.accept ?? (() => true));
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  onAck(): boolean {
    const o = this.current;
    if (!o) return false;
    if (o.phase === 'transmitting') o.early = 'ack';
    else if (o.phase === 'await-ack') {
      this.deps.timers.clearTimeout(o.timer);
      if (!o.wantsReply) return this.finish(o, { ok: true, reply: '' });
      o.phase = 'await-reply';
      this.arm(o);
    } else return false; // a late ACK while waiting for the reply
    return true;
  }

  onNak(): boolean {
    const o = this.current;
    if (!o) return false;
    this.deps.counters.naksReceived++;
    if (o.phase === 'transmitting') o.early = 'nak';
    else this.resend(o, 'nak');
    return true;
  }

  /** Part of the awaited reply arrived (a long reply): wait the full time again before resending. */
  touch(): void {
    const o = this.current;
    if (o?.phase !== 'await-reply') return;
    this.deps.timers.clearTimeout(o.timer);
    this.arm(o);
  }

  /** A frame from the peer: true if it is the awaited reply. */
  onReply(body: string): boolean {
    const o = this.current;
    if (!o?.wantsReply || !o.accept(body)) return false;
    return this.finish(o, { ok: true, reply: body });
  }

  close(error: LinkError): void {
    this.closed = error;
    if (this.current) this.finish(this.current, { ok: false, error });
  }

  private start(body: string, wantsReply: boolean, signal: AbortSignal | undefined, accept: (body: string) => boolean): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const frame = encodeFrame(this.seq, body);
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    this.deps.counters.framesOut++;
    return new Promise<string>((resolve, reject) => {
      const o: Outbound = {
        frame,
        seq,
        attempt: 0,
        phase: 'transmitting',
        early: null,
        wantsReply,
        accept,
        timer: undefined,
        settle: (r) => {
          signal?.removeEventListener('abort', onAbort);
          if (r.ok) resolve(r.reply);
          else reject(r.error);
        },
      };
      const onAbort = () => {
        if (this.current === o) this.finish(o, { ok: false, error: signal!.reason as LinkError });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.current = o;
      this.transmit(o);
    });
  }

  private transmit(o: Outbound): void {
    o.phase = 'transmitting';
    o.early = null;
    let sent: void | Promise<void>;
    try {
      sent = this.deps.transmit(o.frame, { seq: o.seq, attempt: o.attempt });
    } catch (e) {
      sent = Promise.reject(e);
    }
    Promise.resolve(sent).then(
      () => {
        if (this.current !== o) return;
        o.phase = 'await-ack';
        const early = o.early;
        o.early = null;
        if (early === 'nak') this.resend(o, 'nak');
        else if (early === 'ack') this.onAck();
        else this.arm(o);
      },
      (e: unknown) => {
        if (this.current === o) this.finish(o, { ok: false, error: new LinkError('write-failed', String(e)) });
      },
    );
  }

  private arm(o: Outbound): void {
    o.timer = this.deps.timers.setTimeout(() => {
      if (this.current === o) this.resend(o, 'timeout');
    }, this.deps.ackTimeoutMs);
  }

  private resend(o: Outbound, why: 'nak' | 'timeout'): void {
    this.deps.timers.clearTimeout(o.timer);
    if (o.attempt >= this.deps.maxRetries) {
      // Out of retries while the reply is awaited: the frame was ACKed once, so keep waiting
      // for the reply until the caller's deadline.
      if (o.phase === 'await-reply') return;
      const code = why === 'nak' ? 'nak-limit' : 'ack-timeout';
      this.finish(o, { ok: false, error: new LinkError(code, `frame SEQ ${o.seq} not acknowledged after ${o.attempt + 1} attempts`) });
      return;
    }
    o.attempt++;
    this.deps.counters.retries++;
    this.transmit(o);
  }

  private finish(o: Outbound, result: Parameters<Outbound['settle']>[0]): true {
    this.deps.timers.clearTimeout(o.timer);
    if (this.current === o) this.current = null;
    o.settle(result);
    return true;
  }
}
