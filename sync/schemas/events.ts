/**
 * One JSON Schema (TypeBox) per event type, shared by the gateway (which produces them) and
 * HQ (which validates every event it ingests). To add a type: `defineEvent({...})` below or
 * `registerEvent(...)` from the producing module, add it to docs/asyncapi.yaml, done.
 *
 * `data` schemas name the fields HQ relies on and allow more (`additionalProperties`), so a
 * producer can add fields without a lockstep release; a breaking change is a new `.v2` type.
 * Fields that must never leave the store (card numbers, raw APDUs) are forbidden outright.
 */
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';
import { EVENT_TYPE_PATTERN } from '../envelope/topics';
import { Ulid } from '../envelope/cloudevent';

/** Priority in the outbox: lower goes first. Business rows (≤ 1) are never dropped. */
export const Priority = { business: 0, card: 1, presence: 5 } as const;

export interface EventDefinition<S extends TSchema = TSchema> {
  type: string;
  summary: string;
  data: S;
  /** The outbox priority a producer should use (see `Priority`). */
  priority: number;
  /** HQ: which member the event concerns, for "points across stores". */
  member?: (data: Static<S>) => string | undefined;
  /** HQ: the signed change to the member's points this event records. */
  pointsDelta?: (data: Static<S>) => number;
}

const registry = new Map<string, EventDefinition>();

export function registerEvent<S extends TSchema>(def: EventDefinition<S>): EventDefinition<S> {
  if (!new RegExp(EVENT_TYPE_PATTERN).test(def.type)) throw new TypeError(`event type ${def.type} does not match ${EVENT_TYPE_PATTERN}`);
  const existing = registry.get(def.type);
  if (existing && existing !== (def as unknown as EventDefinition)) throw new Error(`event type ${def.type} registered twice`);
  registry.set(def.type, def as unknown as EventDefinition);
  return def;
}

export const eventDefinition = (type: string): EventDefinition | undefined => registry.get(type);
export const eventTypes = (): string[] => [...registry.keys()].sort();

/** An object schema that allows extra fields (see the header). */
const open = <P extends TProperties>(props: P, description: string): TObject<P> =>
  Type.Object(props, { additionalProperties: true, description });

const Member = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$', description: 'member number (chain-wide)' });
/** The gateway's own member id (ULID); local to one gateway, so HQ keys members by number. */
const MemberId = Type.String({ minLength: 1, maxLength: 64 });
const Receipt = Type.String({ minLength: 1, maxLength: 64 });
const Points = Type.Integer({ minimum: 0, maximum: 100_000_000 });
const Cents = Type.Integer({ minimum: 0, maximum: 100_000_000 });
const Lane = Type.String({ minLength: 1, maxLength: 64 });
/** Optional, and null allowed (producers write null for "none"). */
const opt = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
/** Keys no event may carry (DESIGN.md §5, §9): the schema rejects an event that has them. */
const forbidden = {
  pan: Type.Optional(Type.Never()),
  track2: Type.Optional(Type.Never()),
  apdu: Type.Optional(Type.Never()),
  uid: Type.Optional(Type.Never()),
};
/** Who: the member number when the producer knew it (`member` is accepted as an older spelling). */
const memberOf = (d: { memberNumber?: string | null; member?: string | null }) => d.memberNumber ?? d.member ?? undefined;
const who = { memberId: opt(MemberId), memberNumber: opt(Member), member: opt(Member) };

// The ledger's events (gateway/app/till/till-sale.ts, till-returns.ts, members.ts, points-expiry.ts).

export const SaleCompleted = registerEvent({
  type: 'trouw.sale.completed.v1',
  summary: 'A sale was rung at a till and points (if any) awarded.',
  priority: Priority.business,
  data: open(
    {
      receipt: Receipt,
      lane: Type.Optional(Lane),
      ...who,
      memberKnown: Type.Optional(Type.Boolean()),
      totalCents: Type.Optional(Cents),
      eligibleCents: Type.Optional(Cents),
      pointsAwarded: Points,
      balance: opt(Type.Integer()),
      deficit: opt(Type.Integer()),
      lines: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 2000 })),
      entries: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 500 })),
      ...forbidden,
    },
    'sale.completed: receipt and points awarded',
  ),
  member: memberOf,
  pointsDelta: (d) => d.pointsAwarded,
});

const reversal = (what: string) =>
  open(
    {
      receipt: Receipt,
      original: Type.Optional(Receipt),
      lane: Type.Optional(Lane),
      ...who,
      pointsReversed: Points,
      /** Points actually taken back; the rest became a deficit (already spent). */
      taken: Type.Optional(Points),
      deficitAdded: Type.Optional(Points),
      balance: opt(Type.Integer()),
      deficit: opt(Type.Integer()),
      lines: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 2000 })),
      entries: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 500 })),
      ...forbidden,
    },
    what,
  );

export const SaleRefunded = registerEvent({
  type: 'trouw.sale.refunded.v1',
  summary: 'Lines of an earlier sale were refunded; points reversed.',
  priority: Priority.business,
  data: reversal('sale.refunded: points reversed'),
  member: memberOf,
  pointsDelta: (d) => -d.pointsReversed,
});

export const SaleVoided = registerEvent({
  type: 'trouw.sale.voided.v1',
  summary: 'A sale was voided; its points reversed.',
  priority: Priority.business,
  data: reversal('sale.voided: points reversed'),
  member: memberOf,
  pointsDelta: (d) => -d.pointsReversed,
});

