/**
 * The PosLink contract (gateway/ports/pos-link.ts) over any Connector: opens in the
 * background, reports `down` with the reason when the port is missing or lost, retries with
 * back-off and jitter, comes `up` by itself. One LinkEngine per connection; counters and the
 * outgoing SEQ carry over from one connection to the next (a resent answer must not reuse
 * the SEQ and CRC of the till's last-seen frame, or the till drops it as a repeat).
 */
import { MAX_BODY } from '../../core/till/frame';
import { MAX_MESSAGE } from '../../core/till/message-parts';
import type { Clock } from '../../ports/clock';
import type { LinkHealth, LinkState, PosLink, TillBodyHandler } from '../../ports/pos-link';
import { backoffDelay } from '../backoff';
import { errorMessage, type Connection, type Connector } from './connection';
import { LinkEngine } from './link-engine';
import { newCounters, systemTimers, type LinkCounters, type LinkLogger, type Timers } from './link-types';

export interface PosLinkOptions {
  lane: string;
  logger: LinkLogger;
  clock: Clock;
  timers?: Timers;
  /** Back-off bounds for reopening a missing or lost port (defaults 500 / 10 000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Jitter source, uniform in [0, 1). */
  random?: () => number;
  /** How long `stop()` waits for the request in hand to be answered (default 3000). */
  stopGraceMs?: number;
  /** Protocol timers (DESIGN.md §6 defaults: 1000, 3, 100). */
  ackTimeoutMs?: number;
  maxRetries?: number;
  interByteGapMs?: number;
}

export class ConnectedPosLink implements PosLink {
  readonly lane: string;
  private readonly counters: LinkCounters = newCounters();
  private readonly timers: Timers;
  private state: LinkState = 'stopped';
  private since: number;
  private lastError: string | undefined;
  private running = false;
  private stopping: Promise<void> | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private conn: Connection | null = null;
  private engine: LinkEngine | null = null;
  private nextSeq = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly connector: Connector,
    private readonly opts: PosLinkOptions,
  ) {
    this.lane = opts.lane;
    this.timers = opts.timers ?? systemTimers;
    this.since = opts.clock.now();
  }

  start(handler: TillBodyHandler): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.setState('connecting');
    this.loopDone = this.loop(this.guard(handler));
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const wasRunning = this.running;
      this.running = false;
      this.wake?.();
      if (this.engine) await this.engine.stop(this.opts.stopGraceMs ?? 3000);
      await this.conn?.close();
      await this.connector.shutdown();
      await this.loopDone;
      this.setState('stopped');
      if (wasRunning) this.opts.logger.info({ lane: this.lane }, 'till link stopped');
    })();
    return this.stopping;
  }

  health(): LinkHealth {
    return {
      lane: this.lane,
      transport: this.connector.transport,
      endpoint: this.connector.endpoint(),
      state: this.state,
      since: this.since,
      ...(this.lastError !== undefined && this.state !== 'up' ? { lastError: this.lastError } : {}),
      counters: { ...this.counters },
    };
  }

  private async loop(handler: (body: string) => Promise<string>): Promise<void> {
    let failures = 0;
    while (this.running) {
      let conn: Connection;
      try {
        conn = await this.connector.connect();
      } catch (e) {
        if (!this.running) return;
        failures++;
        this.setState('down', errorMessage(e), failures > 1);
        await this.sleep(backoffDelay(failures, this.backoff()));
        continue;
      }
      if (!this.running) {
        await conn.close();
        return;
      }
      failures = 0;
      const reason = await this.session(conn, handler);
      if (!this.running) return;
      this.setState('down', reason);
      if (!this.connector.waitsForPeer) await this.sleep(backoffDelay(1, this.backoff()));
    }
  }

  /** Serve one connection until it is lost (or the link stops); resolves with the reason. */
  private session(conn: Connection, handler: (body: string) => Promise<string>): Promise<string> {
    return new Promise<string>((resolve) => {
      const engine = new LinkEngine(conn.stream, {
        counters: this.counters,
        firstSeq: this.nextSeq,
        clock: this.opts.clock,
        timers: this.timers,
        logger: this.opts.logger,
        ...(this.opts.ackTimeoutMs !== undefined && { ackTimeoutMs: this.opts.ackTimeoutMs }),
        ...(this.opts.maxRetries !== undefined && { maxRetries: this.opts.maxRetries }),
        ...(this.opts.interByteGapMs !== undefined && { interByteGapMs: this.opts.interByteGapMs }),
      });
      this.conn = conn;
      this.engine = engine;
      conn.onLost((why) => {
        this.nextSeq = engine.nextSeq;
        engine.close();
        this.engine = null;
        this.conn = null;
        void conn.close();
        resolve(why);
      });
      engine.serve(handler);
      this.setState('up');
    });
  }

  /** The till always gets an answer: a handler fault becomes an `internal` error response. */
  private guard(handler: TillBodyHandler): (body: string) => Promise<string> {
    const log = this.opts.logger;
    return async (body) => {
      try {
        const answer = await handler(body, { lane: this.lane });
        const length = Buffer.byteLength(answer, 'utf8');
        // A till that sends parts reads them: a long answer goes to it in parts.
        if (length <= MAX_BODY || (this.engine?.peerSpeaksParts === true && length <= MAX_MESSAGE)) return answer;
        log.error({ lane: this.lane, length }, 'till answer does not fit one frame');
        return errorAnswer(body, 'answer too large');
      } catch (e) {
        log.error({ lane: this.lane, err: errorMessage(e) }, 'till handler failed');
        return errorAnswer(body, 'gateway error');
      }
    };
  }

  private setState(state: LinkState, error?: string, quiet = false): void {
    const log = this.opts.logger;
    if (error !== undefined) {
      if (state === 'down' && (!quiet || error !== this.lastError)) {
        log.warn({ lane: this.lane, endpoint: this.connector.endpoint(), err: error }, 'till link down');
      } else log.debug({ lane: this.lane, err: error }, 'till link still down');
      this.lastError = error;
    }
    if (state === 'up') log.info({ lane: this.lane, endpoint: this.connector.endpoint() }, 'till link up');
    if (state !== this.state) {
      this.state = state;
      this.since = this.opts.clock.now();
    }
  }

  private backoff() {
    return {
      minMs: this.opts.reconnectMinMs ?? 500,
      maxMs: this.opts.reconnectMaxMs ?? 10_000,
      ...(this.opts.random && { random: this.opts.random }),
    };
  }

  /** A back-off wait that `stop()` cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        this.timers.clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = this.timers.setTimeout(finish, ms);
      this.wake = finish;
    });
  }
}

function errorAnswer(requestBody: string, message: string): string {
  let id = '';
  try {
    const parsed = JSON.parse(requestBody) as { id?: unknown };
    if (typeof parsed.id === 'string') id = parsed.id.slice(0, 64);
  } catch {
    // not JSON: the answer still goes back, without an id
  }
  return JSON.stringify({ v: 1, id, type: 'error', code: 'internal', message });
}
