/**
 * What HQ sends down: the store configuration (`cfg`, retained, versioned) and commands
 * (`cmd/{name}`). Both are CloudEvents from source `/hq`; the command's event id is the
 * command id, so a replayed command (same id) is recognised and applied once.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { check, type SchemaProblem } from './check';
import { Time, Ulid } from '../envelope/cloudevent';
import { EarningRulesConfig } from '../../gateway/config/schema';

export const CONFIG_EVENT_TYPE = 'trouw.config.published.v1';
export const commandEventType = (name: string): string => `trouw.command.${name}.v1`;

const Member = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' });
const open = { additionalProperties: true } as const;

/**
 * The store config document. `version` increases with every publish; the gateway refuses
 * an equal-or-older one. Sections not present keep their running value. `loyalty` is the
 * gateway's own earning-rules schema (strict: a typo is an error, not ignored). The items of
 * zones, token tables and the staff list stay open objects here, so documents older HQ
 * versions published stay valid; the gateway checks zones strictly against its presence zone
 * schema and its own zones (gateway/app/sync/gateway-sync.ts, checkHqConfig).
 */
export const StoreConfig = Type.Object(
  {
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    issuedAt: Type.Optional(Time),
    loyalty: Type.Optional(EarningRulesConfig),
    zones: Type.Optional(Type.Array(Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, open), { maxItems: 500 })),
    /** Rotating BLE tokens for consenting members, epochs e-1..e+1 (DESIGN.md §4). */
    tokens: Type.Optional(
      Type.Object(
        {
          epochs: Type.Array(
            Type.Object(
              {
                epoch: Type.Integer({ minimum: 0 }),
                entries: Type.Array(Type.Object({ token: Type.Integer({ minimum: 0, maximum: 0xffffffff }), member: Member }, open), { maxItems: 1_000_000 }),
              },
              open,
            ),
            { maxItems: 16 },
          ),
        },
        open,
      ),
    ),
    staff: Type.Optional(
      Type.Array(Type.Object({ token: Type.String({ minLength: 8, maxLength: 128 }), role: Type.String({ minLength: 1, maxLength: 32 }) }, open), {
        maxItems: 10_000,
      }),
    ),
  },
  { additionalProperties: false },
);
export type StoreConfig = Static<typeof StoreConfig>;

export const EraseMemberArgs = Type.Object({ member: Member, reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
export type EraseMemberArgs = Static<typeof EraseMemberArgs>;

export const AdjustPointsArgs = Type.Object(
  {
    member: Member,
    /** Signed, non-zero. */
    points: Type.Union([Type.Integer({ minimum: -100_000_000, maximum: -1 }), Type.Integer({ minimum: 1, maximum: 100_000_000 })]),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    /** The HQ operator, for the audit trail. */
    by: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);
export type AdjustPointsArgs = Static<typeof AdjustPointsArgs>;

const Points = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
/** Epoch ms of the newest event HQ counted. */
const AsOf = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/**
 * HQ's settlement of a member (docs/loyalty.md, "Settlement at HQ"): the balance HQ computed
 * from every store's events in event order, and the debt left where offline stores together
 * spent more than the member had. The gateway takes `balance` as its snapshot and aligns the
 * member's account to it, the debt becoming the member's deficit (one audited ledger entry
 * keyed by the command id).
 */
export const SettleMemberArgs = Type.Object({ member: Member, balance: Points, debt: Points, asOf: AsOf }, { additionalProperties: false });
export type SettleMemberArgs = Static<typeof SettleMemberArgs>;

/** HQ's confirmed balance of a member active in the store: the base of its offline budget only. */
export const MemberSnapshotArgs = Type.Object({ member: Member, balance: Points, asOf: AsOf }, { additionalProperties: false });
export type MemberSnapshotArgs = Static<typeof MemberSnapshotArgs>;

/**
 * An HQ segment published as an offer audience (issue 17): the members listed carry the tag
 * `segment` in this store's offer facts (offer_members.segments), and nobody else does any
 * more; an offer whose `audience.segments` names the tag reaches exactly them. HQ segments
 * are `hq-…` so they never collide with the store's own tags. At most 20,000 members per
 * command: the command is one MQTT message.
 */
export const SetSegmentArgs = Type.Object(
  {
    segment: Type.String({ minLength: 4, maxLength: 64, pattern: '^hq-[a-z0-9][a-z0-9-]*$' }),
    members: Type.Array(Member, { maxItems: 20_000 }),
  },
  { additionalProperties: false },
);
export type SetSegmentArgs = Static<typeof SetSegmentArgs>;

export const commandSchemas = {
  'erase-member': EraseMemberArgs,
  'set-segment': SetSegmentArgs,
  'adjust-points': AdjustPointsArgs,
  'settle-member': SettleMemberArgs,
  'member-snapshot': MemberSnapshotArgs,
} as const satisfies Record<string, TSchema>;
export type CommandName = keyof typeof commandSchemas;
export type CommandArgs<N extends CommandName> = Static<(typeof commandSchemas)[N]>;

export const isCommandName = (n: string): n is CommandName => Object.hasOwn(commandSchemas, n);

/** Ids used in schemas of the downlink envelope. */
export { Ulid };

/**
 * Fills schema defaults (inside `loyalty`: a section sent replaces the running one, keys it
 * leaves out take their defaults) and checks. Used by the gateway and by HQ's CLI before
 * publishing, so a config that would be refused is never sent.
 */
export function parseStoreConfig(data: unknown): { ok: true; value: StoreConfig } | { ok: false; problems: SchemaProblem[] } {
  let filled: unknown = data;
  try {
    filled = Value.Default(StoreConfig, structuredClone(data));
    // A section HQ did not send stays absent: defaults fill keys inside a sent section only,
    // or a config carrying only tokens would reset the store's earning rules to defaults.
    if (filled && typeof filled === 'object' && data && typeof data === 'object') {
      for (const key of Object.keys(filled)) if (!Object.hasOwn(data, key)) delete (filled as Record<string, unknown>)[key];
    }
  } catch {
    // not cloneable or not an object: the check reports it
  }
  return check(StoreConfig, filled, 20);
}
