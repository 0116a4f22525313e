/**
 * Fewer pages per sale (issue 18, docs/till-link.md "Write path cost"). Every B-tree a sale's
 * transaction touches is at least one page in the WAL at its commit, written with its own
 * write() calls and synced; WAL frames per sale, attributed by `dbstat`, showed two that
 * carried nothing a sale needs:
 *
 * 1. `till_requests` held a sale's whole answer a second time (the `sales` row keeps it for
 *    a resend under a new id), and at ~500 bytes a row it split a page every few sales
 *    (1.87 pages per sale). A sale's record now names the sale (`sale_id`) and leaves
 *    `response` NULL; the answer is read from the sale. Other requests (identify, refund,
 *    void, redeem) keep their answer here as before. Existing sale records whose answer is
 *    the sale's own are converted; the rest (an answer given under a second id) keep theirs.
 *
 * 2. `ledger_entries` had a UNIQUE index on `key` (1.45 pages per sale: a sale's key
 *    `sale:{id}:earn` lands at a random place in a million-key tree). Every writer knows
 *    the member, so the key is unique per member instead and is the second half of the
 *    primary key: `(member_id, key)`. The member's entries stay one range of the table; the
 *    ULID `id` stays a column (unique by construction; outbox events carry it), and queries
 *    that listed a member's entries by id now sort that one member's range.
 *
 * Both tables are rebuilt (SQLite cannot change a primary key or drop NOT NULL in place),
 * inside the migration's transaction, with their triggers. About 1 s per million ledger
 * entries on the CI box.
 */
export const migration008 = {
  version: 8,
  name: 'sale write path: idempotency record by reference, ledger key in the primary key',
  sql: /* sql */ `
CREATE TABLE till_requests_v8 (
  lane          TEXT NOT NULL,
  request_id    TEXT NOT NULL,
  type          TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  response      TEXT,                                   -- NULL: the answer is sales.response of sale_id
  sale_id       INTEGER REFERENCES sales(id),
  at            INTEGER NOT NULL,
  PRIMARY KEY (lane, request_id),
  CHECK ((response IS NULL) = (sale_id IS NOT NULL))
) STRICT, WITHOUT ROWID;
INSERT INTO till_requests_v8 (lane, request_id, type, request_hash, response, sale_id, at)
  SELECT r.lane, r.request_id, r.type, r.request_hash,
         CASE WHEN s.id IS NULL THEN r.response END, s.id, r.at
    FROM till_requests r
    LEFT JOIN sales s
      ON r.type = 'sale' AND json_valid(r.response)
     AND s.receipt = json_extract(r.response, '$.receipt') AND s.response = r.response;
DROP TABLE till_requests;
ALTER TABLE till_requests_v8 RENAME TO till_requests;

CREATE TABLE ledger_entries_v8 (
  member_id      TEXT NOT NULL REFERENCES members(id),
  key            TEXT NOT NULL,                          -- idempotency key, unique per member, e.g. sale:42:earn
  id             TEXT NOT NULL,                          -- ULID
  kind           TEXT NOT NULL CHECK (kind IN ('earn', 'burn', 'expire', 'adjust', 'reverse')),
  points         INTEGER NOT NULL,
  deficit_delta  INTEGER NOT NULL DEFAULT 0,
  sale_id        INTEGER REFERENCES sales(id),
  reason         TEXT,
  at             INTEGER NOT NULL,
  PRIMARY KEY (member_id, key)
) STRICT, WITHOUT ROWID;
INSERT INTO ledger_entries_v8 (member_id, key, id, kind, points, deficit_delta, sale_id, reason, at)
  SELECT member_id, key, id, kind, points, deficit_delta, sale_id, reason, at FROM ledger_entries ORDER BY member_id, key;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_v8 RENAME TO ledger_entries;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
  BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
  BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
`,
} as const;
