/**
 * HQ storage on PostgreSQL (`pg`): for a chain, several ingest processes on several machines
 * share it. Each event is one statement (insert, and the gateway's last-seen in the same
 * implicit transaction), so an event costs one round trip and one commit. Commits are
 * durable (`synchronous_commit` as the server has it, on by default) before the PUBACK.
 */
import pg from 'pg';
import { DEFAULT_ROLLUP_CONFIG, type RollupConfig } from './rollups/config';
import { deriveRollups } from './rollups/derive';
import { ERASE_MEMBER_SQL } from './rollups/erase';
import { localClock } from './rollups/local-clock';
import { rollupSchemaSql, rollupUpgradeSql } from './rollups/schema';
import { applyPgRollups } from './rollups/write-pg';
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

// BIGINT as JS numbers: every bigint here (epoch ms, counts, points) is far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/** `?` placeholders (the SQL shared with SQLite) → `$n`. The shared SQL has no `?` in literals. */
const dollarParams = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const MINUS = PERSONAL_FIELDS.map((f) => ` - '${f}'`).join('');
const ID_TYPES = MEMBER_ID_EVENT_TYPES.map((t) => `'${t}'`).join(', ');
/** `data` (text) as stored: without personal fields when the member (number or memberId) was erased. */
const storedData = (data: string, member: string) =>
  `CASE WHEN EXISTS (SELECT 1 FROM hq_erased WHERE key = ${member} OR key = (${data}::jsonb ->> 'memberId')) THEN (${data}::jsonb${MINUS})::text ELSE ${data} END`;

/**
 * The batch insert, one statement: the new events, then each gateway's last-seen from those
 * (aggregated, so a gateway's row is updated once per statement). One result per event.
 */
async function insertBatch(q: pg.Pool | pg.PoolClient, batch: IngestedEvent[]): Promise<boolean[]> {
  const r = await q.query<{ source: string; id: string }>(
    `WITH v AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::bigint[])
         AS t(source, id, store, gateway, type, time, time_ms, subject, member, points_delta, data, received_at)
     ),
     ins AS (
       INSERT INTO hq_events (source, id, store, gateway, type, time, time_ms, subject, member, points_delta, data, received_at)
       SELECT DISTINCT ON (source, id) source, id, store, gateway, type, time, time_ms, subject, member, points_delta, ${storedData('data', 'member')}, received_at FROM v
       ON CONFLICT (source, id) DO NOTHING
       RETURNING source, id, store, gateway, time_ms, received_at
     ),
     agg AS (
       SELECT source, min(store) AS store, min(gateway) AS gateway, max(received_at) AS seen, max(time_ms) AS newest,
              (array_agg(received_at - time_ms ORDER BY time_ms DESC))[1] AS lag, count(*) AS n
       FROM ins GROUP BY source
     ),
     up AS (
       INSERT INTO hq_gateways AS g (source, store, gateway, last_seen_at, last_event_time_ms, last_lag_ms, events)
       SELECT source, store, gateway, seen, newest, lag, n FROM agg
       ON CONFLICT (source) DO UPDATE SET
         last_seen_at = GREATEST(coalesce(g.last_seen_at, 0), excluded.last_seen_at),
         last_lag_ms = CASE WHEN excluded.last_event_time_ms >= coalesce(g.last_event_time_ms, 0) THEN excluded.last_lag_ms ELSE g.last_lag_ms END,
         last_event_time_ms = GREATEST(coalesce(g.last_event_time_ms, 0), excluded.last_event_time_ms),
         events = g.events + excluded.events
     )
     SELECT source, id FROM ins`,
    [
      batch.map((e) => e.source),
      batch.map((e) => e.id),
      batch.map((e) => e.store),
      batch.map((e) => e.gateway),
      batch.map((e) => e.type),
      batch.map((e) => e.time),
      batch.map((e) => e.timeMs),
      batch.map((e) => e.subject),
      batch.map((e) => e.member),
      batch.map((e) => e.pointsDelta),
      batch.map((e) => e.data),
      batch.map((e) => e.receivedAt),
    ],
  );
  const stored = new Set(r.rows.map((x) => `${x.source}\u0000${x.id}`));
  // The first occurrence of a stored key is the one that was stored.
  return batch.map((e) => stored.delete(`${e.source}\u0000${e.id}`));
}

