/**
 * Offers at the till (issue 8): the offers a basket qualifies for (held by the member, or
 * typed as a code), and applying them with a sale, once. Works from the stored send (its
 * content snapshot), so the till honours what the phone showed.
 * A code typed for another member than the sale's is not applied (codes are personal).
 */
import type { MemberRow } from '../../adapters/sqlite/members-repo';
import { createOffersRepo, type OfferSendRow } from '../../adapters/sqlite/offers-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import type { OutboxWriter } from '../../../sync/gateway/outbox-writer';
import { valueOn, type BasketLine } from '../../core/offers';
import type { BasketOffer } from '../../core/till/messages';
import type { IdFactory } from '../shared/ids';
import { OfferEvents } from '../../../sync/schemas/offer-events';

export const normaliseCode = (c: string): string => c.toUpperCase().replace(/[^0-9A-Z]/g, '');

export function createOffersTill(deps: { db: Db; outbox: OutboxWriter; ids: IdFactory }) {
  const repo = createOffersRepo(deps.db);

  function candidates(member: string | undefined, codes: readonly string[] | undefined, now: number): OfferSendRow[] {
    const rows = new Map<string, OfferSendRow>();
    if (member !== undefined) for (const r of repo.held(member, now)) rows.set(r.id, r);
    for (const c of codes ?? []) {
      const r = repo.byCode(normaliseCode(c));
      if (!r || r.validUntil <= now || r.state === 'redeemed' || r.state === 'withdrawn') continue;
      if (member !== undefined && r.memberNumber !== member) continue;
      rows.set(r.id, r);
    }
    return [...rows.values()];
  }

  /** The offers that apply to these lines, with their value (basket preview; also what a sale applies). */
  function preview(
    member: string | undefined,
    lines: readonly BasketLine[],
    codes: readonly string[] | undefined,
    now: number,
  ): { row: OfferSendRow; view: BasketOffer }[] {
    const out: { row: OfferSendRow; view: BasketOffer }[] = [];
    for (const row of candidates(member, codes, now)) {
      const v = valueOn(row.content.reward, lines);
      if (!v.applies) continue;
      out.push({
        row,
        view: {
          id: row.id,
          offerId: row.offerId,
          code: row.code,
          title: row.content.title,
          discountCents: v.discountCents,
          points: v.points,
          ...(v.rewardId ? { rewardId: v.rewardId } : {}),
        },
      });
    }
    return out;
  }

  /**
   * Marks the offers redeemed on this receipt (call in the sale's transaction) and writes
   * their events; returns the ones this call redeemed. `credit` gives bonus points.
   */
  function redeem(
    applied: readonly { row: OfferSendRow; view: BasketOffer }[],
    p: { receipt: string; lane: string; now: number; member: MemberRow | undefined },
  ): BasketOffer[] {
    const done: BasketOffer[] = [];
    for (const a of applied) {
      if (!repo.redeem(a.row.id, p.now, p.receipt, p.lane)) continue;
      done.push(a.view);
      deps.outbox.append({
        event: OfferEvents.redeemed,
        subject: a.row.id,
        at: p.now,
        data: {
          sendId: a.row.id,
          offerId: a.row.offerId,
          campaign: a.row.campaign,
          memberNumber: a.row.memberNumber,
          trigger: a.row.trigger,
          at: new Date(p.now).toISOString(),
          receipt: p.receipt,
          lane: p.lane,
          discountCents: a.view.discountCents,
          points: a.view.points,
          rewardId: a.view.rewardId ?? null,
          sentAt: new Date(a.row.sentAt).toISOString(),
        },
      });
    }
    return done;
  }

  return { preview, redeem };
}
export type OffersTill = ReturnType<typeof createOffersTill>;
