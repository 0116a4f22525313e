/**
 * Outbox indexes the sync publisher reads by (issue 5, docs/sync.md): rows in
 * (priority, seq) order, so sales go before presence detail without sorting a backlog, and a
 * partial index on `expires_at` for the TTL sweep (only non-business rows carry one).
 * `IF NOT EXISTS`: sync/gateway/tables.ts creates the same indexes on databases that
 * predate this migration, so either may have run first.
 */
export const migration006 = {
  version: 6,
  name: 'outbox indexes for the sync publisher',
  sql: /* sql */ `
CREATE INDEX IF NOT EXISTS outbox_priority_seq ON outbox(priority, seq);
CREATE INDEX IF NOT EXISTS outbox_expires_at ON outbox(expires_at) WHERE expires_at IS NOT NULL;
`,
} as const;
