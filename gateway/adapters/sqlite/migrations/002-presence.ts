/**
 * Presence (issue 4): zone events and visits of consenting members and fixed tags, kept for
 * the configured retention (default 24 h) and then purged, and daily aggregates per zone
 * that carry no identity and are kept. Raw RSSI, tokens and addresses are never stored.
 *
 * Version 3: version 2 is the card-details migration written alongside this one.
 */
export const migrationPresence = {
  version: 3,
  name: 'presence events, visits and daily aggregates',
  sql: /* sql */ `
-- One row per zone or visit event; subject is 'member:<number>' or 'tag:<id>'. Personal data:
-- purged after presence.retentionHours and on erasure.
CREATE TABLE presence_events (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('visit-started', 'zone-entered', 'zone-left', 'visit-ended')),
  visit_id    TEXT NOT NULL,
  subject     TEXT NOT NULL,
  zone        TEXT,
  at          INTEGER NOT NULL,               -- epoch ms of the event (left: the confirmed exit)
  entered_at  INTEGER,                        -- zone-left: when the stay began
  dwell_ms    INTEGER,                        -- zone-left
  reason      TEXT                            -- zone-left / visit-ended
) STRICT;
CREATE INDEX presence_events_at ON presence_events(at);
CREATE INDEX presence_events_subject ON presence_events(subject);

CREATE TABLE presence_visits (
  id          TEXT PRIMARY KEY NOT NULL,
  subject     TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER,                        -- NULL while open
  zones       TEXT                            -- JSON [{zone, dwellMs, entries}] when ended
) STRICT, WITHOUT ROWID;
CREATE INDEX presence_visits_subject ON presence_visits(subject);
CREATE INDEX presence_visits_open ON presence_visits(started_at) WHERE ended_at IS NULL;

-- Aggregates that outlive the detail: no member, no visit id. zone '*' counts whole visits.
CREATE TABLE presence_daily (
  day         TEXT NOT NULL,                  -- store-local YYYY-MM-DD of the visit's end
  zone        TEXT NOT NULL,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('member', 'tag')),
  visits      INTEGER NOT NULL,
  entries     INTEGER NOT NULL,
  dwell_ms    INTEGER NOT NULL,
  PRIMARY KEY (day, zone, subject_kind)
) STRICT, WITHOUT ROWID;
`,
} as const;
