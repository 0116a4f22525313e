/** What the till message handlers share: repositories (statements prepared once), rules, clock. */
import { localDate } from '../../core/time/local-date';
import { createIdempotencyRepo, type IdempotencyRepo } from '../../adapters/sqlite/idempotency-repo';
import type { MembersRepo } from '../../adapters/sqlite/members-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import type { OutboxWriter } from '../../../sync/gateway/outbox-writer';
import { createSalesRepo, type SalesRepo } from '../../adapters/sqlite/sales-repo';
import type { EarningRulesConfig } from '../../config/schema';
import { compileRules, type CompiledRules } from '../../core/loyalty/earning';
import type { TillErrorCode, TillResponse } from '../../core/till/messages';
import type { CardTapSource } from '../../ports/card-taps';
import type { Clock } from '../../ports/clock';
import type { IdFactory } from '../shared/ids';
import type { LedgerWriter } from '../loyalty/ledger-writer';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import type { Program } from '../loyalty/program';
import { createProgramContext } from '../loyalty/program-context';
import { createOffersTill, type OffersTill } from '../offers/offers-till';

export interface StoreInfo {
  id: string;
  gateway: string;
  /** IANA zone: business dates and expiry dates follow it. */
  timeZone: string;
}

export interface TillContext {
  readonly members: MembersRepo;
  readonly sales: SalesRepo;
  readonly outbox: OutboxWriter;
  readonly idempotency: IdempotencyRepo;
  readonly ledger: LedgerWriter;
  readonly rules: CompiledRules;
  readonly store: StoreInfo;
  readonly ids: IdFactory;
  readonly cardTaps: CardTapSource | undefined;
  /** Tiers, spending within the offline budget, vouchers (issue 6). */
  readonly program: Program;
  /** Offers held by members or typed as codes: basket preview, applied once by the sale (issue 8). */
  readonly offers: OffersTill;
  /** A sale awarding more points than this is held for review (issue 14); undefined: no limit. */
  readonly reviewAbovePoints: number | undefined;
}

export function createTillContext(deps: {
  db: Db;
  rules: EarningRulesConfig;
  store: StoreInfo;
  clock: Clock;
  cardTaps?: CardTapSource | undefined;
  program?: ProgramConfig | undefined;
  reviewAbovePoints?: number | undefined;
}): TillContext {
  // The loyalty wiring (repositories, outbox writer, ledger writer, program) is built in one place.
  const { ids, members, outbox, writer, program } = createProgramContext(deps);
  return {
    members,
    sales: createSalesRepo(deps.db),
    outbox,
    idempotency: createIdempotencyRepo(deps.db),
    ledger: writer,
    program,
    rules: compileRules(deps.rules),
    store: deps.store,
    ids,
    cardTaps: deps.cardTaps,
    offers: createOffersTill({ db: deps.db, outbox, ids }),
    reviewAbovePoints: deps.reviewAbovePoints,
  };
}

/**
 * A handler's answer. `record`: store it under the request id (effects happened or a
 * resend must get the same answer). Errors are never recorded: a refund refused because
 * its sale has not arrived yet succeeds when the till retries after the sale is in.
 */
export interface Handled {
  readonly text: string;
  readonly record: boolean;
  /** The sale whose stored response is `text`: the idempotency record points at it instead of copying it. */
  readonly saleId?: number;
}

export const answer = (response: TillResponse, record = true): Handled => ({ text: JSON.stringify(response), record });

export const errorResponse = (id: string, code: TillErrorCode, message: string): TillResponse => ({
  v: 1,
  id,
  type: 'error',
  code,
  message,
});

export const refuse = (id: string, code: TillErrorCode, message: string): Handled => answer(errorResponse(id, code, message), false);

/**
 * A stored answer given again (a resent id, or the same content under a new id): the same
 * answer, marked `replayed: true` (issue 14), with `id` echoing this request (the till matches
 * answers by id), and the member's figures as they are now (balance, tier, spendable): the
 * points were applied once, but a till that prints the balance must not print a stale one.
 */
export function replayAnswer(c: TillContext, stored: string, now: number, id?: string): string {
  const response = JSON.parse(stored) as TillResponse & { member?: { number?: string; balance?: number } | null };
  const out: Record<string, unknown> = { ...response, ...(id !== undefined && { id }), replayed: true };
  const number = response.member?.number;
  if (number !== undefined && response.member?.balance !== undefined) {
    const m = c.members.byNumber(number);
    if (m) out.member = c.program.view(m, localDate(now, c.store.timeZone));
  }
  return JSON.stringify(out);
}

/** The stored answer to the same content sent under another request id (see replayAnswer). */
export function withId(c: TillContext, stored: string, id: string, now: number): Handled {
  return { text: replayAnswer(c, stored, now, id), record: true };
}
