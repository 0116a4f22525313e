/**
 * HQ storage port. Two implementations with one schema and one contract suite
 * (test/integration/sync-hq-store.test.ts): SQLite (default, the demo and small chains) and
 * PostgreSQL (at scale, several ingest processes and machines).
 *
 * The contract: `insertEvent` stores an event unless one with the same (source, id) exists
 * (then it changes nothing and returns false), and updates the gateway's last-seen, lag and
 * count in the same transaction; it resolves only after the commit, because the ingest sends
 * the end-to-end ack after it.
 */
/**
 * One event as HQ keeps it, whichever way it travels: `Data` is the `data` member as JSON text
 * on the way in (stored as sent, so no re-serialising in the ingest's hot path) and parsed on
 * the way out. `member` and `pointsDelta` are derived once, at ingest, from the event registry.
 */
export interface HqEvent<Data> {
  source: string;
  id: string;
  store: string;
  gateway: string;
  type: string;
  /** Event time as sent (RFC 3339) and as epoch ms. */
  time: string;
  timeMs: number;
  subject: string | null;
  member: string | null;
  pointsDelta: number | null;
  /** The `data` member: JSON text when ingested, the parsed value when read back. */
  data: Data;
  receivedAt: number;
}

/** An event handed to the store by the ingest. */
export type IngestedEvent = HqEvent<string>;
/** An event read back from the store. */
export type StoredEvent = HqEvent<unknown>;

import type { ErasureResult } from './personal-data';

export interface DeadLetter {
  receivedAt: number;
  topic: string;
  reason: string;
  detail: string;
  /** The payload as received (truncated to `DEAD_LETTER_PAYLOAD_BYTES`). */
  payload: Buffer;
  size: number;
}

export const DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024;

export interface EventQuery {
  store?: string;
  gateway?: string;
  type?: string;
  /** Event time range, epoch ms, [from, to). */
  fromMs?: number;
  toMs?: number;
  member?: string;
  limit: number;
  /** Keyset paging: events after this (timeMs, source, id). */
  after?: { timeMs: number; source: string; id: string };
}

export interface GatewayRow {
  source: string;
  store: string;
  gateway: string;
  status: string | null;
  statusAt: number | null;
  lastSeenAt: number | null;
  lastEventTimeMs: number | null;
  /** Receive time minus event time of the newest event received: how far behind the store is. */
  lastLagMs: number | null;
  events: number;
}

export interface MemberPoints {
  member: string;
  total: number;
  stores: { store: string; points: number; events: number }[];
}

/** A member's points events at HQ (see `HqStore.memberPointsActivity`). */
export interface MemberPointsActivity {
  member: string;
  /** Points events stored for the member, all time. Events are never deleted, so a change means new ones. */
  pointsEvents: number;
  /** Distinct gateways (CloudEvents sources) those events came from. */
  gateways: number;
}

export interface DeadLetterRow {
  seq: number;
  receivedAt: number;
  topic: string;
  reason: string;
  detail: string;
  size: number;
  payload: string;
}

export interface HqStore {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  insertEvent(e: IngestedEvent): Promise<boolean>;
  /**
   * The same for several events in one transaction (the ingest's group commit): one result
   * per event, true when stored, false when (source, id) was there already (also when the
   * same event appears twice in the batch: the first is stored).
   */
  insertEvents(batch: IngestedEvent[]): Promise<boolean[]>;
  deadLetter(d: DeadLetter): Promise<void>;
  recordStatus(store: string, gateway: string, status: string, at: number): Promise<void>;
  queryEvents(q: EventQuery): Promise<StoredEvent[]>;
  memberPoints(member: string): Promise<MemberPoints>;
  /**
   * Members with points events, in member order, keyset paged (`afterMember`, `limit`).
   * `receivedSinceMs`: only members with a points event *received* at or after it — receive
   * time, not event time, because a store that was offline delivers old events late.
   */
  memberPointsActivity(q: { receivedSinceMs?: number; afterMember?: string; limit: number }): Promise<MemberPointsActivity[]>;
  gateways(): Promise<GatewayRow[]>;
  deadLetters(q: { limit: number; reason?: string }): Promise<DeadLetterRow[]>;
  counts(): Promise<{ events: number; deadLetters: number }>;
  /**
   * Reads the rollup tables (rollups/insights.ts): one SELECT with `?` placeholders, written
   * in the SQL both dialects share. Numbers come back as JS numbers.
   */
  rollupQuery(sql: string, args: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Erasure: the member leaves the rollups as counts only (rollups/erase.ts), in one transaction. */
  eraseMemberRollups(member: string): Promise<void>;
  /**
   * Erases a member's personal fields in HQ's tables (personal-data.ts): in one transaction,
   * removes `PERSONAL_FIELDS` from the member's events, deletes dead letters mentioning it,
   * and records the member's keys so later events arrive already without them; the
   * rollups keep only counts of the member (rollups/erase.ts), in the same transaction.
   */
  eraseMember(member: string, at: number): Promise<ErasureResult>;
  close(): Promise<void>;
}

/** The schema, with the few words the two dialects spell differently. */
export function hqSchemaSql(d: { bigint: string; serial: string; blob: string }): string {
  return `
    CREATE TABLE IF NOT EXISTS hq_events (
      source        TEXT NOT NULL,
      id            TEXT NOT NULL,
      store         TEXT NOT NULL,
      gateway       TEXT NOT NULL,
      type          TEXT NOT NULL,
      time          TEXT NOT NULL,
      time_ms       ${d.bigint} NOT NULL,
      subject       TEXT,
      member        TEXT,
      points_delta  ${d.bigint},
      data          TEXT NOT NULL,
      received_at   ${d.bigint} NOT NULL,
      PRIMARY KEY (source, id)
    );
    CREATE INDEX IF NOT EXISTS hq_events_store_time ON hq_events (store, time_ms);
    CREATE INDEX IF NOT EXISTS hq_events_type_time ON hq_events (type, time_ms);
    CREATE INDEX IF NOT EXISTS hq_events_time ON hq_events (time_ms);
    CREATE INDEX IF NOT EXISTS hq_events_member ON hq_events (member) WHERE member IS NOT NULL;
    -- what arrived since the settlement scheduler last looked (settlement-scheduler.ts)
    CREATE INDEX IF NOT EXISTS hq_events_received ON hq_events (received_at);
    CREATE TABLE IF NOT EXISTS hq_dead_letters (
      seq          ${d.serial},
      received_at  ${d.bigint} NOT NULL,
      topic        TEXT NOT NULL,
      reason       TEXT NOT NULL,
      detail       TEXT NOT NULL,
      size         ${d.bigint} NOT NULL,
      payload      ${d.blob} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS hq_dead_letters_reason ON hq_dead_letters (reason, seq);
    -- Erased members (personal-data.ts): the number and the local memberIds; an event naming
    -- one of these keys is stored without its personal fields.
    CREATE TABLE IF NOT EXISTS hq_erased (
      key        TEXT PRIMARY KEY,
      member     TEXT NOT NULL,
      erased_at  ${d.bigint} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS hq_gateways (
      source              TEXT PRIMARY KEY,
      store               TEXT NOT NULL,
      gateway             TEXT NOT NULL,
      status              TEXT,
      status_at           ${d.bigint},
      last_seen_at        ${d.bigint},
      last_event_time_ms  ${d.bigint},
      last_lag_ms         ${d.bigint},
      events              ${d.bigint} NOT NULL DEFAULT 0
    );`;
}
