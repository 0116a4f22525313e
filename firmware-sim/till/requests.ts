/**
 * Builds the till's request messages (gateway/core/till/messages.ts). Ids are ULIDs; receipts
 * are `<prefix>-<n>`, numbered on from whatever the journal already holds.
 */
import { monotonicFactory } from 'ulid';
import type {
  BasketRequest,
  EndOfDayRequest,
  HelloRequest,
  IdentifyRequest,
  RefundRequest,
  SaleLine,
  SaleRequest,
  TillRequest,
  VoidRequest,
} from '../../gateway/core/till/messages';
import { randomLines, totalCents } from './catalogue';
import type { Rng } from './prng';

export type Identify = { member: string } | { card: true } | { phoneCode: string };

export interface SaleInput {
  receipt?: string;
  member?: string | null;
  lines?: SaleLine[];
  tenders?: SaleRequest['tenders'];
  at?: string;
}

export class RequestFactory {
  private readonly newId = monotonicFactory();
  private receiptNo: number;

  constructor(
    private readonly opts: { lane: string; receiptPrefix: string; now: () => number; rng: Rng; members: readonly string[]; memberRate: number },
    journalled: readonly TillRequest[],
  ) {
    // Continue the receipt numbers of an earlier run that wrote the same journal.
    const nums = journalled.flatMap((r) => ('receipt' in r ? [receiptNumber(r.receipt, opts.receiptPrefix)] : []));
    this.receiptNo = Math.max(0, ...nums);
  }

  id(): string {
    return this.newId(this.opts.now());
  }

  nextReceipt(): string {
    return `${this.opts.receiptPrefix}-${String(++this.receiptNo).padStart(6, '0')}`;
  }

  hello(): HelloRequest {
    return { v: 1, id: this.id(), type: 'hello', lane: this.opts.lane, till: { vendor: 'trouw-sim', version: '1' } };
  }

  ping(): TillRequest {
    return { v: 1, id: this.id(), type: 'ping' };
  }

  identify(by: Identify): IdentifyRequest {
    return { v: 1, id: this.id(), type: 'identify', ...by };
  }

  basket(lines: SaleLine[], member?: string): BasketRequest {
    return { v: 1, id: this.id(), type: 'basket', lines, ...(member && { member }) };
  }

  /** A sale; what `input` leaves out is drawn at random (member from the list, or none). */
  sale(input: SaleInput = {}): SaleRequest {
    const { rng, members, memberRate } = this.opts;
    const lines = input.lines ?? randomLines(rng);
    const member = input.member !== undefined ? input.member : members.length > 0 && rng.chance(memberRate) ? rng.pick(members) : null;
    const tenders = input.tenders ?? [{ kind: rng.chance(0.7) ? 'card' : 'cash', amountCents: totalCents(lines) }];
    return {
      v: 1,
      id: this.id(),
      type: 'sale',
      receipt: input.receipt ?? this.nextReceipt(),
      lines,
      tenders,
      at: input.at ?? new Date(this.opts.now()).toISOString(),
      ...(member ? { member } : {}),
    };
  }

  refund(original: SaleRequest, lines?: RefundRequest['lines']): RefundRequest {
    const first = original.lines[0]!;
    return {
      v: 1,
      id: this.id(),
      type: 'refund',
      receipt: this.nextReceipt(),
      original: original.receipt,
      lines: lines ?? [{ sku: first.sku, qty: first.qty, amountCents: first.amountCents }],
    };
  }

  voidSale(receipt: string): VoidRequest {
    return { v: 1, id: this.id(), type: 'void', receipt };
  }

  endOfDay(date?: string): EndOfDayRequest {
    return { v: 1, id: this.id(), type: 'end-of-day', ...(date && { date }) };
  }
}

function receiptNumber(receipt: string, prefix: string): number {
  if (!receipt.startsWith(prefix + '-')) return 0;
  const n = Number(receipt.slice(prefix.length + 1));
  return Number.isInteger(n) ? n : 0;
}
