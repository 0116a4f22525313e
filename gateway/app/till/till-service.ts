/**
 * The till message service: the TillBodyHandler the till links call (ports/pos-link.ts).
 *
 * Per request: parse and validate (till-parse.ts; bad input is answered, never thrown).
 * Read-only requests (hello, ping, basket, end-of-day) are answered at once. Requests with
 * effects (identify, sale, refund, void, redeem) run atomically: a stored answer for this
 * (lane, id) is replayed, marked `replayed: true` with the member's current balance
 * (other content under the same id: conflict);
 * otherwise the handler writes its rows and the answer is recorded, all or nothing. The
 * till is answered only after the commit (WAL, synchronous=FULL: durable).
 *
 * Group commit: requests with effects that arrive together (several lanes, one event-loop
 * turn) share one IMMEDIATE transaction, each inside its own SAVEPOINT, so each request is
 * still all-or-nothing but the batch pays for one WAL fsync instead of one each. The fsync
 * is most of a sale's cost; a single lane sees one extra event-loop turn of latency.
 * `maxBatch: 1` gives one transaction per request. `handleText` is the synchronous path:
 * always its own transaction.
 */
import type { Db } from '../../adapters/sqlite/open-database';
import type { EarningRulesConfig } from '../../config/schema';
import type { TillRequest } from '../../core/till/messages';
import type { CardTapSource } from '../../ports/card-taps';
import type { Clock } from '../../ports/clock';
import type { TillBodyHandler } from '../../ports/pos-link';
import { contentHash } from './request-hash';
import { answer, createTillContext, errorResponse, refuse, replayAnswer, type Handled, type StoreInfo, type TillContext } from './till-context';
import { handleBasket, handleEndOfDay, handleHello, handleIdentify } from './till-lookups';
import { parseTillRequest } from './till-parse';
import { handleRefund, handleVoid } from './till-returns';
import { handleSale } from './till-sale';
import { handleRedeem } from './till-redeem';
import type { ProgramConfig } from '../../config/loyalty-program-schema';

export interface TillServiceDeps {
  db: Db;
  rules: EarningRulesConfig;
  store: StoreInfo;
  clock: Clock;
  cardTaps?: CardTapSource | undefined;
  /** The loyalty program (config `program`); defaults when absent. */
  program?: ProgramConfig | undefined;
  /**
   * Opens a staff session for a staff pass just tapped at this lane (the `staff-session`
   * message); undefined when there is none. Without it the message is refused.
   */
  staffSession?: (lane: string) => { token: string; role: string; place: string; expiresAt: number } | undefined;
  /** A sale awarding more points than this is held for HQ's review, not credited (config `till.reviewAbovePoints`). */
  reviewAbovePoints?: number;
  /** Most requests sharing one commit (default 32; 1 = one transaction per request). */
  maxBatch?: number;
  /**
   * Called with a fault (database error, bug) after the till was answered `internal` (so it
   * fails open). Default: one line on stderr with the error's name, code and message only —
   * never the request body, which may carry a member number.
   */
  onFault?: (error: unknown, info: { lane: string; type: string }) => void;
  /** Seconds each ledger transaction took (group commit or single request): the metrics histogram. */
  onCommit?: (seconds: number) => void;
}

export interface TillService {
  handle: TillBodyHandler;
  /** The same, synchronously, one transaction per request (in-process drivers, tests). */
  handleText(body: string, ctx: { lane: string }): string;
}

type Recorded = Extract<TillRequest, { type: 'identify' | 'sale' | 'refund' | 'void' | 'redeem' }>;

interface Pending {
  req: Recorded;
  lane: string;
  resolve: (text: string) => void;
}

const defaultFault = (error: unknown, info: { lane: string; type: string }) => {
  const e = error as { name?: string; code?: string; message?: string };
  console.error(`till-service fault lane=${info.lane} type=${info.type}: ${e?.name ?? 'Error'} ${e?.code ?? ''} ${e?.message ?? String(error)}`);
};

const internal = (id: string) => JSON.stringify(errorResponse(id, 'internal', 'the gateway could not process this request'));

