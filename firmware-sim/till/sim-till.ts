/**
 * A simulated till: the other end of the till link (DESIGN.md §6), over a serial path or TCP.
 *
 * It behaves like a real till: one exchange at a time; every request journalled before it is
 * sent; no answer within `failOpenMs` (2 s) and the sale goes on without loyalty, marked
 * pending, and is resent with the same id later (`flushPending()`, or by itself after the next
 * exchange that succeeds). A dropped connection mid-exchange is reopened and the request resent
 * (same id) while the 2 s last. Faults (faults.ts) go on its own request frames.
 */
import type { SaleLine, SaleRequest, TillRequest, TillResponse } from '../../gateway/core/till/messages';
import { err, ok, type Result } from '../../gateway/core/result';
import { systemClock, type Clock } from '../../gateway/ports/clock';
import type { Connection, Connector } from '../../gateway/adapters/pos/connection';
import { LinkEngine } from '../../gateway/adapters/pos/link-engine';
import {
  LinkError, newCounters, silentLogger, systemTimers, type LinkCounters, type LinkLogger, type Timers,
} from '../../gateway/adapters/pos/link-types';
import { SerialConnector, type BaudRate } from '../../gateway/adapters/pos/serial-pos-link';
import { TcpDialConnector } from '../../gateway/adapters/pos/tcp-pos-link';
import { faultyTransmit, randomFaults, type FaultKind } from './faults';
import { Journal, readJournal, summariseJournal } from './journal';
import { createRng, type Rng } from './prng';
import { RequestFactory, type Identify, type SaleInput } from './requests';

export type TillTransport = { kind: 'serial'; path: string; baudRate?: BaudRate } | { kind: 'tcp'; host: string; port: number };

export interface SimTillOptions {
  transport: TillTransport;
  /** Journal file (JSONL); pending requests in it are picked up again. */
  journal: string;
  lane?: string;
  receiptPrefix?: string;
  /** Member numbers for random sales; none given: sales without a member. */
  members?: readonly string[];
  /** Share of random sales with a member (default 0.7). */
  memberRate?: number;
  seed?: number;
  /** Random faults on request frames: each gets one with probability `rate`. */
  faults?: { rate: number; kinds?: readonly FaultKind[] };
  failOpenMs?: number;
  ackTimeoutMs?: number;
  maxRetries?: number;
  interByteGapMs?: number;
  clock?: Clock;
  timers?: Timers;
  logger?: LinkLogger;
}

export interface FailedOpen {
  code: 'timeout' | 'link-down' | 'gateway-error';
  message: string;
  /** Will be resent (sales, refunds and voids). */
  pending: boolean;
}
export type ExchangeResult = Result<TillResponse, FailedOpen>;

const RESENT_TYPES = new Set<TillRequest['type']>(['sale', 'refund', 'void']);
const idOf = (body: string): unknown => {
  try {
    return (JSON.parse(body) as { id?: unknown }).id;
  } catch {
    return undefined;
  }
};

export class SimTill {
  readonly counters: LinkCounters = newCounters();
  readonly requests: RequestFactory;
  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly rng: Rng;
  private readonly connector: Connector;
  private readonly pendingRequests = new Map<string, TillRequest>();
  private readonly randomFault: () => FaultKind | null;
  private forcedFault: FaultKind | null | undefined;
  private conn: Connection | null = null;
  private engine: LinkEngine | null = null;
  private nextSeq = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private flushQueued = false;

  constructor(private readonly opts: SimTillOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? systemTimers;
    this.rng = createRng(opts.seed ?? 1);
    const t = opts.transport;
    this.connector = t.kind === 'serial' ? new SerialConnector(t.path, t.baudRate) : new TcpDialConnector(t.host, t.port);
    const journalled = summariseJournal(readJournal(opts.journal));
    for (const r of journalled) if (r.pending) this.pendingRequests.set(r.id, r.body);
    this.journal = new Journal(opts.journal);
    this.requests = new RequestFactory(
      {
        lane: opts.lane ?? 'lane-1', receiptPrefix: opts.receiptPrefix ?? opts.lane ?? 'lane-1', now: () => this.clock.now(),
        rng: this.rng, members: opts.members ?? [], memberRate: opts.memberRate ?? 0.7,
      },
      journalled.map((r) => r.body),
    );
    this.randomFault = opts.faults ? randomFaults(this.rng, opts.faults.rate, opts.faults.kinds) : () => null;
  }

  get journalPath(): string {
    return this.opts.journal;
  }

  /** Open the port or connection now (exchanges also open it on demand). */
  async open(): Promise<void> {
    await this.connect();
  }

  /** Finish queued exchanges, then close the link and the journal. */
  async close(): Promise<void> {
    await this.settled();
    this.engine?.close();
    await this.conn?.close();
    this.conn = null;
    this.engine = null;
    this.journal.close();
  }

