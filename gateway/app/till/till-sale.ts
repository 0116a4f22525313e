/**
 * `sale`: points for a sale, written with its ledger entries, lot, cached balance and
 * outbox event in the caller's transaction. A receipt already recorded with the same
 * content (resent under a new id after the till failed open) gets the stored answer;
 * with other content it is a conflict.
 *
 * Issue 6: the member's tier multiplier applies to the points (the tier before this sale:
 * the sale that crosses a threshold upgrades at once, and the next sale earns at the new
 * rate); the sale's qualifying points and eligible cents count towards the tier in the same
 * transaction. A tender `{kind:'points', amountCents, member}` burns points (rounded up)
 * within the offline budget and the daily cap, before the sale's own points are credited
 * (points cannot pay for the sale that earns them); beyond either limit the whole sale is
 * refused with `points-refused` and nothing is written, so the till can take another tender.
 */
import type { StoredSaleLine } from '../../adapters/sqlite/sales-repo';
import { applyEarn } from '../../core/loyalty/account';
import { computeEarning } from '../../core/loyalty/earning';
import { lotExpiry } from '../../core/loyalty/lots';
import { applyTierMultiplier, tierAt } from '../../core/loyalty/tiers';
import type { SaleRequest, TillResponse } from '../../core/till/messages';
import { localDate } from '../../core/time/local-date';
import { entryEvent, type EarnResult } from '../loyalty/ledger-writer';
import { PointsSpent } from '../../../sync/schemas/loyalty-events';
import { AwardHeld, SaleCompleted } from '../../../sync/schemas/till-events';
import { isoTime } from '../shared/iso-time';
import { answer, errorResponse, refuse, withId, type Handled, type TillContext } from './till-context';

type SaleReason = Extract<TillResponse, { type: 'sale.ok' }>['reason'];

/** Points that pay `cents` at `pointsPerEuro` points per euro, rounded up (a tender never underpays). */
export const tenderPoints = (cents: number, pointsPerEuro: number): number => Math.ceil((cents * pointsPerEuro) / 100);