export function createTillService(deps: TillServiceDeps): TillService {
  const c: TillContext = createTillContext(deps);
  const { clock, db } = deps;
  const maxBatch = Math.max(1, Math.trunc(deps.maxBatch ?? 32));
  const onCommit = deps.onCommit;
  /** One request in its own transaction, timed for the metrics when asked. */
  const single = (req: Recorded, lane: string): string => {
    if (!onCommit) return one.immediate(req, lane, clock.now());
    const t0 = performance.now();
    const text = one.immediate(req, lane, clock.now());
    onCommit((performance.now() - t0) / 1000);
    return text;
  };
  const fault = (error: unknown, lane: string, type: string) => {
    try {
      (deps.onFault ?? defaultFault)(error, { lane, type });
    } catch {
      // a failing fault sink must not stop the till from getting its answer
    }
  };

  const dispatch = (req: Recorded, lane: string, hash: string, now: number): Handled => {
    switch (req.type) {
      case 'sale':
        return handleSale(c, req, lane, hash, now);
      case 'refund':
        return handleRefund(c, req, lane, hash, now);
      case 'void':
        return handleVoid(c, req, lane, hash, now);
      case 'identify':
        return handleIdentify(c, req, lane, now);
      case 'redeem':
        return handleRedeem(c, req, lane, now);
    }
  };

  /** One request with effects; a transaction on its own, a savepoint inside a batch. */
  const one = db.transaction((req: Recorded, lane: string, now: number): string => {
    const hash = contentHash(req);
    const stored = c.idempotency.get(lane, req.id);
    if (stored) {
      return stored.requestHash === hash
        ? replayAnswer(c, stored.response, now)
        : refuse(req.id, 'conflict', `request id ${req.id} was already used for different content`).text;
    }
    const out = dispatch(req, lane, hash, now);
    if (out.record) c.idempotency.put({ lane, requestId: req.id, type: req.type, requestHash: hash, response: out.text, saleId: out.saleId, at: now });
    return out.text;
  });

  const batch = db.transaction((items: Pending[]): string[] =>
    items.map((p) => {
      try {
        return one(p.req, p.lane, clock.now());
      } catch (error) {
        fault(error, p.lane, p.req.type);
        return internal(p.req.id);
      }
    }),
  );

  let queue: Pending[] = [];
  let scheduled = false;

  function flush() {
    scheduled = false;
    const items = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    if (queue.length > 0) {
      scheduled = true;
      setImmediate(flush);
    }
    let texts: string[];
    const t0 = onCommit ? performance.now() : 0;
    try {
      texts = batch.immediate(items);
      if (onCommit) onCommit((performance.now() - t0) / 1000);
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the batch was kept.
      fault(error, items[0]?.lane ?? '?', 'batch');
      texts = items.map((p) => internal(p.req.id));
    }
    items.forEach((p, i) => p.resolve(texts[i]!));
  }

  /** Answers a parsed request: read-only ones directly, others through `effect`. */
  function route(req: TillRequest, lane: string, effect: (req: Recorded) => string | Promise<string>): string | Promise<string> {
    try {
      const now = clock.now();
      switch (req.type) {
        case 'ping':
          return answer({ v: 1, id: req.id, type: 'ping.ok' }, false).text;
        case 'hello':
          return handleHello(c, req, lane, now).text;
        case 'basket':
          return handleBasket(c, req, now).text;
        case 'end-of-day':
          return handleEndOfDay(c, req, now).text;
        case 'staff-session': {
          const s = deps.staffSession?.(lane);
          if (!s) return refuse(req.id, 'no-staff-pass', "tap a staff pass on this lane's reader first").text;
          return answer({ v: 1, id: req.id, type: 'staff-session.ok', ...s }, false).text;
        }
        default:
          return effect(req);
      }
    } catch (error) {
      fault(error, lane, req.type);
      return internal(req.id);
    }
  }

  function handleText(body: string, ctx: { lane: string }): string {
    const parsed = parseTillRequest(body);
    if (!parsed.ok) return JSON.stringify(errorResponse(parsed.error.id, parsed.error.code, parsed.error.message));
    return route(parsed.value, ctx.lane, (req) => single(req, ctx.lane)) as string;
  }

  function handle(body: string, ctx: { lane: string }): Promise<string> {
    const parsed = parseTillRequest(body);
    if (!parsed.ok) return Promise.resolve(JSON.stringify(errorResponse(parsed.error.id, parsed.error.code, parsed.error.message)));
    return Promise.resolve(
      route(parsed.value, ctx.lane, (req) => {
        if (maxBatch === 1) return single(req, ctx.lane);
        return new Promise<string>((resolve) => {
          queue.push({ req, lane: ctx.lane, resolve });
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        });
      }),
    );
  }

  return { handle, handleText };
}
