/**
 * HQ storage on SQLite (better-sqlite3): the default, for the demo and small chains. WAL with
 * `synchronous = NORMAL`: a commit survives a crash of the ingest process (the end-to-end
 * ack follows it); after a power cut the last commits may be lost, so a chain that cannot accept that
 * uses PostgreSQL or sets `synchronous: 'full'`. Several ingest processes may share one file
 * (they take turns at the write lock; `busy_timeout` waits).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_ROLLUP_CONFIG, type RollupConfig } from './rollups/config';
import { deriveRollups } from './rollups/derive';
import { ERASE_MEMBER_SQL } from './rollups/erase';
import { localClock } from './rollups/local-clock';
import { rollupSchemaSql, rollupUpgradeSql } from './rollups/schema';
import { sqliteRollupWriter } from './rollups/write-sqlite';
import { MEMBER_ID_EVENT_TYPES, PERSONAL_FIELDS, type ErasureResult } from './personal-data';
import {
  hqSchemaSql,
  type IngestedEvent,
  type DeadLetterRow,
  type EventQuery,
  type GatewayRow,
  type HqStore,
  type MemberPointsActivity,
  type StoredEvent,
} from './store';

const PATHS = PERSONAL_FIELDS.map((f) => `'$.${f}'`).join(', ');
const ID_TYPES = MEMBER_ID_EVENT_TYPES.map((t) => `'${t}'`).join(', ');

export function openSqliteHqStore(path: string, opts: { synchronous?: 'normal' | 'full'; rollups?: RollupConfig | false } = {}): HqStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // The busy timeout first: switching to WAL takes a lock, and several ingest processes open
  // the same file at once; without it the second one fails at once with "database is locked".
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // 64 MB of page cache (default 2 MB): the ingest writes events, their indexes and the
  // rollups all over their B-trees; with the default most writes missed the cache once the
  // tables outgrew it (bench:hq, docs/hq-insights.md).
  db.pragma('cache_size = -65536');
  let st: ReturnType<typeof prepare> | undefined;
  const rollupCfg = opts.rollups === undefined ? DEFAULT_ROLLUP_CONFIG : opts.rollups;
  const rollupClock = rollupCfg ? localClock(rollupCfg.timeZone) : undefined;
  let rollups: ReturnType<typeof sqliteRollupWriter> | undefined;

  function prepare() {
    return {
      // An erased member's later events are stored without their personal fields (personal-data.ts).
      insert: db.prepare(
        `INSERT INTO hq_events (source, id, store, gateway, type, time, time_ms, subject, member, points_delta, data, received_at)
         VALUES (@source, @id, @store, @gateway, @type, @time, @timeMs, @subject, @member, @pointsDelta,
                 CASE WHEN EXISTS (SELECT 1 FROM hq_erased WHERE key IN (@member, json_extract(@data, '$.memberId')))
                      THEN json_remove(@data, ${PATHS}) ELSE @data END,
                 @receivedAt)
         ON CONFLICT (source, id) DO NOTHING`,
      ),
      memberIds: db.prepare(
        `SELECT DISTINCT json_extract(data, '$.memberId') AS id FROM hq_events
         WHERE member = ? AND json_extract(data, '$.memberId') IS NOT NULL`,
      ),
      tokens: db.prepare(
        `SELECT DISTINCT json_extract(data, '$.token') AS t FROM hq_events
         WHERE (member = @m OR (type IN (${ID_TYPES}) AND json_extract(data, '$.memberId') IN (SELECT key FROM hq_erased WHERE member = @m)))
           AND json_extract(data, '$.token') IS NOT NULL`,
      ),
      markErased: db.prepare(`INSERT INTO hq_erased (key, member, erased_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`),
      scrub: db.prepare(
        `UPDATE hq_events SET data = json_remove(data, ${PATHS})
         WHERE (member = @m OR (type IN (${ID_TYPES}) AND json_extract(data, '$.memberId') IN (SELECT key FROM hq_erased WHERE member = @m)))
           AND (${PERSONAL_FIELDS.map((f) => `json_type(data, '$.${f}') IS NOT NULL`).join(' OR ')})`,
      ),
      deadLettersMentioning: db.prepare(`DELETE FROM hq_dead_letters WHERE instr(CAST(payload AS TEXT), ?) > 0`),
      seen: db.prepare(
        `INSERT INTO hq_gateways (source, store, gateway, last_seen_at, last_event_time_ms, last_lag_ms, events)
         VALUES (@source, @store, @gateway, @seen, @newest, @lag, @n)
         ON CONFLICT (source) DO UPDATE SET
           last_seen_at = max(coalesce(last_seen_at, 0), excluded.last_seen_at),
           last_lag_ms = CASE WHEN excluded.last_event_time_ms >= coalesce(last_event_time_ms, 0) THEN excluded.last_lag_ms ELSE last_lag_ms END,
           last_event_time_ms = max(coalesce(last_event_time_ms, 0), excluded.last_event_time_ms),
           events = events + excluded.events`,
      ),
      dead: db.prepare(`INSERT INTO hq_dead_letters (received_at, topic, reason, detail, size, payload) VALUES (?, ?, ?, ?, ?, ?)`),
      status: db.prepare(
        `INSERT INTO hq_gateways (source, store, gateway, status, status_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET status = excluded.status, status_at = excluded.status_at`,
      ),
      member: db.prepare(
        `SELECT store, SUM(points_delta) AS points, COUNT(*) AS events FROM hq_events
         WHERE member = ? AND points_delta IS NOT NULL GROUP BY store ORDER BY store`,
      ),
      gateways: db.prepare(
        `SELECT source, store, gateway, status, status_at AS statusAt, last_seen_at AS lastSeenAt,
                last_event_time_ms AS lastEventTimeMs, last_lag_ms AS lastLagMs, events
         FROM hq_gateways ORDER BY store, gateway`,
      ),
      counts: db.prepare(`SELECT (SELECT COUNT(*) FROM hq_events) AS events, (SELECT COUNT(*) FROM hq_dead_letters) AS deadLetters`),
    };
  }

  // One transaction per batch; each gateway's row is updated once per batch, from its new events.
  const insertTx = db.transaction((batch: IngestedEvent[]) => {
    const seen = new Map<string, { source: string; store: string; gateway: string; seen: number; newest: number; lag: number; n: number }>();
    const fresh: IngestedEvent[] = [];
    const out = batch.map((e) => {
      if (st!.insert.run(e).changes === 0) return false;
      fresh.push(e);
      const g = seen.get(e.source);
      if (!g)
        seen.set(e.source, { source: e.source, store: e.store, gateway: e.gateway, seen: e.receivedAt, newest: e.timeMs, lag: e.receivedAt - e.timeMs, n: 1 });
      else {
        g.n++;
        g.seen = Math.max(g.seen, e.receivedAt);
        if (e.timeMs >= g.newest) {
          g.newest = e.timeMs;
          g.lag = e.receivedAt - e.timeMs;
        }
      }
      return true;
    });
    for (const g of seen.values()) st!.seen.run(g);
    if (rollups && fresh.length) rollups.apply(deriveRollups(fresh, rollupCfg as RollupConfig, rollupClock!));
    return out;
  });

  return {
    kind: 'sqlite',
    async migrate() {
      db.exec(hqSchemaSql({ bigint: 'INTEGER', serial: 'INTEGER PRIMARY KEY AUTOINCREMENT', blob: 'BLOB' }));
      db.exec(rollupSchemaSql({ bigint: 'INTEGER', withoutRowid: true }));
      const up = rollupUpgradeSql({ bigint: 'INTEGER' });
      db.transaction(() => {
        if (!db.prepare(`SELECT 1 FROM pragma_table_info('hq_r_member_day') WHERE name = 'touches'`).get()) for (const sql of up.touches) db.exec(sql);
        if (db.prepare(up.chainDailyNeeded).get()) for (const sql of up.chainDaily) db.exec(sql);
      }).immediate();
      st = prepare();
      if (rollupCfg) rollups = sqliteRollupWriter(db);
    },
    async insertEvent(e) {
      return insertTx([e])[0]!;
    },
    async insertEvents(batch) {
      return batch.length ? insertTx(batch) : [];
    },
    async deadLetter(d) {
      st!.dead.run(d.receivedAt, d.topic, d.reason, d.detail, d.size, d.payload);
    },
    async recordStatus(store, gateway, status, at) {
      st!.status.run(`/stores/${store}/${gateway}`, store, gateway, status, at);
    },
    async queryEvents(q: EventQuery): Promise<StoredEvent[]> {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (sql: string, ...v: unknown[]) => {
        where.push(sql);
        args.push(...v);
      };
      if (q.store) add('store = ?', q.store);
      if (q.gateway) add('gateway = ?', q.gateway);
      if (q.type) add('type = ?', q.type);
      if (q.member) add('member = ?', q.member);
      if (q.fromMs !== undefined) add('time_ms >= ?', q.fromMs);
      if (q.toMs !== undefined) add('time_ms < ?', q.toMs);
      if (q.after) add('(time_ms, source, id) > (?, ?, ?)', q.after.timeMs, q.after.source, q.after.id);
      const rows = db
        .prepare(
          `SELECT source, id, store, gateway, type, time, time_ms AS timeMs, subject, member, points_delta AS pointsDelta, data, received_at AS receivedAt
           FROM hq_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY time_ms, source, id LIMIT ?`,
        )
        .all(...args, q.limit) as (Omit<StoredEvent, 'data'> & { data: string })[];
      return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
    },
    async memberPoints(member) {
      const stores = (st!.member.all(member) as { store: string; points: number; events: number }[]).map((r) => ({ ...r, points: Number(r.points) }));
      return { member, total: stores.reduce((a, s) => a + s.points, 0), stores };
    },
    async memberPointsActivity(q) {
      const since =
        q.receivedSinceMs === undefined
          ? ''
          : 'AND member IN (SELECT member FROM hq_events WHERE received_at >= @since AND member IS NOT NULL AND points_delta IS NOT NULL)';
      return db
        .prepare(
          `SELECT member, COUNT(*) AS pointsEvents, COUNT(DISTINCT source) AS gateways FROM hq_events
           WHERE member IS NOT NULL AND points_delta IS NOT NULL AND member > @after ${since}
           GROUP BY member ORDER BY member LIMIT @limit`,
        )
        .all({
          after: q.afterMember ?? '',
          limit: q.limit,
          ...(q.receivedSinceMs === undefined ? {} : { since: q.receivedSinceMs }),
        }) as MemberPointsActivity[];
    },
    async gateways() {
      return st!.gateways.all() as GatewayRow[];
    },
    async deadLetters(q) {
      const rows = db
        .prepare(
          `SELECT seq, received_at AS receivedAt, topic, reason, detail, size, payload FROM hq_dead_letters
           ${q.reason ? 'WHERE reason = ?' : ''} ORDER BY seq DESC LIMIT ?`,
        )
        .all(...(q.reason ? [q.reason] : []), q.limit) as (Omit<DeadLetterRow, 'payload'> & { payload: Buffer })[];
      return rows.map((r) => ({ ...r, payload: r.payload.toString('utf8') }));
    },
    async counts() {
      return st!.counts.get() as { events: number; deadLetters: number };
    },
    async rollupQuery(sql, args) {
      return db.prepare(sql).all(...args) as Record<string, unknown>[];
    },
    async eraseMemberRollups(member) {
      db.transaction(() => {
        for (const sql of ERASE_MEMBER_SQL) db.prepare(sql).run(member);
      }).immediate();
    },
    async eraseMember(member, at): Promise<ErasureResult> {
      return db.transaction(() => {
        const memberIds = (st!.memberIds.all(member) as { id: unknown }[]).map((r) => String(r.id));
        for (const k of [member, ...memberIds]) st!.markErased.run(k, member, at);
        const tokens = (st!.tokens.all({ m: member }) as { t: unknown }[]).map((r) => String(r.t));
        const events = st!.scrub.run({ m: member }).changes;
        let deadLetters = 0;
        // As JSON strings ("M-1", quotes included), so M-1 does not also match M-10.
        for (const k of [member, ...memberIds, ...tokens]) deadLetters += st!.deadLettersMentioning.run(JSON.stringify(k)).changes;
        for (const sql of ERASE_MEMBER_SQL) db.prepare(sql).run(member);
        return { member, events, deadLetters, memberIds };
      })();
    },
    async close() {
      db.close();
    },
  };
}
