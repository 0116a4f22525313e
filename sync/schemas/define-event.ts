/**
 * What an event type is: its `type` string, its `data` schema, its outbox priority and what
 * HQ reads from it. A producer names the definition (never retypes the string) and the outbox
 * writer checks `data` against `data` when the row is written; HQ checks it again on ingest.
 * Definitions are plain values: `catalogue.ts` lists every one, explicitly.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { EVENT_TYPE_PATTERN } from '../envelope/topics';

/** Priority in the outbox: lower goes first. Business rows (≤ 1) are never dropped. */
export const Priority = { business: 0, card: 1, presence: 5 } as const;

export interface EventDefinition<S extends TSchema = TSchema> {
  type: string;
  summary: string;
  data: S;
  /** The outbox priority of the type (see `Priority`). */
  priority: number;
  /** HQ: which member the event concerns, for "points across stores". */
  member?(data: Static<S>): string | undefined;
  /** HQ: the signed change to the member's points this event records. */
  pointsDelta?(data: Static<S>): number;
}

const typePattern = new RegExp(EVENT_TYPE_PATTERN);

/** Checks the type string once, where the definition is written; returns the definition. */
export function defineEvent<S extends TSchema>(def: EventDefinition<S>): EventDefinition<S> {
  if (!typePattern.test(def.type)) throw new TypeError(`event type ${def.type} does not match ${EVENT_TYPE_PATTERN}`);
  return def;
}
