/**
 * Offers (issue 8): each offer sent to a member with its state, code and a snapshot of what
 * it gives (so the till honours what the phone showed, whatever config says later), and the
 * members' offers consent and segment tags (HQ pushes them; config seeds them until then).
 */
export const migration005 = {
  version: 5,
  name: 'offers sent and offers consent',
  sql: /* sql */ `
CREATE TABLE offer_sends (
  id              TEXT PRIMARY KEY NOT NULL,            -- ULID
  offer_id        TEXT NOT NULL,
  campaign        TEXT NOT NULL,
  member_number   TEXT NOT NULL,
  code            TEXT NOT NULL UNIQUE,                 -- typed at the till
  trigger         TEXT NOT NULL,                        -- JSON {kind, zone?, seconds?, zones?, visitId}
  sent_at         INTEGER NOT NULL,
  valid_until     INTEGER NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('sent', 'shown', 'opened', 'dismissed', 'redeemed', 'withdrawn')),
  content         TEXT NOT NULL,                        -- JSON {title, body?, reward}
  shown_at        INTEGER,
  opened_at       INTEGER,
  dismissed_at    INTEGER,
  redeemed_at     INTEGER,
  redeemed_receipt TEXT,
  redeemed_lane   TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX offer_sends_member ON offer_sends(member_number, sent_at);
CREATE INDEX offer_sends_at ON offer_sends(sent_at);

CREATE TABLE offer_members (
  member_number  TEXT PRIMARY KEY NOT NULL,
  consent        INTEGER NOT NULL CHECK (consent IN (0, 1)),
  segments       TEXT NOT NULL DEFAULT '[]',            -- JSON array of tags
  updated_at     INTEGER NOT NULL,
  source         TEXT NOT NULL                          -- config | phone | hq
) STRICT, WITHOUT ROWID;
`,
} as const;
