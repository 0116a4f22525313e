/**
 * `refund` (some lines of an earlier sale come back) and `void` (the whole sale is undone).
 * Points are reversed per line, cumulatively (core/loyalty/returns.ts); the balance never
 * goes below zero, what cannot be taken becomes the member's deficit (core/loyalty/account.ts).
 *
 * In the answers, `pointsReversed` is what the returned lines had earned (all of it is
 * reversed) and `deficit` the part of that which the balance could not cover and which was
 * recorded as deficit by this return.
 */
import { fault } from '../../core/faults';
import type { ReturnKind, SaleRow, StoredSaleLine } from '../../adapters/sqlite/sales-repo';
import { applyReverse } from '../../core/loyalty/account';
import { isExcluded } from '../../core/loyalty/earning';
import { describeReturnError, planReturn, planVoid, type ReturnPlan, type SoldLine } from '../../core/loyalty/returns';
import type { RefundRequest, TillResponse, VoidRequest } from '../../core/till/messages';
import { localDate } from '../../core/time/local-date';
import { entryEvent } from '../loyalty/ledger-writer';
import { refuse, withId, type Handled, type TillContext } from './till-context';
import { SaleRefunded, SaleVoided } from '../../../sync/schemas/till-events';

function soldLines(sale: SaleRow): { lines: StoredSaleLine[]; sold: SoldLine[] } {
  const lines = JSON.parse(sale.lines) as StoredSaleLine[];
  const returned = sale.returned ? (JSON.parse(sale.returned) as number[]) : undefined;
  return { lines, sold: lines.map((l, i) => ({ sku: l.sku, qty: l.qty, points: l.points, returnedQty: returned?.[i] ?? 0 })) };
}

function applyReturn(
  c: TillContext,
  p: {
    kind: ReturnKind;
    id: string;
    receipt: string;
    sale: SaleRow;
    lines: StoredSaleLine[];
    plan: ReturnPlan;
    amounts: Map<number, number>;
    lane: string;
    hash: string;
    now: number;
  },
): Handled {
  const { sale, plan, now } = p;
  const member = sale.memberId ? c.members.byId(sale.memberId) : undefined;
  if (sale.memberId && !member) throw fault('TROUW_LEDGER_MISSING_MEMBER', `sale ${sale.id} of member ${sale.memberId}`);
  const businessDate = localDate(now, c.store.timeZone);

  // Tier (issue 6): the return takes its points and eligible cents off the month it happens in.
  if (member) {
    const cents = plan.lines.reduce((a, l) => (isExcluded(c.rules, p.lines[l.line]!) ? a : a + (p.amounts.get(l.line) ?? 0)), 0);
    c.program.recordActivity(member, businessDate, { points: -plan.points, cents: -cents }, now);
  }

  // The answer does not depend on row ids, so it is built first and stored with the return.
  const outcome = member ? applyReverse(member, plan.points) : undefined;
  const deficitAdded = outcome?.deficitAdded ?? 0;
  const response: TillResponse = {
    v: 1,
    id: p.id,
    type: p.kind === 'refund' ? 'refund.ok' : 'void.ok',
    receipt: p.receipt,
    member: member && outcome ? c.program.view(member, businessDate, outcome.account.balance) : null,
    pointsReversed: plan.points,
    deficit: deficitAdded,
  };
  const text = JSON.stringify(response);
  const returnLines = plan.lines.map((l) => ({
    line: l.line,
    sku: p.lines[l.line]!.sku,
    qty: l.qty,
    amountCents: p.amounts.get(l.line) ?? 0,
    points: l.points,
  }));
  const returnId = c.sales.insertReturn({
    kind: p.kind,
    receipt: p.receipt,
    saleId: sale.id,
    memberId: sale.memberId,
    lane: p.lane,
    at: now,
    businessDate,
    lines: JSON.stringify(returnLines),
    pointsReversed: plan.points,
    deficit: deficitAdded,
    requestHash: p.hash,
    response: text,
  });
  c.sales.setReturned(sale.id, plan.returnedQty, p.kind === 'void' ? now : sale.voidedAt);
  const reversed = member ? c.ledger.reverse(member, { points: plan.points, saleId: sale.id, returnId, at: now }) : undefined;

  c.outbox.append({
    event: p.kind === 'refund' ? SaleRefunded : SaleVoided,
    subject: sale.receipt,
    at: now,
    data: {
      receipt: p.receipt,
      original: sale.receipt,
      lane: p.lane,
      businessDate,
      memberId: sale.memberId,
      // HQ attributes points across stores by member number (the id is local to this store).
      ...(member ? { memberNumber: member.number } : {}),
      lines: returnLines,
      pointsReversed: plan.points,
      taken: reversed?.taken ?? 0,
      deficitAdded: reversed?.deficitAdded ?? 0,
      entries: reversed ? reversed.entries.map(entryEvent) : [],
      balance: reversed?.account.balance ?? null,
      deficit: reversed?.account.deficit ?? null,
    },
  });
  return { text, record: true };
}