export function handleSale(c: TillContext, req: SaleRequest, lane: string, hash: string, now: number): Handled {
  const existing = c.sales.byReceipt(req.receipt);
  if (existing) {
    if (existing.requestHash !== hash) {
      return refuse(req.id, 'conflict', `receipt ${req.receipt} was already recorded with different content`);
    }
    return withId(c, existing.response, req.id, now);
  }

  const at = req.at !== undefined ? Date.parse(req.at) : now;
  const businessDate = localDate(at, c.store.timeZone);
  const today = localDate(now, c.store.timeZone);
  const byCard = req.member === undefined && req.card === true ? memberFromTap(c, req, lane, now) : undefined;
  let member = req.member !== undefined ? c.members.byNumber(req.member) : byCard?.member;
  const earning = computeEarning(c.rules, req.lines, businessDate);
  // The member's tier activity, read once: the multiplier, the tier update and the answer use it.
  const activity = member ? c.program.activityFor(member, businessDate) : undefined;
  const tiered =
    member && activity
      ? applyTierMultiplier(earning.points, earning.linePoints, tierAt(c.program.config.tiers, activity, businessDate).tier.multiplier)
      : { points: 0, linePoints: earning.linePoints.map(() => 0) };
  // Issue 14: an award above the review limit is held for HQ, not credited (nor counted to the tier).
  const held = member && c.reviewAbovePoints !== undefined && tiered.points > c.reviewAbovePoints ? tiered.points : 0;
  const points = held ? 0 : tiered.points;
  const reason: SaleReason =
    byCard?.reason ??
    (req.member === undefined && !member
      ? 'no-member'
      : !member
        ? 'unknown-member'
        : held
          ? 'held-for-review'
          : earning.belowMinimum
            ? 'below-minimum'
            : undefined);

  // Points as tender: checked and spent first; a refusal writes nothing.
  const pointsTenders = req.tenders.filter((t) => t.kind === 'points');
  const refusePoints = (code: string, message: string): Handled =>
    answer({ ...errorResponse(req.id, 'points-refused', message), reason: code } as TillResponse, false);
  let spent:
    { points: number; amountCents: number; member: NonNullable<typeof member>; entryEvent: ReturnType<typeof entryEvent>; balance: number } | undefined;
  if (pointsTenders.length > 1) return refuse(req.id, 'bad-request', '/tenders: at most one points tender per sale');
  const pt = pointsTenders[0];
  if (pt) {
    const ppe = c.program.config.tender.pointsPerEuro;
    if (ppe === 0) return refusePoints('points-tender-disabled', 'points are not accepted as tender in this store');
    const payer = pt.member !== undefined ? c.members.byNumber(pt.member) : member;
    if (!payer) return refusePoints('unknown-member', 'the points tender needs a known member');
    const need = tenderPoints(pt.amountCents, ppe);
    if (need > 0) {
      const out = c.program.spend(payer, { points: need, key: `tender:${req.receipt}`, reason: `tender:${req.receipt}`, today, now });
      if (!out.ok) return refusePoints(out.error.code, out.error.message);
      spent = { points: need, amountCents: pt.amountCents, member: payer, entryEvent: entryEvent(out.value.entry), balance: out.value.account.balance };
      if (member && member.id === payer.id) member = c.members.byId(member.id)!;
    }
  }

  // Tier: this sale counts at once (upgrade at once), in the month of its business date.
  const tier =
    member && activity ? c.program.recordActivity(member, businessDate, { points, cents: held ? 0 : earning.eligibleCents }, now, activity) : undefined;
  const after = member ? applyEarn(member, points).account : undefined;
  // Offers (issue 8): those the basket qualifies for are applied with this sale, once.
  const offers = c.offers.preview(member?.number ?? req.member, req.lines, req.offerCodes, now).filter((o) => o.view.points === 0 || member);
  const offerPoints = offers.reduce((a, o) => a + o.view.points, 0);
  const shown = member && after && offerPoints > 0 ? applyEarn({ ...member, ...after }, offerPoints).account : after;

  const response: TillResponse = {
    v: 1,
    id: req.id,
    type: 'sale.ok',
    receipt: req.receipt,
    // The activity read for the business date holds every later month too; a sale dated
    // after today (a till clock ahead) has the window read again.
    member:
      member && shown
        ? c.program.view(member, today, shown.balance, activity && tier && today >= businessDate ? { activity, row: tier.row } : undefined)
        : null,
    pointsAwarded: points,
    ...(reason ? { reason } : {}),
    ...(spent ? { pointsSpent: spent.points } : {}),
    ...(held ? { pointsHeld: held } : {}),
    ...(offers.length > 0 ? { offers: offers.map((o) => o.view) } : {}),
  };
  const text = JSON.stringify(response);

  let totalCents = 0;
  const lines: StoredSaleLine[] = req.lines.map((l, i) => {
    totalCents += l.amountCents;
    return { sku: l.sku, category: l.category, qty: l.qty, amountCents: l.amountCents, points: member && !held ? tiered.linePoints[i]! : 0 };
  });
  const expiresOn = lotExpiry(businessDate, c.rules.expiryMonths);
  const saleId = c.sales.insert({
    receipt: req.receipt,
    memberId: member?.id ?? null,
    // Kept only when it matched no member, so a later linking can find the sale.
    memberNumber: member ? null : (req.member ?? null),
    lane,
    at,
    businessDate,
    totalCents,
    eligibleCents: earning.eligibleCents,
    points,
    lines: JSON.stringify(lines),
    requestHash: hash,
    response: text,
    receivedAt: now,
  });

  let earned: EarnResult | undefined;
  if (member && points > 0) earned = c.ledger.earn(member, { points, saleId, expiresOn, at: now });
  for (const o of c.offers.redeem(offers, { receipt: req.receipt, lane, now, member })) {
    if (o.points > 0 && member) {
      c.program.credit(c.members.byId(member.id)!, { key: `offer:${o.id}`, reason: `offer:${o.offerId}`, parts: [{ points: o.points, expiresOn }], now });
    }
  }

  if (spent) {
    c.outbox.append({
      event: PointsSpent,
      subject: spent.member.id,
      at: now,
      data: {
        memberId: spent.member.id,
        memberNumber: spent.member.number,
        receipt: req.receipt,
        lane,
        points: spent.points,
        amountCents: spent.amountCents,
        entries: [spent.entryEvent],
        balance: spent.balance,
      },
    });
  }
  if (held && member) {
    c.outbox.append({
      event: AwardHeld,
      subject: req.receipt,
      at: now,
      data: {
        receipt: req.receipt,
        lane,
        memberId: member.id,
        memberNumber: member.number,
        points: held,
        limit: c.reviewAbovePoints ?? 0,
        totalCents,
        at: isoTime(at),
      },
    });
  }
  c.outbox.append({
    event: SaleCompleted,
    subject: req.receipt,
    at: now,
    data: {
      receipt: req.receipt,
      lane,
      at: isoTime(at),
      businessDate,
      memberId: member?.id ?? null,
      memberNumber: member?.number ?? req.member ?? null,
      memberKnown: member !== undefined,
      totalCents,
      eligibleCents: earning.eligibleCents,
      pointsAwarded: points,
      promotions: member ? earning.promotions : [],
      tier: tier?.to ?? null,
      lines,
      entries: earned ? earned.entries.map(entryEvent) : [],
      expiresOn: earned && earned.credited > 0 ? expiresOn : null,
      balance: after?.balance ?? null,
      deficit: after?.deficit ?? null,
    },
  });
  // The sale row holds `text` as its response: the idempotency record names the sale.
  return { text, record: true, saleId };
}

/**
 * A sale that names no member but says `card: true` takes the card tapped at this lane.
 * Only a fresh sale may: one resent late (the till failed open, `at` minutes ago) must not
 * pick up the next customer's card, so it earns as "no-tap" and can be linked later.
 */
const TAP_FRESH_MS = 15_000;
function memberFromTap(
  c: TillContext,
  req: SaleRequest,
  lane: string,
  now: number,
): { member?: ReturnType<TillContext['members']['byCardToken']>; reason?: SaleReason } {
  if (req.at !== undefined && Math.abs(now - Date.parse(req.at)) > TAP_FRESH_MS) return { reason: 'no-tap' };
  const tap = c.cardTaps?.takeTap(lane, now);
  if (!tap) return { reason: 'no-tap' };
  if (tap.kind === 'random-id') return { reason: 'random-id' };
  if (tap.kind === 'unreadable') return { reason: 'card-unreadable' };
  const member = c.members.byCardToken(tap.token);
  return member ? { member } : { reason: 'unknown-card' };
}
