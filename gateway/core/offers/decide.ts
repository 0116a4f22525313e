/**
 * The decision (issue 8): given a trigger, the member's facts, the history of sends and
 * `now`, which offer (if any) to send. Refusals are values with a reason (STYLE.md §5).
 *
 * Order: consent, quiet hours, then the offers that match (enabled, trigger, time window,
 * audience, campaign cap not reached), highest priority first (ties: lowest id, so the
 * choice is deterministic); then the member's day cap and minimum gap and the store-wide
 * rate; then the campaign's control group (holdout.ts) is held back. A capped member gets nothing rather than a lower-priority offer: caps limit how
 * often a member is disturbed, not which offer disturbs them.
 */
import { localTime } from './local-time';
import { inDayPart } from './local-time';
import { isHeldBack } from './holdout';
import { audienceMatches, triggerMatches, windowOpen } from './match';
import type { MemberFacts, OfferCaps, OfferDefinition, SendRecord, TriggerEvent } from './types';

/** What the decision needs to know of past sends; the app answers from SQLite, tests from a list. */
export interface SendHistory {
  /** Sends to `member` at or after `since`. */
  memberSendsSince(member: string, since: number): number;
  /** Time of the member's latest send, if any. */
  lastSendTo(member: string): number | undefined;
  /** Sends of `campaign` to `member`, ever. */
  campaignSends(member: string, campaign: string): number;
  /** Sends to anyone at or after `since`. */
  storeSendsSince(since: number): number;
}

export type NoOfferReason = 'no-consent' | 'quiet-hours' | 'no-match' | 'campaign-cap' | 'member-daily-cap' | 'min-gap' | 'store-rate';

/** Why an offer was decided but not sent to a member in its campaign's control group. */
export interface HeldBack {
  readonly send: false;
  readonly reason: 'held-back';
  /** The offer the member would have got. */
  readonly offer: OfferDefinition;
}

export type Decision =
  { readonly send: true; readonly offer: OfferDefinition; readonly validUntil: number } | { readonly send: false; readonly reason: NoOfferReason } | HeldBack;

export interface DecideContext {
  readonly offers: readonly OfferDefinition[];
  readonly caps: OfferCaps;
  readonly timeZone: string;
}

/** Epoch ms of the store-local midnight that starts the day of `now` (DST-safe: searched, not computed). */
export function startOfLocalDay(now: number, timeZone: string): number {
  const lt = localTime(now, timeZone);
  // Local minute-of-day is at most a few hours off the UTC offset; step back and refine.
  let t = now - lt.minute * 60_000 - (now % 60_000);
  // Around a DST switch the first guess can be an hour off either way.
  for (let i = 0; i < 3; i++) {
    const l = localTime(t, timeZone);
    if (l.date === lt.date && l.minute === 0) break;
    t += l.date === lt.date ? -l.minute * 60_000 : (1440 - l.minute) * 60_000;
  }
  return t;
}

export function decide(ctx: DecideContext, event: TriggerEvent, member: MemberFacts, history: SendHistory, now: number): Decision {
  if (!member.consent) return { send: false, reason: 'no-consent' };
  const lt = localTime(now, ctx.timeZone);
  if (ctx.caps.quietHours.some((q) => inDayPart(lt.minute, q))) return { send: false, reason: 'quiet-hours' };

  const matching = ctx.offers.filter(
    (o) =>
      o.enabled &&
      triggerMatches(o.trigger, event) &&
      windowOpen(o.window, lt) &&
      audienceMatches(o.audience, member, now, ctx.caps.newMemberDays, ctx.timeZone),
  );
  if (matching.length === 0) return { send: false, reason: 'no-match' };
  const open = matching.filter((o) => history.campaignSends(member.number, o.campaign) < o.perMember);
  if (open.length === 0) return { send: false, reason: 'campaign-cap' };
  open.sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const best = open[0]!;

  const caps = ctx.caps;
  if (history.memberSendsSince(member.number, startOfLocalDay(now, ctx.timeZone)) >= caps.perMemberPerDay) return { send: false, reason: 'member-daily-cap' };
  const last = history.lastSendTo(member.number);
  if (last !== undefined && now - last < caps.minGapSeconds * 1000) return { send: false, reason: 'min-gap' };
  if (history.storeSendsSince(now - caps.storeRate.perSeconds * 1000 + 1) >= caps.storeRate.max) return { send: false, reason: 'store-rate' };
  // Last, so the control group is drawn from exactly the members who would have been sent
  // the offer (every check passed): treated and held back differ only in the offer.
  if (isHeldBack(best.campaign, member.number, best.holdout ?? 0)) return { send: false, reason: 'held-back', offer: best };
  return { send: true, offer: best, validUntil: now + best.validMinutes * 60_000 };
}

/** A SendHistory over a list (tests, simulations); the app has an indexed one. */
export function historyOf(sends: readonly SendRecord[]): SendHistory & { add(s: SendRecord): void } {
  const list = [...sends];
  return {
    add: (s) => void list.push(s),
    memberSendsSince: (m, since) => list.filter((s) => s.member === m && s.at >= since).length,
    lastSendTo: (m) => list.reduce<number | undefined>((a, s) => (s.member === m && (a === undefined || s.at > a) ? s.at : a), undefined),
    campaignSends: (m, c) => list.filter((s) => s.member === m && s.campaign === c).length,
    storeSendsSince: (since) => list.filter((s) => s.at >= since).length,
  };
}
