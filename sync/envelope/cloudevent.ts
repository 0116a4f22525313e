/**
 * CloudEvents 1.0, structured JSON mode (DESIGN.md §8): the whole event is the MQTT payload.
 * `id` is a ULID (time-ordered, unique per source), `source` names the producer
 * (`/stores/{store}/{gateway}` up, `/hq` down), `type` is `trouw.{noun}.{verb}.v{n}`.
 * HQ deduplicates on (source, id), so a producer must never reuse an id for another event.
 */
import { Type, type Static } from '@sinclair/typebox';
import { EVENT_TYPE_PATTERN, SEGMENT_PATTERN, isSegment, type GatewayAddress } from './topics';

export const ULID_PATTERN = '^[0-7][0-9A-HJKMNP-TV-Z]{25}$';
/** RFC 3339 date-time as `new Date().toISOString()` writes it, offsets allowed. */
export const TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
const seg = SEGMENT_PATTERN.slice(1, -1);
export const STORE_SOURCE_PATTERN = `^/stores/${seg}/${seg}$`;
export const HQ_SOURCE = '/hq';

export const Ulid = Type.String({ pattern: ULID_PATTERN, description: 'ULID' });
export const Time = Type.String({ pattern: TIME_PATTERN, maxLength: 40, description: 'RFC 3339 date-time' });

/** The envelope; `data` is checked against the schema of `type` separately. */
export const CloudEvent = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: Ulid,
    source: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 120 }),
    time: Time,
    datacontenttype: Type.Optional(Type.Literal('application/json')),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    data: Type.Unknown(),
  },
  // CloudEvents allows extension attributes; they are kept as they come.
  { additionalProperties: true },
);
export type CloudEvent<D = unknown> = Omit<Static<typeof CloudEvent>, 'data'> & { data: D };

export const storeSource = (a: GatewayAddress): string => `/stores/${a.store}/${a.gateway}`;

export function parseStoreSource(source: string): GatewayAddress | undefined {
  const m = /^\/stores\/([^/]+)\/([^/]+)$/.exec(source);
  if (!m || !isSegment(m[1]!) || !isSegment(m[2]!)) return undefined;
  return { store: m[1]!, gateway: m[2]! };
}

export interface EventFields<D> {
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string | null;
  data: D;
}

/** Builds the structured-mode envelope (property order fixed, so payloads are stable). */
export function makeCloudEvent<D>(f: EventFields<D>): CloudEvent<D> {
  const ev: CloudEvent<D> = {
    specversion: '1.0',
    id: f.id,
    source: f.source,
    type: f.type,
    time: f.time,
    datacontenttype: 'application/json',
    data: f.data,
  };
  if (f.subject) ev.subject = f.subject;
  return ev;
}
