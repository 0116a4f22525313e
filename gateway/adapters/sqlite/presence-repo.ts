/**
 * Presence events in SQLite (migration 002-presence), implementing ports/presence-store.ts.
 * A batch of events, the visits they open and close, the daily aggregates and the outbox rows
 * commit in one transaction.
 */
import { localDate } from '../../core/time/local-date';
import type { PresenceEvent, Subject, ZoneDwell } from '../../core/presence/events';
import type { OpenVisit, PresenceStore } from '../../ports/presence-store';
import type { Db } from './open-database';
import { createOutboxWriter, type OutboxEvent, type OutboxWriter } from '../../../sync/gateway/outbox-writer';

export interface PresenceRepoOptions {
  /** Store time zone: aggregates are per store-local day. */
  timeZone: string;
  /** Turns an event into its outbox row (type, data, TTL); null: not sent. */
  toOutbox: (e: PresenceEvent, now: number) => OutboxEvent | null;
  /** Default: a writer of its own (ids from a ULID factory at the event's time). */
  outbox?: OutboxWriter | undefined;
}

export const subjectColumn = (s: Subject): string => `${s.kind}:${s.id}`;

function parseSubject(v: string): Subject {
  const i = v.indexOf(':');
  return { kind: v.slice(0, i) as Subject['kind'], id: v.slice(i + 1) };
}

export function createPresenceRepo(db: Db, opts: PresenceRepoOptions): PresenceStore & { counts(): Record<string, number> } {
  const outbox = opts.outbox ?? createOutboxWriter(db);
  const insertEvent = db.prepare<[string, string, string, string | null, number, number | null, number | null, string | null]>(
    'INSERT INTO presence_events (kind, visit_id, subject, zone, at, entered_at, dwell_ms, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const openVisit = db.prepare<[string, string, number]>('INSERT OR IGNORE INTO presence_visits (id, subject, started_at) VALUES (?, ?, ?)');
  const closeVisit = db.prepare<[number, string, string]>('UPDATE presence_visits SET ended_at = ?, zones = ? WHERE id = ?');
  const addDaily = db.prepare<[string, string, string, number, number, number]>(
    `INSERT INTO presence_daily (day, zone, subject_kind, visits, entries, dwell_ms) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (day, zone, subject_kind) DO UPDATE SET
       visits = visits + excluded.visits, entries = entries + excluded.entries, dwell_ms = dwell_ms + excluded.dwell_ms`,
  );
  const purgeEvents = db.prepare<[number]>('DELETE FROM presence_events WHERE at < ?');
  const purgeVisits = db.prepare<[number]>('DELETE FROM presence_visits WHERE coalesce(ended_at, started_at) < ?');
  const eraseEvents = db.prepare<[string]>('DELETE FROM presence_events WHERE subject = ?');
  const eraseVisits = db.prepare<[string]>('DELETE FROM presence_visits WHERE subject = ?');
  const open = db.prepare<[], { id: string; subject: string; started_at: number }>(
    'SELECT id, subject, started_at FROM presence_visits WHERE ended_at IS NULL ORDER BY started_at',
  );
  const visitEvents = db.prepare<[string], { zone: string | null; at: number; dwell_ms: number | null; kind: string }>(
    'SELECT zone, at, dwell_ms, kind FROM presence_events WHERE visit_id = ? ORDER BY id',
  );
  const count = (table: string) => db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`);
  const counters = { events: count('presence_events'), visits: count('presence_visits'), daily: count('presence_daily') };

  /** Instants and durations are whole milliseconds in the database (STRICT INTEGER). */
  const ms = Math.round;
  const write = (e: PresenceEvent) => {
    const subject = subjectColumn(e.subject);
    switch (e.type) {
      case 'visit-started':
        insertEvent.run(e.type, e.visitId, subject, null, ms(e.at), null, null, null);
        openVisit.run(e.visitId, subject, ms(e.at));
        break;
      case 'zone-entered':
        insertEvent.run(e.type, e.visitId, subject, e.zone, ms(e.at), null, null, null);
        break;
      case 'zone-left':
        insertEvent.run(e.type, e.visitId, subject, e.zone, ms(e.at), ms(e.enteredAt), ms(e.dwellMs), e.reason);
        break;
      case 'visit-ended': {
        const zones = e.zones.map((z) => ({ ...z, dwellMs: ms(z.dwellMs) }));
        insertEvent.run(e.type, e.visitId, subject, null, ms(e.at), null, null, e.reason);
        closeVisit.run(ms(e.at), JSON.stringify(zones), e.visitId);
        const day = localDate(e.at, opts.timeZone);
        addDaily.run(
          day,
          '*',
          e.subject.kind,
          1,
          0,
          zones.reduce((s, z) => s + z.dwellMs, 0),
        );
        for (const z of zones) addDaily.run(day, z.zone, e.subject.kind, 1, z.entries, z.dwellMs);
        break;
      }
    }
  };

  const record = db.transaction((events: readonly PresenceEvent[], now: number) => {
    for (const e of events) {
      write(e);
      const row = opts.toOutbox(e, now);
      if (row) outbox.append(row);
    }
  });

  return {
    record: (events, now) => {
      if (events.length > 0) record(events, now);
    },
    purge: (before) => db.transaction(() => ({ events: purgeEvents.run(before).changes, visits: purgeVisits.run(before).changes }))(),
    eraseMember: (member) =>
      db.transaction(() => {
        const s = subjectColumn({ kind: 'member', id: member });
        return eraseEvents.run(s).changes + eraseVisits.run(s).changes;
      })(),
    openVisits: (): OpenVisit[] =>
      open.all().map((v) => {
        const zones = new Map<string, { dwellMs: number; entries: number }>();
        let lastAt = v.started_at;
        for (const ev of visitEvents.all(v.id)) {
          lastAt = Math.max(lastAt, ev.at);
          if (ev.zone === null) continue;
          const z = zones.get(ev.zone) ?? { dwellMs: 0, entries: 0 };
          if (ev.kind === 'zone-entered') z.entries++;
          if (ev.kind === 'zone-left') z.dwellMs += ev.dwell_ms ?? 0;
          zones.set(ev.zone, z);
        }
        const list: ZoneDwell[] = [...zones].map(([zone, d]) => ({ zone, ...d }));
        return { visitId: v.id, subject: parseSubject(v.subject), startedAt: v.started_at, lastAt, zones: list };
      }),
    counts: () => ({ events: counters.events.get()!.n, visits: counters.visits.get()!.n, daily: counters.daily.get()!.n }),
  };
}
