/**
 * The events of the HQ downlink (sync/gateway/downlink.ts) and of the commands it runs
 * (gateway/app/sync/sync-commands.ts): a config applied or refused, a command's outcome, an
 * audited points adjustment.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ulid } from '../envelope/cloudevent';
import { Priority, defineEvent } from './define-event';
import { MemberNumber, memberOf, open, opt, who } from './fields';

export const PointsAdjusted = defineEvent({
  type: 'trouw.points.adjusted.v1',
  summary: "An audited manual change to a member's points (e.g. an HQ adjust-points command).",
  priority: Priority.business,
  data: open(
    {
      ...who,
      memberNumber: MemberNumber,
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

const Problem = Type.Object({ path: Type.String({ maxLength: 200 }), message: Type.String({ maxLength: 500 }) });

export const ConfigRejected = defineEvent({
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

export const ConfigApplied = defineEvent({
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

export const CommandApplied = defineEvent({
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

export const CommandRejected = defineEvent({
  type: 'trouw.command.rejected.v1',
  summary:
    'A message on a cmd topic the gateway could not take as a command from HQ: not JSON, not a valid envelope, not from /hq, or an id already used for other content.',
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

export type PointsAdjustedData = Static<typeof PointsAdjusted.data>;
export type ConfigRejectedData = Static<typeof ConfigRejected.data>;
export type CommandAppliedData = Static<typeof CommandApplied.data>;
export type CommandRejectedData = Static<typeof CommandRejected.data>;
