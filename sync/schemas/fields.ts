/**
 * Field schemas the event definitions share. `data` schemas name the fields HQ relies on and
 * allow more (`open`), so a producer can add fields without a lockstep release; a breaking
 * change is a new `.v2` type. Fields that must never leave the store (card numbers, raw
 * APDUs) are forbidden outright (`forbidden`).
 */
import { Type, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';

/** An object schema that allows extra fields (see the header). */
export const open = <P extends TProperties>(props: P, description: string): TObject<P> => Type.Object(props, { additionalProperties: true, description });

export const MemberNumber = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$', description: 'member number (chain-wide)' });
/** The gateway's own member id (ULID); local to one gateway, so HQ keys members by number. */
export const MemberId = Type.String({ minLength: 1, maxLength: 64 });
export const Receipt = Type.String({ minLength: 1, maxLength: 64 });
export const Points = Type.Integer({ minimum: 0, maximum: 100_000_000 });
export const Cents = Type.Integer({ minimum: 0, maximum: 100_000_000 });
export const Lane = Type.String({ minLength: 1, maxLength: 64 });
export const Day = Type.String({ maxLength: 10 });
/** A card token: the HMAC identity of a card (DESIGN.md §5), never its number. */
export const CardToken = Type.String({ minLength: 8, maxLength: 128, description: 'card token: HMAC identity (DESIGN.md §5)' });

/** Optional, and null allowed (producers write null for "none"). */
export const opt = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

/** Keys no event may carry (DESIGN.md §5, §9): the schema rejects an event that has them. */
export const forbidden = {
  pan: Type.Optional(Type.Never()),
  track2: Type.Optional(Type.Never()),
  apdu: Type.Optional(Type.Never()),
  uid: Type.Optional(Type.Never()),
};

/** Who, in the ledger's events: the member number when the producer knew it (`member` is an older spelling). */
export const who = { memberId: opt(MemberId), memberNumber: opt(MemberNumber), member: opt(MemberNumber) };
export const memberOf = (d: { memberNumber?: string | null; member?: string | null }) => d.memberNumber ?? d.member ?? undefined;
