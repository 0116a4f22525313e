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
import { err, ok } from '../../gateway/core/result';
import { systemClock, type Clock } from '../../gateway/ports/clock';
import type { LinkEngine } from '../../gateway/adapters/pos/link-engine';
import { LinkError, newCounters, silentLogger, systemTimers, type LinkCounters, type Timers } from '../../gateway/adapters/pos/link-types';
import { randomFaults, type FaultKind } from './faults';
import { Journal, readJournal, summariseJournal } from './journal';
import { createRng, type Rng } from './prng';
import { RequestFactory, type Identify, type SaleInput } from './requests';
import { TillLine, type TillTransport } from './till-line';

import type { ExchangeResult, FailedOpen, SimTillOptions } from './sim-till-types';

export type { ExchangeResult, FailedOpen, SimTillOptions, TillTransport };

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
  private readonly line: TillLine;
  private readonly pendingRequests = new Map<string, TillRequest>();
  private readonly randomFault: () => FaultKind | null;
  private forcedFault: FaultKind | null | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private flushQueued = false;

  constructor(private readonly opts: SimTillOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? systemTimers;
    this.rng = createRng(opts.seed ?? 1);
    const journalled = summariseJournal(readJournal(opts.journal));
    for (const r of journalled) if (r.pending) this.pendingRequests.set(r.id, r.body);
    this.journal = new Journal(opts.journal);
    this.requests = new RequestFactory(
      {
        lane: opts.lane ?? 'lane-1',
        receiptPrefix: opts.receiptPrefix ?? opts.lane ?? 'lane-1',
        now: () => this.clock.now(),
        rng: this.rng,
        members: opts.members ?? [],
        memberRate: opts.memberRate ?? 0.7,
      },
      journalled.map((r) => r.body),
    );
    this.randomFault = opts.faults ? randomFaults(this.rng, opts.faults.rate, opts.faults.kinds) : () => null;
    this.line = new TillLine({
      ...opts,
      counters: this.counters,
      clock: this.clock,
      timers: this.timers,
      logger: opts.logger ?? silentLogger,
      rng: this.rng,
      nextFault: () => this.takeFault(),
      onLateReply: (b) => this.lateReply(b),
    });
  }

  get journalPath(): string {
    return this.opts.journal;
  }

  /** Open the port or connection now (exchanges also open it on demand). */
  async open(): Promise<void> {
    await this.line.engine();
  }

  /** Finish queued exchanges, then close the link and the journal. */
  async close(): Promise<void> {
    await this.settled();
    await this.line.close();
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

  /** ENQ probe between exchanges: true if the gateway answers ACK. */
  probe = (): Promise<boolean> => this.exclusive(async () => (await this.line.engine()).probe());
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
    const failOpenMs = this.opts.failOpenMs ?? 2000;
    let deadline = this.clock.monotonic() + failOpenMs;
    this.forcedFault = fault;
    let failure: FailedOpen = { code: 'timeout', message: 'no answer', pending: false };
    for (let attempt = 1; this.clock.monotonic() < deadline; attempt++) {
      let engine: LinkEngine;
      try {
        engine = await this.line.engine();
      } catch (e) {
        failure = { code: 'link-down', message: e instanceof Error ? e.message : String(e), pending: false };
        await this.sleep(Math.min(100, deadline - this.clock.monotonic()));
        continue;
      }
      this.journal.append({ kind: 'request', id: request.id, type: request.type, at: this.isoNow(), attempt, body: request });
      try {
        // The fail-open time counts from the message's last frame (docs/till-link.md, "Long
        // messages"): a 250-line basket's parts take their wire time first.
        const left = Math.max(1, deadline - this.clock.monotonic());
        const body = await engine.request(JSON.stringify(request), {
          timeoutMs: left,
          accept: (b) => idOf(b) === request.id,
          onLastFrame: () => {
            deadline = Math.max(deadline, this.clock.monotonic() + left);
          },
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
