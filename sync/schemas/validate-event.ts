/**
 * The one check every uplink event passes at HQ (and that tests apply to every event the
 * gateway produces): size, JSON, envelope, topic ↔ source ↔ type agreement, known type, data
 * schema. Failures are values with a reason code; HQ files them in its dead-letter table.
 */
import { err, ok, type Result } from '../../gateway/core/result';
import { CloudEvent, parseStoreSource } from '../envelope/cloudevent';
import { parseTopic } from '../envelope/topics';
import { check, describeProblems } from './check';
import { eventDefinition, type EventDefinition } from './catalogue';

export type RejectReason =
  | 'oversized' // payload larger than the ingest limit
  | 'malformed-json' // not UTF-8 JSON
  | 'bad-topic' // topic outside trouw/v1/{store}/{gateway}/evt/{type}
  | 'bad-envelope' // not a CloudEvents 1.0 envelope we accept
  | 'topic-mismatch' // envelope source/type disagree with the topic it came on
  | 'unknown-type' // no schema registered for the type
  | 'bad-data'; // data fails the type's schema

export interface Rejection {
  reason: RejectReason;
  detail: string;
}

export interface ValidEvent {
  event: CloudEvent;
  store: string;
  gateway: string;
  definition: EventDefinition;
}

export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

export function validateUplinkEvent(topic: string, payload: Buffer | string, maxBytes = DEFAULT_MAX_EVENT_BYTES): Result<ValidEvent, Rejection> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > maxBytes) return err({ reason: 'oversized', detail: `${size} bytes > ${maxBytes}` });
  const t = parseTopic(topic);
  if (!t || t.kind !== 'evt') return err({ reason: 'bad-topic', detail: topic.slice(0, 200) });
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (e) {
    return err({ reason: 'malformed-json', detail: (e as Error).message.slice(0, 200) });
  }
  const env = check(CloudEvent, json);
  if (!env.ok) return err({ reason: 'bad-envelope', detail: describeProblems(env.problems) });
  const event = env.value as CloudEvent;
  const src = parseStoreSource(event.source);
  if (!src || src.store !== t.store || src.gateway !== t.gateway) {
    return err({ reason: 'topic-mismatch', detail: `source ${event.source} on topic of ${t.store}/${t.gateway}` });
  }
  if (event.type !== t.type) return err({ reason: 'topic-mismatch', detail: `type ${event.type} on topic for ${t.type}` });
  const definition = eventDefinition(event.type);
  if (!definition) return err({ reason: 'unknown-type', detail: event.type });
  const data = check(definition.data, event.data);
  if (!data.ok) return err({ reason: 'bad-data', detail: describeProblems(data.problems) });
  return ok({ event, store: t.store, gateway: t.gateway, definition });
}
