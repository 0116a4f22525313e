/**
 * The ledger schema, v1. Money in integer cents, points in integers, instants in epoch ms,
 * business dates as store-local `YYYY-MM-DD` text. STRICT tables so a type slip is an error,
 * not a silently stored string. Index choices follow the till path: every lookup in a sale
 * is a primary-key or unique-index probe; nothing in it scans. And every B-tree a sale
 * touches is one more page in the WAL per commit and in each checkpoint, so tables are
 * clustered on what they are read by (WITHOUT ROWID) instead of carrying extra indexes.
 */
export const migration001 = {
  version: 1,
  name: 'initial ledger, idempotency and outbox',
  sql: /* sql */ `
CREATE TABLE members (
  id          TEXT PRIMARY KEY NOT NULL,                 -- ULID
  number      TEXT NOT NULL UNIQUE,                      -- member number (personal data: never logged)
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  balance     INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),  -- cache of Σ ledger_entries.points
  deficit     INTEGER NOT NULL DEFAULT 0 CHECK (deficit >= 0)   -- cache of Σ ledger_entries.deficit_delta
) STRICT, WITHOUT ROWID;

-- Card identities are HMAC tokens (DESIGN.md §5); a card number is never stored.
CREATE TABLE cards (
  token       TEXT PRIMARY KEY NOT NULL,
  member_id   TEXT NOT NULL REFERENCES members(id),
  linked_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX cards_member ON cards(member_id);

CREATE TABLE sales (
  id              INTEGER PRIMARY KEY,
  receipt         TEXT NOT NULL UNIQUE,
  member_id       TEXT REFERENCES members(id),
  -- The number as presented when it matched no member, so a later linking can find the sale.
  member_number   TEXT,
  lane            TEXT NOT NULL,
  at              INTEGER NOT NULL,                      -- when the till rang it
  business_date   TEXT NOT NULL,
  total_cents     INTEGER NOT NULL,
  eligible_cents  INTEGER NOT NULL,
  points          INTEGER NOT NULL CHECK (points >= 0),
  lines           TEXT NOT NULL,                         -- JSON [{sku,category,qty,amountCents,points}]
  returned        TEXT,                                  -- JSON returned qty per line; NULL: none
  voided_at       INTEGER,
  request_hash    TEXT NOT NULL,                         -- content hash (request without its id)
  response        TEXT NOT NULL,                         -- the sale.ok answer, for a resend under a new id
  received_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX sales_business_date ON sales(business_date);
CREATE INDEX sales_unknown_member ON sales(member_number) WHERE member_id IS NULL AND member_number IS NOT NULL;

-- Refunds (keyed by the refund's receipt) and voids (keyed by the voided sale's receipt).
CREATE TABLE returns (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('refund', 'void')),
  receipt          TEXT NOT NULL,
  sale_id          INTEGER NOT NULL REFERENCES sales(id),
  member_id        TEXT REFERENCES members(id),
  lane             TEXT NOT NULL,
  at               INTEGER NOT NULL,
  business_date    TEXT NOT NULL,
  lines            TEXT NOT NULL,                        -- JSON [{line,sku,qty,amountCents,points}]
  points_reversed  INTEGER NOT NULL CHECK (points_reversed >= 0),
  deficit          INTEGER NOT NULL CHECK (deficit >= 0),
  request_hash     TEXT NOT NULL,
  response         TEXT NOT NULL,
  UNIQUE (kind, receipt)
) STRICT;
CREATE INDEX returns_business_date ON returns(business_date);

-- Clustered by member: a member's lots are one short range of the primary key, read when a
-- reversal or a spend takes points. Lots are kept when emptied (the ledger's history).
CREATE TABLE point_lots (
  member_id   TEXT NOT NULL REFERENCES members(id),
  id          TEXT NOT NULL,                             -- ULID
  sale_id     INTEGER REFERENCES sales(id),
  earned      INTEGER NOT NULL CHECK (earned > 0),
  remaining   INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= earned),
  expires_on  TEXT NOT NULL,                             -- store-local date the points expire on
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (member_id, id)
) STRICT, WITHOUT ROWID;
-- No index on expires_on: it would be one more page in every sale's commit. The nightly
-- expiry run walks the primary key in small chunks instead (app/loyalty/points-expiry.ts).

-- Clustered by member (a member's history is one range; no separate member index to write).
CREATE TABLE ledger_entries (
  member_id      TEXT NOT NULL REFERENCES members(id),
  id             TEXT NOT NULL,                          -- ULID
  key            TEXT NOT NULL UNIQUE,                   -- idempotency key, e.g. sale:42:earn
  kind           TEXT NOT NULL CHECK (kind IN ('earn', 'burn', 'expire', 'adjust', 'reverse')),
  points         INTEGER NOT NULL,                       -- signed change of the balance
  deficit_delta  INTEGER NOT NULL DEFAULT 0,             -- signed change of the deficit
  sale_id        INTEGER REFERENCES sales(id),
  reason         TEXT,
  at             INTEGER NOT NULL,
  PRIMARY KEY (member_id, id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
  BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
  BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;

-- The idempotency record: (lane, till request id) → the exact response sent. Ids are unique
-- per till (messages.ts), so the lane is part of the key.
CREATE TABLE till_requests (
  lane          TEXT NOT NULL,
  request_id    TEXT NOT NULL,
  type          TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  response      TEXT NOT NULL,
  at            INTEGER NOT NULL,
  PRIMARY KEY (lane, request_id)
) STRICT, WITHOUT ROWID;

-- Events to publish (DESIGN.md §8), written in the same transaction as the change. No index
-- on id: ULIDs are unique by construction, and every index is one more page per sale.
CREATE TABLE outbox (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,         -- publish order; never reused
  id          TEXT NOT NULL,                             -- CloudEvents id (ULID; unique by construction)
  type        TEXT NOT NULL,                             -- e.g. trouw.sale.completed.v1
  subject     TEXT,
  time        TEXT NOT NULL,                             -- RFC 3339
  data        TEXT NOT NULL,                             -- JSON
  priority    INTEGER NOT NULL DEFAULT 0,                -- 0 business events; higher = less important
  expires_at  INTEGER                                    -- epoch ms after which it may be dropped unsent
) STRICT;
`,
} as const;
