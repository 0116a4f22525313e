/**
 * The gateway's side of an exchange: requests are answered one at a time, in order of
 * arrival; each answer goes back stop-and-wait before the next request is taken up. Frames
 * that arrive meanwhile wait here (they were ACKed already, so each must get its answer).
 */
import type { LinkLogger } from './link-types';

export type RequestHandler = (body: string) => Promise<string>;

/** A request body for the handler, or an answer already made (a body the link could not read). */
type Queued = { body: string } | { answer: string };

export class Responder {
  private readonly queue: Queued[] = [];
  private handler: RequestHandler | null = null;
  private handling = false;
  private closed = false;

  constructor(
    private readonly deps: {
      /** Send one answer frame (stop-and-wait); rejects if it cannot be delivered. */
      answer: (body: string) => Promise<unknown>;
      log: LinkLogger;
      maxQueued: number;
      /** Called whenever the queue runs empty with nothing in hand. */
      onIdle: () => void;
    },
  ) {}

  get serving(): boolean {
    return this.handler !== null;
  }

  get full(): boolean {
    return this.queue.length >= this.deps.maxQueued;
  }

  get idle(): boolean {
    return !this.handling && this.queue.length === 0;
  }

  serve(handler: RequestHandler): void {
    this.handler = handler;
    this.pump();
  }

  push(body: string): void {
    this.queue.push({ body });
    this.pump();
  }

  /** Queue an answer that needs no handler, in its turn (answers keep the order of requests). */
  pushAnswer(answer: string): void {
    this.queue.push({ answer });
    this.pump();
  }

  /** Drop what waits; the request in hand (if any) finds the link closed when it answers. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private pump(): void {
    if (this.handling || !this.handler || this.closed) return;
    const item = this.queue.shift();
    if (item === undefined) return this.deps.onIdle();
    this.handling = true;
    const handler = this.handler;
    void (async () => {
      try {
        await this.deps.answer('answer' in item ? item.answer : await handler(item.body));
      } catch (e) {
        // The till resends (or fails open); the gateway replays its stored answer then.
        this.deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'till answer not delivered');
      } finally {
        this.handling = false;
        this.pump();
      }
    })();
  }
}
