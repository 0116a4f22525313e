/**
 * Where presence events go (issue 4). Contract:
 * - `record` writes a batch of engine events, the visit rows they open and close, the daily
 *   aggregates a visit end adds to, and one outbox row per event, all in ONE transaction:
 *   either everything of the batch is stored and queued for HQ, or nothing is.
 * - Only members (by number) and configured tags are ever passed in; the store never sees
 *   raw RSSI, tokens or addresses.
 * - `purge` deletes presence detail (events, visits) older than the cutoff; daily aggregates
 *   (no identity) are kept.
 * - `eraseMember` deletes every presence row of a member (HQ's erasure command).
 * - `openVisits` lists visits a previous run left open (the gateway stopped mid-visit), so
 *   they can be closed at start.
 */
import type { PresenceEvent, Subject, ZoneDwell } from '../core/presence/events';

export interface OpenVisit {
  visitId: string;
  subject: Subject;
  startedAt: number;
  /** Time of the visit's last stored event. */
  lastAt: number;
  /** Dwell per zone from the stays that were closed. */
  zones: ZoneDwell[];
}

export interface PresenceStore {
  record(events: readonly PresenceEvent[], now: number): void;
  purge(before: number): { events: number; visits: number };
  eraseMember(member: string): number;
  openVisits(): OpenVisit[];
}
