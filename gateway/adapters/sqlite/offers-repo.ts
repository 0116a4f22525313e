/** Offers sent and offers consent (migration 005). Statements prepared once. */
import type { OfferReward, Localised, SendHistory } from '../../core/offers';
import type { Db } from './open-database';

export type OfferState = 'sent' | 'shown' | 'opened' | 'dismissed' | 'redeemed' | 'withdrawn';

export interface OfferContent {
  title: Localised;
  body?: Localised;
  reward: OfferReward;
}

export interface OfferSendRow {
  id: string;
  offerId: string;
  campaign: string;
  memberNumber: string;
  code: string;
  /** What caused the send (`kind` and its details), as sent in every offer event. */
  trigger: { kind: string } & Record<string, unknown>;
  sentAt: number;
  validUntil: number;
  state: OfferState;
  content: OfferContent;
  redeemedReceipt: string | null;
}

interface RawSend extends Omit<OfferSendRow, 'trigger' | 'content'> {
  trigger: string;
  content: string;
}

const COLS = `id, offer_id AS offerId, campaign, member_number AS memberNumber, code, trigger, sent_at AS sentAt,
  valid_until AS validUntil, state, content, redeemed_receipt AS redeemedReceipt`;
const parse = (r: RawSend): OfferSendRow => ({
  ...r,
  trigger: JSON.parse(r.trigger) as OfferSendRow['trigger'],
  content: JSON.parse(r.content) as OfferContent,
});

export function createOffersRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO offer_sends (id, offer_id, campaign, member_number, code, trigger, sent_at, valid_until, state, content)
     VALUES (@id, @offerId, @campaign, @memberNumber, @code, @trigger, @sentAt, @validUntil, 'sent', @content)`,
  );
  const byId = db.prepare<[string], RawSend>(`SELECT ${COLS} FROM offer_sends WHERE id = ?`);
  const byCode = db.prepare<[string], RawSend>(`SELECT ${COLS} FROM offer_sends WHERE code = ?`);
  const held = db.prepare<[string, number], RawSend>(
    `SELECT ${COLS} FROM offer_sends WHERE member_number = ? AND valid_until > ? AND state NOT IN ('redeemed', 'withdrawn') ORDER BY sent_at`,
  );
  const memberSince = db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM offer_sends WHERE member_number = ? AND sent_at >= ?');
  const last = db.prepare<[string], { at: number | null }>('SELECT max(sent_at) AS at FROM offer_sends WHERE member_number = ?');
  const campaign = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM offer_sends WHERE member_number = ? AND campaign = ?');
  const storeSince = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM offer_sends WHERE sent_at >= ?');
  const mark = {
    shown: db.prepare<[number, string]>(
      "UPDATE offer_sends SET state = CASE WHEN state = 'sent' THEN 'shown' ELSE state END, shown_at = coalesce(shown_at, ?) WHERE id = ?",
    ),
    opened: db.prepare<[number, string]>(
      "UPDATE offer_sends SET state = CASE WHEN state IN ('sent', 'shown') THEN 'opened' ELSE state END, opened_at = coalesce(opened_at, ?) WHERE id = ?",
    ),
    dismissed: db.prepare<[number, string]>(
      "UPDATE offer_sends SET state = CASE WHEN state IN ('sent', 'shown', 'opened') THEN 'dismissed' ELSE state END, dismissed_at = coalesce(dismissed_at, ?) WHERE id = ?",
    ),
  };
  const redeem = db.prepare<[number, string, string, string]>(
    "UPDATE offer_sends SET state = 'redeemed', redeemed_at = ?, redeemed_receipt = ?, redeemed_lane = ? WHERE id = ? AND state NOT IN ('redeemed', 'withdrawn')",
  );
  const withdrawAll = db.prepare<[string, number], { id: string }>(
    "UPDATE offer_sends SET state = 'withdrawn' WHERE member_number = ? AND valid_until > ? AND state NOT IN ('redeemed', 'withdrawn') RETURNING id",
  );
  const getMember = db.prepare<[string], { consent: number; segments: string }>('SELECT consent, segments FROM offer_members WHERE member_number = ?');
  const seed = db.prepare<[string, number, string, number]>(
    "INSERT INTO offer_members (member_number, consent, segments, updated_at, source) VALUES (?, ?, ?, ?, 'config') ON CONFLICT DO NOTHING",
  );
  const setConsent = db.prepare<[string, number, number, string]>(
    'INSERT INTO offer_members (member_number, consent, updated_at, source) VALUES (?, ?, ?, ?) ON CONFLICT (member_number) DO UPDATE SET consent = excluded.consent, updated_at = excluded.updated_at, source = excluded.source',
  );

  const history: SendHistory = {
    memberSendsSince: (m, since) => memberSince.get(m, since)!.n,
    lastSendTo: (m) => last.get(m)?.at ?? undefined,
    campaignSends: (m, c) => campaign.get(m, c)!.n,
    storeSendsSince: (since) => storeSince.get(since)!.n,
  };

  return {
    history,
    insert: (r: Omit<OfferSendRow, 'state' | 'redeemedReceipt'>): void => {
      insert.run({ ...r, trigger: JSON.stringify(r.trigger), content: JSON.stringify(r.content) });
    },
    byId: (id: string): OfferSendRow | undefined => {
      const r = byId.get(id);
      return r && parse(r);
    },
    byCode: (code: string): OfferSendRow | undefined => {
      const r = byCode.get(code);
      return r && parse(r);
    },
    /** Offers the member holds now: valid, not redeemed, not withdrawn. */
    held: (member: string, now: number): OfferSendRow[] => held.all(member, now).map(parse),
    /** Records a phone report; true when the row exists. Repeats keep the first time. */
    mark: (what: 'shown' | 'opened' | 'dismissed', id: string, at: number): boolean => mark[what].run(at, id).changes > 0,
    /** True when this call redeemed it (once, ever). */
    redeem: (id: string, at: number, receipt: string, lane: string): boolean => redeem.run(at, receipt, lane, id).changes > 0,
    withdrawAll: (member: string, now: number): string[] => withdrawAll.all(member, now).map((r) => r.id),
    member: (number: string): { consent: boolean; segments: string[] } | undefined => {
      const r = getMember.get(number);
      return r && { consent: r.consent === 1, segments: JSON.parse(r.segments) as string[] };
    },
    seedMember: (number: string, consent: boolean, segments: readonly string[], now: number): void => {
      seed.run(number, consent ? 1 : 0, JSON.stringify(segments), now);
    },
    setConsent: (number: string, consent: boolean, now: number, source: 'phone' | 'hq' | 'config'): void => {
      setConsent.run(number, consent ? 1 : 0, now, source);
    },
  };
}
export type OffersRepo = ReturnType<typeof createOffersRepo>;