  /** Resolves when every queued exchange (including an automatic flush) is done. */
  async settled(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  /** Ids of requests that failed open and wait to be resent. */
  pending(): string[] {
    return [...this.pendingRequests.keys()];
  }

  hello = () => this.send(this.requests.hello());
  ping = () => this.send(this.requests.ping());
  identify = (by: Identify) => this.send(this.requests.identify(by));
  basket = (lines: SaleLine[], member?: string) => this.send(this.requests.basket(lines, member));
  sale = (input: SaleInput = {}, opts: { fault?: FaultKind | null } = {}) => this.send(this.requests.sale(input), opts);
  refund = (original: SaleRequest) => this.send(this.requests.refund(original));
  voidSale = (receipt: string) => this.send(this.requests.voidSale(receipt));
  endOfDay = (date?: string) => this.send(this.requests.endOfDay(date));

  /** Ring `n` random sales, one after the other. */
  async runSales(n: number): Promise<ExchangeResult[]> {
    const results: ExchangeResult[] = [];
    for (let i = 0; i < n; i++) results.push(await this.sale());
    return results;
  }

  /**
   * Send one request and wait for its answer. `fault` forces a line fault on its first frame
   * (null: none); otherwise the random fault rate applies.
   */
  send(request: TillRequest, opts: { fault?: FaultKind | null } = {}): Promise<ExchangeResult> {
    return this.exclusive(() => this.exchange(request, opts.fault));
  }

  /** Resend every pending request (same id), oldest first; stops at the first that fails again. */
  flushPending(): Promise<{ resent: number; answered: number }> {
    return this.exclusive(() => this.flushNow());
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async flushNow(): Promise<{ resent: number; answered: number }> {
    let resent = 0;
    let answered = 0;
    for (const request of [...this.pendingRequests.values()]) {
      resent++;
      const r = await this.exchange(request, null, false);
      if (!r.ok) break;
      answered++;
    }
    return { resent, answered };
  }

  private async exchange(request: TillRequest, fault: FaultKind | null | undefined, autoFlush = true): Promise<ExchangeResult> {
    const deadline = this.clock.monotonic() + (this.opts.failOpenMs ?? 2000);
    this.forcedFault = fault;
    let failure: FailedOpen = { code: 'timeout', message: 'no answer', pending: false };
    for (let attempt = 1; this.clock.monotonic() < deadline; attempt++) {
      let engine: LinkEngine;
      try {
        engine = await this.connect();
      } catch (e) {
        failure = { code: 'link-down', message: e instanceof Error ? e.message : String(e), pending: false };
        await this.sleep(Math.min(100, deadline - this.clock.monotonic()));
        continue;
      }
      this.journal.append({ kind: 'request', id: request.id, type: request.type, at: this.isoNow(), attempt, body: request });
      try {
        const body = await engine.request(JSON.stringify(request), {
          timeoutMs: Math.max(1, deadline - this.clock.monotonic()),
          accept: (b) => idOf(b) === request.id,
        });
        const response = JSON.parse(body) as TillResponse;
        this.journal.append({ kind: 'response', id: request.id, at: this.isoNow(), late: false, body: response });
        if (response.type === 'error' && response.code === 'internal') {
          failure = { code: 'gateway-error', message: response.message, pending: false };
          break;
        }
        this.pendingRequests.delete(request.id);
        if (autoFlush) this.scheduleFlush();
        return ok(response);
      } catch (e) {
        failure = { code: 'timeout', message: e instanceof Error ? e.message : String(e), pending: false };
        // A dropped connection is reopened and the request resent while time remains.
        if (!(e instanceof LinkError && e.code === 'closed')) break;
      }
    }
    failure.pending = RESENT_TYPES.has(request.type);
    if (failure.pending) {
      this.pendingRequests.set(request.id, request);
      this.journal.append({ kind: 'pending', id: request.id, at: this.isoNow(), reason: failure.code });
    }
    return err(failure);
  }

  private scheduleFlush(): void {
    if (this.flushQueued || this.pendingRequests.size === 0) return;
    this.flushQueued = true;
    void this.exclusive(async () => {
      this.flushQueued = false;
      await this.flushNow();
    });
  }

  private async connect(): Promise<LinkEngine> {
    if (this.engine && !this.engine.isClosed) return this.engine;
    const conn = await this.connector.connect();
    const o = this.opts;
    const engine = new LinkEngine(conn.stream, {
      firstSeq: this.nextSeq, counters: this.counters, clock: this.clock, timers: this.timers,
      logger: o.logger ?? silentLogger, onLateReply: (b) => this.lateReply(b),
      ...(o.ackTimeoutMs !== undefined && { ackTimeoutMs: o.ackTimeoutMs }),
      ...(o.maxRetries !== undefined && { maxRetries: o.maxRetries }),
      ...(o.interByteGapMs !== undefined && { interByteGapMs: o.interByteGapMs }),
      transmit: faultyTransmit(() => this.takeFault(), {
        write: (bytes) => void conn.stream.write(bytes),
        // Let the partial frame leave the port before the line goes dead.
        drop: () => this.sleep(20).then(() => conn.close()),
        stall: () => this.sleep((o.interByteGapMs ?? 100) * 1.5 + 30),
      }, this.rng),
    });
    conn.onLost(() => {
      this.nextSeq = engine.nextSeq;
      engine.close();
      void conn.close();
      if (this.conn === conn) {
        this.conn = null;
        this.engine = null;
      }
    });
    this.conn = conn;
    this.engine = engine;
    return engine;
  }

  private takeFault(): FaultKind | null {
    if (this.forcedFault === undefined) return this.randomFault();
    const f = this.forcedFault;
    this.forcedFault = null;
    return f;
  }

  /** An answer that came after its request failed open: it needs no resend. */
  private lateReply(body: string): void {
    const id = idOf(body);
    if (typeof id !== 'string' || !this.pendingRequests.has(id)) return;
    this.pendingRequests.delete(id);
    this.journal.append({ kind: 'response', id, at: this.isoNow(), late: true, body: JSON.parse(body) as TillResponse });
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.setTimeout(resolve, Math.max(0, ms)));
  }
}
