/**
 * Joining at the kiosk (issue 7): an unlinked card was tapped; the shopper gives a name, an
 * optional e-mail address and consent choices (each off unless ticked). One transaction
 * enrols the member, links exactly the tapped card and writes the outbox events. Consent
 * travels to HQ in `trouw.member.created.v1` (`consent`): HQ holds the member keys and only
 * sends presence tokens for members who opted in (DESIGN.md §4), so this gateway keeps no
 * consent table of its own.
 */
import { randomBytes } from 'node:crypto';
import { createCardsRepo, cardRef } from '../../adapters/sqlite/cards-repo';
import { createMembersRepo } from '../../adapters/sqlite/members-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import { CardLinked, MemberCreated } from '../../../sync/schemas/member-events';
import { err, ok, type Result } from '../../core/result';
import type { Clock } from '../../ports/clock';
import { cardLabel } from '../members/card-links';
import { createIdFactory } from '../shared/ids';
import type { Member } from '../members/members';
import { isoTime } from '../shared/iso-time';

export interface JoinInput {
  name: string;
  email?: string;
  consent: { presence: boolean; offers: boolean };
}

export type JoinError =
  { code: 'invalid-name'; message: string } | { code: 'invalid-email'; message: string } | { code: 'card-linked-elsewhere'; message: string };

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/;
// Crockford base32 without I, L, O, U: easy to read out at a till.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newMemberNumber(bytes: Uint8Array = randomBytes(8)): string {
  let s = 'K-';
  for (const b of bytes) s += ALPHABET[b % 32];
  return s;
}

export function createKioskJoin(deps: { db: Db; clock: Clock }) {
  const members = createMembersRepo(deps.db);
  const cards = createCardsRepo(deps.db);
  const ids = createIdFactory(deps.clock);
  const outbox = createOutboxWriter(deps.db, { newId: ids });

  const join = deps.db.transaction((card: { token: string; kind: string }, input: JoinInput): Result<{ member: Member; cardRef: string }, JoinError> => {
    const name = input.name.trim().replace(/\s+/g, ' ');
    if (name.length === 0 || name.length > 100) return err({ code: 'invalid-name', message: 'name must be 1–100 characters' });
    const email = input.email?.trim() || undefined;
    if (email !== undefined && (email.length > 254 || !EMAIL.test(email)))
      return err({ code: 'invalid-email', message: 'that e-mail address does not look right' });
    if (members.cardOwner(card.token) !== undefined) return err({ code: 'card-linked-elsewhere', message: 'this card is already linked to a member' });
    let number = newMemberNumber();
    while (members.byNumber(number)) number = newMemberNumber();
    const now = deps.clock.now();
    const member: Member = { id: ids(), number, name, createdAt: now, balance: 0, deficit: 0 };
    members.insert(member);
    outbox.append({
      event: MemberCreated,
      subject: member.id,
      at: now,
      data: {
        memberId: member.id,
        number,
        name,
        createdAt: isoTime(now),
        channel: 'kiosk',
        ...(email !== undefined && { email }),
        consent: { presence: input.consent.presence === true, offers: input.consent.offers === true },
      },
    });
    members.insertCard(card.token, member.id, now);
    cards.setDetails(card.token, card.kind, cardLabel(card.kind, card.token));
    outbox.append({ event: CardLinked, subject: member.id, at: now, data: { memberId: member.id, token: card.token, linkedAt: isoTime(now) } });
    return ok({ member, cardRef: cardRef(card.token) });
  });

  return { join: (card: { token: string; kind: string }, input: JoinInput) => join.immediate(card, input) };
}