export const PointsExpired = registerEvent({
  type: 'trouw.points.expired.v1',
  summary: 'A lot of points reached its expiry date; what it still held is gone.',
  priority: Priority.business,
  data: open(
    {
      ...who,
      memberId: MemberId,
      lotId: Type.Optional(Type.String({ maxLength: 64 })),
      expiresOn: Type.Optional(Type.String({ maxLength: 10 })),
      points: Points,
      balance: opt(Type.Integer()),
    },
    'points.expired: points taken off',
  ),
  member: memberOf,
  pointsDelta: (d) => -d.points,
});

export const PointsAdjusted = registerEvent({
  type: 'trouw.points.adjusted.v1',
  summary: 'An audited manual change to a member\'s points (e.g. an HQ adjust-points command).',
  priority: Priority.business,
  data: open(
    {
      ...who,
      memberNumber: Member,
      points: Type.Integer({ minimum: -100_000_000, maximum: 100_000_000 }),
      reason: Type.String({ minLength: 1, maxLength: 500 }),
      by: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      commandId: Type.Optional(Ulid),
      balance: opt(Type.Integer()),
    },
    'points.adjusted: signed points and a reason',
  ),
  member: memberOf,
  pointsDelta: (d) => d.points,
});

export const MemberCreated = registerEvent({
  type: 'trouw.member.created.v1',
  summary: 'A member enrolled at this store.',
  priority: Priority.business,
  data: open(
    {
      memberId: Type.Optional(MemberId),
      number: Member,
      name: Type.Optional(Type.String({ maxLength: 100 })),
      consent: Type.Optional(open({ presence: Type.Optional(Type.Boolean()) }, 'consents given at enrolment')),
      ...forbidden,
    },
    'member.created: the new member number',
  ),
  member: (d) => d.number,
});

export const CardLinked = registerEvent({
  type: 'trouw.card.linked.v1',
  summary: 'A card (its HMAC token, never its number) was linked to a member.',
  priority: Priority.business,
  data: open(
    {
      ...who,
      memberId: MemberId,
      token: Type.String({ minLength: 8, maxLength: 128, description: 'card token: HMAC identity (DESIGN.md §5)' }),
      ...forbidden,
    },
    'card.linked: token and member',
  ),
  member: memberOf,
});

// Produced by subsystems still being built: the fields HQ needs, and room for more.

export const CardTapped = registerEvent({
  type: 'trouw.card.tapped.v1',
  summary: 'A card was tapped at a reader. Carries the kind and the member if known, never card data.',
  priority: Priority.card,
  data: open(
    {
      reader: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      lane: Type.Optional(Lane),
      kind: Type.String({ minLength: 1, maxLength: 40, description: 'card kind, e.g. mifare-classic-1k, emv' }),
      ...who,
      outcome: Type.Optional(Type.String({ maxLength: 40 })),
      ...forbidden,
    },
    'card.tapped: reader, kind, member if known',
  ),
  member: memberOf,
});

const Problem = Type.Object({ path: Type.String({ maxLength: 200 }), message: Type.String({ maxLength: 500 }) });

export const ConfigRejected = registerEvent({
  type: 'trouw.config.rejected.v1',
  summary: 'The gateway refused a cfg message and kept its running config.',
  priority: Priority.business,
  data: open(
    {
      /** The rejected version, when the message had one. */
      version: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      runningVersion: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      reason: Type.Union([Type.Literal('malformed'), Type.Literal('invalid'), Type.Literal('older'), Type.Literal('apply-failed')]),
      problems: Type.Array(Problem, { maxItems: 20 }),
    },
    'config.rejected: why, and which version keeps running',
  ),
});

export const ConfigApplied = registerEvent({
  type: 'trouw.config.applied.v1',
  summary: 'The gateway applied a new cfg version.',
  priority: Priority.business,
  data: open(
    {
      version: Type.Integer({ minimum: 1 }),
      previousVersion: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    },
    'config.applied: the version now running',
  ),
});

export const CommandApplied = registerEvent({
  type: 'trouw.command.applied.v1',
  summary: 'The outcome of an HQ command, sent once per command id.',
  priority: Priority.business,
  data: open(
    {
      commandId: Ulid,
      name: Type.String({ minLength: 1, maxLength: 64 }),
      outcome: Type.Union([Type.Literal('applied'), Type.Literal('rejected'), Type.Literal('failed')]),
      /** What the command did, e.g. `{ purged: { presence: 12, tokens: 3, cards: 1 } }`. */
      detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      error: Type.Optional(Type.Object({ code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 500 }) })),
    },
    'command.applied: outcome per command id',
  ),
});

export const CommandRejected = registerEvent({
  type: 'trouw.command.rejected.v1',
  summary: 'A message on a cmd topic the gateway could not take as a command from HQ: not JSON, not a valid envelope, not from /hq, or an id already used for other content.',
  priority: Priority.business,
  data: open(
    {
      reason: Type.Union([Type.Literal('not-json'), Type.Literal('bad-envelope'), Type.Literal('not-from-hq'), Type.Literal('id-reused')]),
      /** The command id when one could be read (a ULID in the message's `id`), else null. */
      commandId: Type.Union([Ulid, Type.Null()]),
      /** The command name from the topic (`cmd/{name}`). */
      name: Type.String({ minLength: 1, maxLength: 64 }),
      detail: Type.String({ maxLength: 500 }),
    },
    'command.rejected: why a cmd message was not taken, and what id it carried',
  ),
});

export type SaleCompletedData = Static<typeof SaleCompleted.data>;
export type PointsAdjustedData = Static<typeof PointsAdjusted.data>;
export type ConfigRejectedData = Static<typeof ConfigRejected.data>;
export type CommandAppliedData = Static<typeof CommandApplied.data>;
export type CommandRejectedData = Static<typeof CommandRejected.data>;