export function openPgHqStore(url: string, opts: { poolSize?: number; rollups?: RollupConfig | false } = {}): HqStore {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 4 });
  pool.on('error', () => undefined); // an idle client's error; the next query reports it
  const rollupCfg = opts.rollups === undefined ? DEFAULT_ROLLUP_CONFIG : opts.rollups;
  const rollupClock = rollupCfg ? localClock(rollupCfg.timeZone) : undefined;

  /** With rollups: the events and their rollups in one transaction, rollups from the new events only. */
  async function insertWithRollups(batch: IngestedEvent[]): Promise<boolean[]> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const stored = await insertBatch(c, batch);
      const fresh = batch.filter((_, i) => stored[i]);
      if (fresh.length) await applyPgRollups(c, deriveRollups(fresh, rollupCfg as RollupConfig, rollupClock!));
      await c.query('COMMIT');
      return stored;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  const INSERT = `
    WITH ins AS (
      INSERT INTO hq_events (source, id, store, gateway, type, time, time_ms, subject, member, points_delta, data, received_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text, $10, ${storedData('$11::text', '$9::text')}, $12)
      ON CONFLICT (source, id) DO NOTHING
      RETURNING 1
    )
    INSERT INTO hq_gateways AS g (source, store, gateway, last_seen_at, last_event_time_ms, last_lag_ms, events)
    SELECT $1, $3, $4, $12, $7, $12 - $7, 1 FROM ins
    ON CONFLICT (source) DO UPDATE SET
      last_seen_at = GREATEST(coalesce(g.last_seen_at, 0), excluded.last_seen_at),
      last_lag_ms = CASE WHEN excluded.last_event_time_ms >= coalesce(g.last_event_time_ms, 0) THEN excluded.last_lag_ms ELSE g.last_lag_ms END,
      last_event_time_ms = GREATEST(coalesce(g.last_event_time_ms, 0), excluded.last_event_time_ms),
      events = g.events + 1`;

  async function insertSingle(e: IngestedEvent): Promise<boolean> {
    const r = await pool.query({
      name: 'hq_insert_event',
      text: INSERT,
      values: [e.source, e.id, e.store, e.gateway, e.type, e.time, e.timeMs, e.subject, e.member, e.pointsDelta, e.data, e.receivedAt],
    });
    return (r.rowCount ?? 0) > 0;
  }

  return {
    kind: 'postgres',
    async migrate() {
      const c = await pool.connect();
      try {
        // Two ingest processes may start together: one migrates, the other waits.
        await c.query('SELECT pg_advisory_lock(7453001)');
        await c.query(hqSchemaSql({ bigint: 'BIGINT', serial: 'BIGSERIAL PRIMARY KEY', blob: 'BYTEA' }));
        await c.query(rollupSchemaSql({ bigint: 'BIGINT' }));
        const up = rollupUpgradeSql({ bigint: 'BIGINT' });
        const hasTouches = await c.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'hq_r_member_day' AND column_name = 'touches'`);
        const chainDaily = (await c.query(up.chainDailyNeeded)).rowCount! > 0;
        if (hasTouches.rowCount === 0 || chainDaily) {
          await c.query('BEGIN');
          if (hasTouches.rowCount === 0) for (const sql of up.touches) await c.query(sql);
          if (chainDaily) for (const sql of up.chainDaily) await c.query(sql);
          await c.query('COMMIT');
        }
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await c.query('SELECT pg_advisory_unlock(7453001)').catch(() => undefined);
        c.release();
      }
    },
    insertEvent: (e) => (rollupCfg ? insertWithRollups([e]).then((r) => r[0]!) : insertSingle(e)),
    async insertEvents(batch) {
      if (batch.length === 0) return [];
      if (rollupCfg) return insertWithRollups(batch);
      if (batch.length === 1) return [await insertSingle(batch[0]!)];
      return insertBatch(pool, batch);
    },
    async rollupQuery(sql, args) {
      const r = await pool.query(dollarParams(sql), [...args]);
      // numeric (sums, averages) arrives as text: every value here is a number or text.
      return r.rows.map((row: Record<string, unknown>) => {
        for (const k of Object.keys(row)) if (typeof row[k] === 'string' && r.fields.find((f) => f.name === k)?.dataTypeID === 1700) row[k] = Number(row[k]);
        return row;
      });
    },
    async eraseMemberRollups(member) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        for (const sql of ERASE_MEMBER_SQL) await c.query(dollarParams(sql), [member]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
    async deadLetter(d) {
      await pool.query('INSERT INTO hq_dead_letters (received_at, topic, reason, detail, size, payload) VALUES ($1, $2, $3, $4, $5, $6)', [
        d.receivedAt,
        d.topic,
        d.reason,
        d.detail,
        d.size,
        d.payload,
      ]);
    },
    async recordStatus(store, gateway, status, at) {
      await pool.query(
        `INSERT INTO hq_gateways (source, store, gateway, status, status_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (source) DO UPDATE SET status = excluded.status, status_at = excluded.status_at`,
        [`/stores/${store}/${gateway}`, store, gateway, status, at],
      );
    },
    async queryEvents(q: EventQuery): Promise<StoredEvent[]> {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (sql: (n: number) => string, v: unknown) => {
        args.push(v);
        where.push(sql(args.length));
      };
      if (q.store) add((n) => `store = $${n}`, q.store);
      if (q.gateway) add((n) => `gateway = $${n}`, q.gateway);
      if (q.type) add((n) => `type = $${n}`, q.type);
      if (q.member) add((n) => `member = $${n}`, q.member);
      if (q.fromMs !== undefined) add((n) => `time_ms >= $${n}`, q.fromMs);
      if (q.toMs !== undefined) add((n) => `time_ms < $${n}`, q.toMs);
      if (q.after) {
        args.push(q.after.timeMs, q.after.source, q.after.id);
        where.push(`(time_ms, source, id) > ($${args.length - 2}, $${args.length - 1}, $${args.length})`);
      }
      args.push(q.limit);
      const r = await pool.query(
        `SELECT source, id, store, gateway, type, time, time_ms AS "timeMs", subject, member, points_delta AS "pointsDelta", data, received_at AS "receivedAt"
         FROM hq_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY time_ms, source, id LIMIT $${args.length}`,
        args,
      );
      return r.rows.map((row: Omit<StoredEvent, 'data'> & { data: string }) => ({ ...row, data: JSON.parse(row.data) as unknown }));
    },
    async memberPoints(member) {
      const r = await pool.query(
        `SELECT store, SUM(points_delta)::bigint AS points, COUNT(*)::bigint AS events FROM hq_events
         WHERE member = $1 AND points_delta IS NOT NULL GROUP BY store ORDER BY store`,
        [member],
      );
      const stores = r.rows as { store: string; points: number; events: number }[];
      return { member, total: stores.reduce((a, s) => a + s.points, 0), stores };
    },
    async memberPointsActivity(q) {
      const args: unknown[] = [q.afterMember ?? '', q.limit];
      if (q.receivedSinceMs !== undefined) args.push(q.receivedSinceMs);
      const since =
        q.receivedSinceMs === undefined
          ? ''
          : 'AND member IN (SELECT member FROM hq_events WHERE received_at >= $3 AND member IS NOT NULL AND points_delta IS NOT NULL)';
      // COLLATE "C": byte order, the same as SQLite's, so keyset paging by member agrees with `>`.
      const r = await pool.query(
        `SELECT member, COUNT(*)::bigint AS "pointsEvents", COUNT(DISTINCT source)::bigint AS gateways FROM hq_events
         WHERE member IS NOT NULL AND points_delta IS NOT NULL AND member COLLATE "C" > $1 ${since}
         GROUP BY member ORDER BY member COLLATE "C" LIMIT $2`,
        args,
      );
      return r.rows as MemberPointsActivity[];
    },
    async gateways() {
      const r = await pool.query(
        `SELECT source, store, gateway, status, status_at AS "statusAt", last_seen_at AS "lastSeenAt",
                last_event_time_ms AS "lastEventTimeMs", last_lag_ms AS "lastLagMs", events
         FROM hq_gateways ORDER BY store, gateway`,
      );
      return r.rows as GatewayRow[];
    },
    async deadLetters(q) {
      const r = await pool.query(
        `SELECT seq, received_at AS "receivedAt", topic, reason, detail, size, payload FROM hq_dead_letters
         ${q.reason ? 'WHERE reason = $2' : ''} ORDER BY seq DESC LIMIT $1`,
        q.reason ? [q.limit, q.reason] : [q.limit],
      );
      return r.rows.map((row: Omit<DeadLetterRow, 'payload'> & { payload: Buffer }) => ({ ...row, payload: row.payload.toString('utf8') }));
    },
    async counts() {
      const r = await pool.query(`SELECT (SELECT COUNT(*) FROM hq_events)::bigint AS events, (SELECT COUNT(*) FROM hq_dead_letters)::bigint AS "deadLetters"`);
      return r.rows[0] as { events: number; deadLetters: number };
    },
    async eraseMember(member, at): Promise<ErasureResult> {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const ids = await c.query<{ id: string }>(
          `SELECT DISTINCT data::jsonb ->> 'memberId' AS id FROM hq_events WHERE member = $1 AND data::jsonb ->> 'memberId' IS NOT NULL`,
          [member],
        );
        const memberIds = ids.rows.map((r) => r.id);
        await c.query(`INSERT INTO hq_erased (key, member, erased_at) SELECT k, $2, $3 FROM unnest($1::text[]) AS k ON CONFLICT (key) DO NOTHING`, [
          [member, ...memberIds],
          member,
          at,
        ]);
        const mine = `(member = $1 OR (type IN (${ID_TYPES}) AND data::jsonb ->> 'memberId' IN (SELECT key FROM hq_erased WHERE member = $1)))`;
        const tokens = (
          await c.query<{ t: string }>(`SELECT DISTINCT data::jsonb ->> 'token' AS t FROM hq_events WHERE ${mine} AND data::jsonb ? 'token'`, [member])
        ).rows.map((r) => r.t);
        const ev = await c.query(`UPDATE hq_events SET data = (data::jsonb${MINUS})::text WHERE ${mine} AND data::jsonb ?| $2::text[]`, [
          member,
          [...PERSONAL_FIELDS],
        ]);
        // As JSON strings ("M-1", quotes included), so M-1 does not also match M-10.
        const needles = [member, ...memberIds, ...tokens].map((k) => JSON.stringify(k));
        const dl = await c.query(
          `DELETE FROM hq_dead_letters WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) AS n WHERE position(convert_to(n, 'UTF8') in payload) > 0)`,
          [needles],
        );
        for (const sql of ERASE_MEMBER_SQL) await c.query(dollarParams(sql), [member]);
        await c.query('COMMIT');
        return { member, events: ev.rowCount ?? 0, deadLetters: dl.rowCount ?? 0, memberIds };
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