export function handleRefund(c: TillContext, req: RefundRequest, lane: string, hash: string, now: number): Handled {
  const existing = c.sales.returnByKey('refund', req.receipt);
  if (existing) {
    if (existing.requestHash !== hash) {
      return refuse(req.id, 'conflict', `refund receipt ${req.receipt} was already recorded with different content`);
    }
    return withId(c, existing.response, req.id, now);
  }
  const sale = c.sales.byReceipt(req.original);
  if (!sale) return refuse(req.id, 'unknown-receipt', `no sale with receipt ${req.original} is known here`);
  const { lines, sold } = soldLines(sale);
  const planned = planReturn(sold, req.lines);
  if (!planned.ok) return refuse(req.id, 'bad-request', describeReturnError(planned.error));

  // Refund money per sale line, for the event: a refund line's amount goes to the sale
  // lines its units were taken from, in proportion to the units.
  const amounts = new Map<number, number>();
  const wanted = new Map<string, { qty: number; cents: number }>();
  for (const l of req.lines) {
    const w = wanted.get(l.sku) ?? { qty: 0, cents: 0 };
    wanted.set(l.sku, { qty: w.qty + l.qty, cents: w.cents + l.amountCents });
  }
  for (const l of planned.value.lines) {
    const w = wanted.get(lines[l.line]!.sku)!;
    amounts.set(l.line, Math.round((w.cents * l.qty) / w.qty));
  }
  // A refund cannot claim more money than the sale line had for those units (issue 14: one
  // unit of a 2,000-cent two-unit line refunded as 99,999,999 cents lowered the tier spend
  // by €999,999 and went to HQ). Cumulative, so refunds in parts add up to the line at most.
  // Per SKU (a SKU may be on several sale lines): what is claimed against what those lines had.
  const caps = new Map<string, number>();
  for (const l of planned.value.lines) {
    const { amountCents, qty, sku } = lines[l.line]!;
    const before = sold[l.line]!.returnedQty;
    const cap = Math.ceil((amountCents * (before + l.qty)) / qty) - Math.floor((amountCents * before) / qty);
    caps.set(sku, (caps.get(sku) ?? 0) + cap);
  }
  for (const [sku, cap] of caps) {
    const w = wanted.get(sku)!;
    if (w.cents > cap) {
      return refuse(req.id, 'refund-too-large', `sku ${sku}: ${w.cents} cents for ${w.qty} unit(s) is more than the sale had for them (${cap})`);
    }
  }
  return applyReturn(c, { kind: 'refund', id: req.id, receipt: req.receipt, sale, lines, plan: planned.value, amounts, lane, hash, now });
}

/** Voiding a sale twice is harmless: the second void gets the first one's answer. */
export function handleVoid(c: TillContext, req: VoidRequest, lane: string, hash: string, now: number): Handled {
  const existing = c.sales.returnByKey('void', req.receipt);
  if (existing) return withId(c, existing.response, req.id, now);
  const sale = c.sales.byReceipt(req.receipt);
  if (!sale) return refuse(req.id, 'unknown-receipt', `no sale with receipt ${req.receipt} is known here`);
  const { lines, sold } = soldLines(sale);
  const plan = planVoid(sold);
  const amounts = new Map<number, number>();
  for (const l of plan.lines) amounts.set(l.line, Math.round((lines[l.line]!.amountCents * l.qty) / lines[l.line]!.qty));
  return applyReturn(c, { kind: 'void', id: req.id, receipt: req.receipt, sale, lines, plan, amounts, lane, hash, now });
}
