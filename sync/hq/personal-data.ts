/**
 * Personal data at HQ (issue 13; docs/sync.md "Personal data at HQ").
 *
 * HQ settles points by member number and needs nothing that names a person: the number is
 * the member's pseudonymous key across stores, the gateway's `memberId` a local ULID. So:
 * - Not kept at all: `name` (a gateway no longer sends it in member.created; one that still
 *   does has it stripped at ingest, before anything is stored).
 * - Kept until the member is erased: the card `token` (an HMAC identity, needed to tell which
 *   card a member used), and any of `PERSONAL_FIELDS` a producer adds.
 * - Kept after an erasure: the member number, points and sales — bookkeeping, and what the
 *   stores' own ledgers keep too (docs/sync.md says why).
 * Erasure (`HqStore.eraseMember`) removes `PERSONAL_FIELDS` from every event of the member
 * (by number, and by the local memberIds its member.created events named), deletes dead
 * letters that mention the number, a memberId or a token, and records the keys in
 * `hq_erased`, so an event of that member arriving later (a store that was offline) is
 * stored already without them.
 */
import { CardTapped } from '../schemas/card-events';
import { CardLinked, CardUnlinked, MemberCreated } from '../schemas/member-events';

export const PERSONAL_FIELDS = ['name', 'token', 'email', 'phone'] as const;

/** Fields dropped from `data` at ingest, per event type: HQ does not need them. */
export const NOT_KEPT_AT_HQ: Readonly<Record<string, readonly string[]>> = {
  [MemberCreated.type]: ['name'],
};

/** Event types that name a member by its local memberId rather than (or as well as) its number. */
export const MEMBER_ID_EVENT_TYPES: readonly string[] = [MemberCreated.type, CardLinked.type, CardUnlinked.type, CardTapped.type];

/** `data` as HQ stores it: the fields it does not keep removed (the object is changed in place). */
export function minimiseForHq(type: string, data: unknown): unknown {
  const drop = NOT_KEPT_AT_HQ[type];
  if (drop && data && typeof data === 'object' && !Array.isArray(data)) for (const k of drop) delete (data as Record<string, unknown>)[k];
  return data;
}

export interface ErasureResult {
  member: string;
  /** Events whose personal fields were removed. */
  events: number;
  deadLetters: number;
  /** The local memberIds (per store) found for the number. */
  memberIds: string[];
}
