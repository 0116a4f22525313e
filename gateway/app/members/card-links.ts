/**
 * Linking tapped cards to members (issue 3): one card belongs to one member; a member's cards
 * are listed by kind and a short label, never by number. Used by the store-IT API now and by
 * the kiosk later. Linking and unlinking are outbox events.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../adapters/sqlite/open-database';
import { createCardsRepo, cardRef, type LinkedCard } from '../../adapters/sqlite/cards-repo';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import { CardUnlinked } from '../../../sync/schemas/member-events';
import type { Clock } from '../../ports/clock';
import type { CardTap as ReaderTap } from '../../ports/card-reader';
import { err, ok, type Result } from '../../core/result';
import { createIdFactory } from '../shared/ids';
import { isoTime } from '../shared/iso-time';
import { createMembersService, type MembersService } from './members';

const KIND_LABEL: Record<string, string> = {
  card: 'Pas',
  'ov-chipkaart': 'OV-chipkaart',
  'mifare-classic-1k': 'Pas (MIFARE 1K)',
  ultralight: 'Pas (Ultralight)',
  desfire: 'Pas (DESFire)',
  emv: 'Bankpas / OV-pas',
};

/** A label a member recognises, derived from the token (an HMAC), never from card data. */
export const cardLabel = (kind: string, token: string) => `${KIND_LABEL[kind] ?? kind} ·${createHash('sha256').update(token).digest('hex').slice(0, 4)}`;

export type LinkTapError =
  | { code: 'no-tap'; message: string }
  | { code: 'random-id'; message: string }
  | { code: 'unreadable'; message: string }
  | { code: 'staff-pass'; message: string }
  | { code: 'unknown-member'; message: string }
  | { code: 'card-linked-elsewhere'; message: string };

export function createCardLinks(deps: { db: Db; clock: Clock; members?: MembersService }) {
  const { db, clock } = deps;
  const members = deps.members ?? createMembersService({ db, clock });
  const cards = createCardsRepo(db);
  const ids = createIdFactory(clock);
  const outbox = createOutboxWriter(db, { newId: ids });

  const linkTap = db.transaction((memberNumber: string, tap: ReaderTap | undefined): Result<LinkedCard & { linked: boolean }, LinkTapError> => {
    if (!tap) return err({ code: 'no-tap', message: 'no card was tapped at that reader just now' });
    if (tap.outcome === 'rejected') {
      return tap.reason === 'random-id'
        ? err({
            code: 'random-id',
            message: 'this card shows a new number at every tap and cannot identify a member; use a bank card, OV-chipkaart or the member card',
          })
        : err({ code: 'unreadable', message: `the card could not be read (${tap.reason}); tap again and hold it still` });
    }
    if (tap.staff) return err({ code: 'staff-pass', message: 'a staff pass cannot be linked to a member' });
    const member = members.findByNumber(memberNumber);
    if (!member) return err({ code: 'unknown-member', message: 'no such member' });
    const linked = members.linkCard(member.id, tap.token);
    if (!linked.ok)
      return err({ code: linked.error.code === 'card-linked-elsewhere' ? 'card-linked-elsewhere' : 'unknown-member', message: linked.error.message });
    const label = cardLabel(tap.kind, tap.token);
    cards.setDetails(tap.token, tap.kind, label);
    return ok({ ref: cardRef(tap.token), kind: tap.kind, label, linkedAt: clock.now(), linked: linked.value.linked });
  });

  const unlink = db.transaction((memberNumber: string, ref: string): Result<null, { code: 'unknown-member' | 'unknown-card'; message: string }> => {
    const member = members.findByNumber(memberNumber);
    if (!member) return err({ code: 'unknown-member', message: 'no such member' });
    const card = cards.listFor(member.id).find((c) => c.ref === ref);
    if (!card || !cards.remove(member.id, card.token)) return err({ code: 'unknown-card', message: 'this member has no card with that reference' });
    const now = clock.now();
    outbox.append({ event: CardUnlinked, subject: member.id, at: now, data: { memberId: member.id, token: card.token, unlinkedAt: isoTime(now) } });
    return ok(null);
  });

  return {
    linkTap: (memberNumber: string, tap: ReaderTap | undefined) => linkTap.immediate(memberNumber, tap),
    unlink: (memberNumber: string, ref: string) => unlink.immediate(memberNumber, ref),
    // Cards linked before their kind was known (config seed, HQ) still get a label a member recognises.
    list: (memberId: string): LinkedCard[] =>
      cards.listFor(memberId).map(({ token, ...card }) => ({ ...card, label: card.label ?? cardLabel(card.kind ?? 'card', token) })),
  };
}
export type CardLinks = ReturnType<typeof createCardLinks>;
