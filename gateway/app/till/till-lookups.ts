/** The till messages that only read: identify, basket, end-of-day, hello, ping. */
import type { MemberRow } from '../../adapters/sqlite/members-repo';
import { computeEarning } from '../../core/loyalty/earning';
import { applyTierMultiplier } from '../../core/loyalty/tiers';
import type { BasketRequest, EndOfDayRequest, HelloRequest, IdentifyRequest, TillResponse } from '../../core/till/messages';
import { isIsoDate } from '../../core/time/calendar';
import { localDate } from '../../core/time/local-date';
import { answer, refuse, type Handled, type TillContext } from './till-context';
import { isoTime } from '../shared/iso-time';

type IdentifyReason = Extract<TillResponse, { type: 'identify.ok' }>['reason'];

/**
 * Identify by member number, by the card last tapped at this lane (consumes the tap), or by
 * phone code. Phone codes are issued by HQ's app and cannot be resolved in the store yet,
 * so they answer "unknown member". Recorded, so a resend does not take another tap.
 */
export function handleIdentify(c: TillContext, req: IdentifyRequest, lane: string, now: number): Handled {
  const found = (reason: IdentifyReason, member?: MemberRow) =>
    answer({
      v: 1,
      id: req.id,
      type: 'identify.ok',
      member: member ? c.program.view(member, localDate(now, c.store.timeZone)) : null,
      ...(reason ? { reason } : {}),
    });

  if (req.member !== undefined) {
    const m = c.members.byNumber(req.member);
    return found(m ? undefined : 'unknown-member', m);
  }
  if (req.card === true) {
    const tap = c.cardTaps?.takeTap(lane, now);
    if (!tap) return found('no-tap');
    if (tap.kind === 'random-id') return found('random-id');
    if (tap.kind === 'unreadable') return found('card-unreadable');
    const m = c.members.byCardToken(tap.token);
    return found(m ? undefined : 'unknown-card', m);
  }
  if (req.phoneCode !== undefined) return found('unknown-member');
  return refuse(req.id, 'bad-request', '/: identify needs one of member, card, phoneCode');
}

/**
 * Points preview: what these lines would earn for a member today (the sale itself may
 * still differ: minimum spend, deficit settling), with the member's tier multiplier when
 * a known member is given, and the offers that apply (held by the member or typed as codes).
 */
export function handleBasket(c: TillContext, req: BasketRequest, now: number): Handled {
  const member = req.member !== undefined ? c.members.byNumber(req.member) : undefined;
  const today = localDate(now, c.store.timeZone);
  const earning = computeEarning(c.rules, req.lines, today);
  const preview = member ? applyTierMultiplier(earning.points, earning.linePoints, c.program.multiplierOf(member, today)).points : earning.points;
  const offers = c.offers.preview(req.member, req.lines, req.offerCodes, now).map((o) => o.view);
  return answer({ v: 1, id: req.id, type: 'basket.ok', member: member ? c.program.view(member, today) : null, pointsPreview: preview, offers }, false);
}

/** Counts for one store-local business date (default: today). Refunds include voids. */
export function handleEndOfDay(c: TillContext, req: EndOfDayRequest, now: number): Handled {
  const date = req.date ?? localDate(now, c.store.timeZone);
  if (!isIsoDate(date)) return refuse(req.id, 'bad-request', `/date: ${date} is not a calendar date`);
  const t = c.sales.dayTotals(date);
  return answer({ v: 1, id: req.id, type: 'end-of-day.ok', date, ...t }, false);
}

export function handleHello(c: TillContext, req: HelloRequest, lane: string, now: number): Handled {
  return answer({ v: 1, id: req.id, type: 'hello.ok', store: c.store.id, gateway: c.store.gateway, lane, time: isoTime(now) }, false);
}
