/**
 * Members and their cards: enrolment, lookup, card linking, and the idempotent seed from
 * config (`members` in GatewayConfig) run at every start. Each change writes its outbox
 * event in the same transaction. Member numbers and card tokens are personal data: they
 * are returned to callers but never logged, and errors do not repeat them.
 */
import { createMembersRepo, type MemberRow } from '../../adapters/sqlite/members-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import { CardLinked, MemberCreated } from '../../../sync/schemas/member-events';
import type { GatewayConfig } from '../../config/schema';
import { err, ok, type Result } from '../../core/result';
import type { Clock } from '../../ports/clock';
import { createIdFactory } from '../shared/ids';
import { isoTime } from '../shared/iso-time';

export type Member = MemberRow;

export type MemberError = { code: 'invalid-number'; message: string } | { code: 'invalid-name'; message: string } | { code: 'number-taken'; message: string };

export type LinkCardError =
  { code: 'unknown-member'; message: string } | { code: 'invalid-token'; message: string } | { code: 'card-linked-elsewhere'; message: string };

export interface SeedSummary {
  /** Members in the seed list. */
  members: number;
  created: number;
  cardsLinked: number;
  /** Cards in the seed already linked to a different member (left as they are). */
  cardConflicts: number;
}

const NUMBER = /^[A-Za-z0-9-]{1,32}$/;

export function createMembersService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const repo = createMembersRepo(db);
  const ids = createIdFactory(clock);
  const outbox = createOutboxWriter(db, { newId: ids });

  function createIn(input: { number: string; name: string }, now: number): Result<Member, MemberError> {
    if (!NUMBER.test(input.number)) return err({ code: 'invalid-number', message: 'member number must be 1–32 letters, digits or dashes' });
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) return err({ code: 'invalid-name', message: 'name must be 1–100 characters' });
    if (repo.byNumber(input.number)) return err({ code: 'number-taken', message: 'a member with this number exists' });
    const member: Member = { id: ids(), number: input.number, name, createdAt: now, balance: 0, deficit: 0 };
    repo.insert(member);
    outbox.append({
      event: MemberCreated,
      subject: member.id,
      at: now,
      // No name: HQ settles by number and needs nothing that names the person (docs/sync.md, "Personal data at HQ").
      data: { memberId: member.id, number: member.number, createdAt: isoTime(now) },
    });
    return ok(member);
  }

  function linkIn(memberId: string, token: string, now: number): Result<{ linked: boolean }, LinkCardError> {
    if (token.length < 8 || token.length > 128) return err({ code: 'invalid-token', message: 'card token must be 8–128 characters' });
    if (!repo.byId(memberId)) return err({ code: 'unknown-member', message: 'no such member' });
    const owner = repo.cardOwner(token);
    if (owner === memberId) return ok({ linked: false });
    if (owner !== undefined) return err({ code: 'card-linked-elsewhere', message: 'this card is linked to another member' });
    repo.insertCard(token, memberId, now);
    outbox.append({ event: CardLinked, subject: memberId, at: now, data: { memberId, token, linkedAt: isoTime(now) } });
    return ok({ linked: true });
  }

  const create = db.transaction((input: { number: string; name: string }) => createIn(input, clock.now()));
  const linkCard = db.transaction((memberId: string, token: string) => linkIn(memberId, token, clock.now()));

  const seed = db.transaction((members: GatewayConfig['members'], now: number): SeedSummary => {
    const summary: SeedSummary = { members: members.length, created: 0, cardsLinked: 0, cardConflicts: 0 };
    for (const s of members) {
      let member = repo.byNumber(s.number);
      if (!member) {
        const made = createIn({ number: s.number, name: s.name }, now);
        if (!made.ok) throw new Error(`seed member rejected: ${made.error.message}`);
        member = made.value;
        summary.created++;
      }
      for (const token of s.cards ?? []) {
        const linked = linkIn(member.id, token, now);
        if (!linked.ok) summary.cardConflicts++;
        else if (linked.value.linked) summary.cardsLinked++;
      }
    }
    return summary;
  });

  return {
    /** Enrols a member (balance 0). */
    create: (input: { number: string; name: string }): Result<Member, MemberError> => create.immediate(input),
    findById: (id: string): Member | undefined => repo.byId(id),
    findByNumber: (number: string): Member | undefined => repo.byNumber(number),
    findByCardToken: (token: string): Member | undefined => repo.byCardToken(token),
    cardTokensOf: (memberId: string): string[] => repo.cardTokensOf(memberId),
    /** Links a card token to a member; linking the same card again is ok with `linked: false`. */
    linkCard: (memberId: string, token: string): Result<{ linked: boolean }, LinkCardError> => linkCard.immediate(memberId, token),
    /** Creates missing members and links missing cards; running it again changes nothing. */
    seed: (members: GatewayConfig['members'], now = clock.now()): SeedSummary => seed.immediate(members, now),
  };
}
export type MembersService = ReturnType<typeof createMembersService>;

/** Seeds members from config at start (gateway.ts). Idempotent. */
export function seedMembers(db: Db, members: GatewayConfig['members'], now: number): SeedSummary {
  return createMembersService({ db, clock: { now: () => now, monotonic: () => performance.now() } }).seed(members, now);
}
