/**
 * Two pages fewer on a sale's commit (issue 18, docs/till-link.md "Write path cost").
 *
 * 1. A sale's idempotency record without a second copy of the sale's content hash. Since
 *    migration 008 a sale's record names its sale (`sale_id`) instead of holding the answer;
 *    it still held `request_hash`, 43 characters the sale row holds too (the same hash: the
 *    sale is written with the request's). Every sale appends one record to `till_requests`, a
 *    WITHOUT ROWID tree that splits into half-full pages, so the record's size sets how often
 *    a sale's commit writes two or three pages of it instead of one: ~100 bytes a record
 *    before, ~57 after. A sale's record now leaves
 *    `request_hash` NULL; the hash is read from the sale. Other records (identify, refund,
 *    void, redeem, a sale resent under a new id) keep theirs. Existing sale records whose
 *    hash is their sale's are converted.
 *
 * 2. The outbox without AUTOINCREMENT. AUTOINCREMENT keeps the highest seq ever given in
 *    `sqlite_sequence`, one more page in every commit that appends an event: a whole page
 *    per sale. Seqs must still never be reused (the publisher's cursor and its in-flight
 *    state are keyed by seq, and `sync_outbox_rejected` by seq too), and a plain rowid
 *    would reuse one once the newest rows are deleted. So `outbox_floor` keeps the highest
 *    seq deleted while it was the newest row (a trigger, whoever deletes: the publisher's
 *    acks, TTL, cap, rejects), and the writer takes max(newest seq, floor) + 1. The floor
 *    changes only when the publisher deletes the newest row, in the publisher's own
 *    transaction, never in a sale's.
 *
 * Both tables are rebuilt (SQLite can neither drop NOT NULL nor AUTOINCREMENT in place),
 * inside the migration's transaction; seqs are kept. The outbox is small when HQ is reachable
 * (rows leave on HQ's ack); a backlog is copied at ~12 s per million ~350-byte rows (measured
 * on the loaded 2-core CI box), once, at the upgrade's start.
 */
export const migration009 = {
  version: 9,
  name: 'sale idempotency record without its hash, outbox without AUTOINCREMENT',
  sql: /* sql */ `
CREATE TABLE till_requests_v9 (
  lane          TEXT NOT NULL,
  request_id    TEXT NOT NULL,
  type          TEXT NOT NULL,
  request_hash  TEXT,                                   -- NULL: sales.request_hash of sale_id
  response      TEXT,                                   -- NULL: sales.response of sale_id
  sale_id       INTEGER REFERENCES sales(id),
  at            INTEGER NOT NULL,
  PRIMARY KEY (lane, request_id),
  CHECK ((response IS NULL) = (sale_id IS NOT NULL)),
  CHECK (request_hash IS NOT NULL OR sale_id IS NOT NULL)
) STRICT, WITHOUT ROWID;
INSERT INTO till_requests_v9 (lane, request_id, type, request_hash, response, sale_id, at)
  SELECT r.lane, r.request_id, r.type,
         CASE WHEN s.id IS NOT NULL AND s.request_hash = r.request_hash THEN NULL ELSE r.request_hash END,
         r.response, r.sale_id, r.at
    FROM till_requests r LEFT JOIN sales s ON s.id = r.sale_id;
DROP TABLE till_requests;
ALTER TABLE till_requests_v9 RENAME TO till_requests;

CREATE TABLE outbox_v9 (
  seq         INTEGER PRIMARY KEY,                       -- publish order; never reused: max(newest, outbox_floor) + 1
  id          TEXT NOT NULL,                             -- CloudEvents id (ULID; unique by construction)
  type        TEXT NOT NULL,
  subject     TEXT,
  time        TEXT NOT NULL,                             -- RFC 3339
  data        TEXT NOT NULL,                             -- JSON
  priority    INTEGER NOT NULL DEFAULT 0,                -- 0 business events; higher = less important
  expires_at  INTEGER                                    -- epoch ms after which it may be dropped unsent
) STRICT;
INSERT INTO outbox_v9 (seq, id, type, subject, time, data, priority, expires_at)
  SELECT seq, id, type, subject, time, data, priority, expires_at FROM outbox ORDER BY seq;
CREATE TABLE outbox_floor (
  k    INTEGER PRIMARY KEY CHECK (k = 1),
  seq  INTEGER NOT NULL                                  -- no outbox row will have a seq at or below this one again
) STRICT;
INSERT INTO outbox_floor (k, seq)
  SELECT 1, max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), coalesce((SELECT max(seq) FROM outbox), 0));
DROP TABLE outbox;
ALTER TABLE outbox_v9 RENAME TO outbox;
CREATE INDEX outbox_priority_seq ON outbox(priority, seq);
CREATE INDEX outbox_expires_at ON outbox(expires_at) WHERE expires_at IS NOT NULL;
-- Only the newest row's delete can free a seq for reuse: remember it.
CREATE TRIGGER outbox_floor_newest_deleted AFTER DELETE ON outbox
  WHEN OLD.seq > coalesce((SELECT max(seq) FROM outbox), 0) AND OLD.seq > (SELECT seq FROM outbox_floor WHERE k = 1)
  BEGIN UPDATE outbox_floor SET seq = OLD.seq WHERE k = 1; END;
`,
} as const;
