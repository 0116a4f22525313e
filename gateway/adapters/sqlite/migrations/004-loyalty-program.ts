/**
 * Loyalty program depth (issue 6): tier state and monthly qualifying activity, the HQ
 * snapshot for the offline budget, spending per day (the daily cap), vouchers and reward
 * stock, expiry notices sent, bonus awards. Kept out of `members` so the till's hot row
 * stays as it was and the program can evolve on its own tables.
 *
 * Version 4: version 3 is the presence migration (002-presence.ts) written alongside.
 */
export const migration004 = {
  version: 4,
  name: 'loyalty program: tiers, offline budget, vouchers, notices, bonuses',
  sql: /* sql */ `
-- One row per member with program state: the cached tier (recomputed in each sale's and
-- return's transaction, and by the daily job for downgrades) and HQ's last confirmed balance.
CREATE TABLE member_program (
  member_id     TEXT PRIMARY KEY NOT NULL REFERENCES members(id),
  tier          TEXT NOT NULL,
  tier_since    TEXT NOT NULL,                          -- store-local date the tier was reached
  hq_balance    INTEGER,                                -- NULL: HQ never confirmed a balance
  hq_as_of      INTEGER,                                -- epoch ms of HQ's snapshot
  birthday      TEXT                                    -- MM-DD, optional
) STRICT, WITHOUT ROWID;

-- Qualifying activity per store-local month, net of returns (core/loyalty/tiers.ts).
CREATE TABLE tier_activity (
  member_id  TEXT NOT NULL REFERENCES members(id),
  month      TEXT NOT NULL,                             -- YYYY-MM
  points     INTEGER NOT NULL,
  cents      INTEGER NOT NULL,
  PRIMARY KEY (member_id, month)
) STRICT, WITHOUT ROWID;

-- Points spent per member per store-local day, for the daily cap.
CREATE TABLE member_spend_days (
  member_id  TEXT NOT NULL REFERENCES members(id),
  day        TEXT NOT NULL,
  points     INTEGER NOT NULL CHECK (points >= 0),
  PRIMARY KEY (member_id, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE vouchers (
  code            TEXT PRIMARY KEY NOT NULL,            -- canonical 11 characters (rewards/voucher-code.ts)
  member_id       TEXT NOT NULL REFERENCES members(id),
  reward_id       TEXT NOT NULL,
  points          INTEGER NOT NULL CHECK (points > 0),
  status          TEXT NOT NULL CHECK (status IN ('issued', 'redeemed', 'cancelled')),
  issued_at       INTEGER NOT NULL,
  valid_until     TEXT NOT NULL,                        -- last valid store-local date
  burn_key        TEXT NOT NULL,                        -- ledger key of the burn that paid for it
  takes           TEXT NOT NULL,                        -- JSON [{lotId, take, expiresOn}]: what a cancel gives back
  redeemed_at     INTEGER,
  redeemed_lane   TEXT,
  redeemed_receipt TEXT,
  cancelled_at    INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX vouchers_member ON vouchers(member_id, status);

-- Vouchers issued per reward in this store (stock); a cancel gives one back.
CREATE TABLE reward_stock (
  reward_id  TEXT PRIMARY KEY NOT NULL,
  issued     INTEGER NOT NULL CHECK (issued >= 0)
) STRICT, WITHOUT ROWID;

-- trouw.points.expiring.v1 sent for this lot: once per lot, however often the job runs.
CREATE TABLE lot_notices (
  member_id  TEXT NOT NULL,
  lot_id     TEXT NOT NULL,
  sent_on    TEXT NOT NULL,
  PRIMARY KEY (member_id, lot_id)
) STRICT, WITHOUT ROWID;

-- The daily job's runs by store-local date (what ran, for doctor and tests).
CREATE TABLE program_runs (
  day          TEXT PRIMARY KEY NOT NULL,
  finished_at  INTEGER NOT NULL,
  expired_lots INTEGER NOT NULL,
  notices      INTEGER NOT NULL,
  tiers_changed INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Bonus points earned without buying (visit, join, birthday), one row per award key.
CREATE TABLE bonus_awards (
  member_id  TEXT NOT NULL REFERENCES members(id),
  key        TEXT NOT NULL,                             -- e.g. visit:2024-06-15
  kind       TEXT NOT NULL,
  day        TEXT NOT NULL,
  points     INTEGER NOT NULL,
  PRIMARY KEY (member_id, key)
) STRICT, WITHOUT ROWID;
`,
} as const;
