/**
 * `sale`: points for a sale, written with its ledger entries, lot, cached balance and
 * outbox event in the caller's transaction. A receipt already recorded with the same
 * content (resent under a new id after the till failed open) gets the stored answer;
 * with other content it is a conflict.
 */
import type { StoredSaleLine } from '../adapters/sqlite/sales-repo';
import { applyEarn } from '../core/loyalty/account';
import { computeEarning } from '../core/loyalty/earning';
import { lotExpiry } from '../core/loyalty/lots';
import { memberView } from '../core/loyalty/member-view';
import type { SaleRequest, TillResponse } from '../core/till/messages';
import { localDate } from '../core/time/local-date';
import { entryEvent, type EarnResult } from './ledger';
import { isoTime, refuse, withId, type Handled, type TillContext } from './till-context';

type SaleReason = Extract<TillResponse, { type: 'sale.ok' }>['reason'];

export const SALE_COMPLETED = 'trouw.sale.completed.v1';

export function handleSale(c: TillContext, req: SaleRequest, lane: string, hash: string, now: number): Handled {
  const existing = c.sales.byReceipt(req.receipt);
  if (existing) {
    if (existing.requestHash !== hash) {
      return refuse(req.id, 'conflict', `receipt ${req.receipt} was already recorded with different content`);
    }
    return withId(existing.response, req.id);
  }

  const at = req.at !== undefined ? Date.parse(req.at) : now;
  const businessDate = localDate(at, c.store.timeZone);
  const member = req.member !== undefined ? c.members.byNumber(req.member) : undefined;
  const earning = computeEarning(c.rules, req.lines, businessDate);
  const points = member ? earning.points : 0;
  const reason: SaleReason =
    req.member === undefined ? 'no-member' : !member ? 'unknown-member' : earning.belowMinimum ? 'below-minimum' : undefined;
  const after = member ? applyEarn(member, points).account : undefined;

  const response: TillResponse = {
    v: 1, id: req.id, type: 'sale.ok', receipt: req.receipt,
    member: member && after ? memberView({ ...member, balance: after.balance }) : null,
    pointsAwarded: points,
    ...(reason ? { reason } : {}),
  };
  const text = JSON.stringify(response);

  let totalCents = 0;
  const lines: StoredSaleLine[] = req.lines.map((l, i) => {
    totalCents += l.amountCents;
    return { sku: l.sku, category: l.category, qty: l.qty, amountCents: l.amountCents, points: member ? earning.linePoints[i]! : 0 };
  });
  const expiresOn = lotExpiry(businessDate, c.rules.expiryMonths);
  const saleId = c.sales.insert({
    receipt: req.receipt,
    memberId: member?.id ?? null,
    // Kept only when it matched no member, so a later linking can find the sale.
    memberNumber: member ? null : (req.member ?? null),
    lane, at, businessDate, totalCents,
    eligibleCents: earning.eligibleCents,
    points,
    lines: JSON.stringify(lines),
    requestHash: hash,
    response: text,
    receivedAt: now,
  });

  let earned: EarnResult | undefined;
  if (member && points > 0) earned = c.ledger.earn(member, { points, saleId, expiresOn, at: now });

  c.outbox.append({
    id: c.ids(),
    type: SALE_COMPLETED,
    subject: req.receipt,
    time: isoTime(now),
    data: {
      receipt: req.receipt, lane, at: isoTime(at), businessDate,
      memberId: member?.id ?? null,
      memberNumber: req.member ?? null,
      memberKnown: member !== undefined,
      totalCents, eligibleCents: earning.eligibleCents, pointsAwarded: points,
      promotions: member ? earning.promotions : [],
      lines,
      entries: earned ? earned.entries.map(entryEvent) : [],
      expiresOn: earned && earned.credited > 0 ? expiresOn : null,
      balance: after?.balance ?? null,
      deficit: after?.deficit ?? null,
    },
  });
  return { text, record: true };
}
