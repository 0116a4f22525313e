/**
 * Redeem requests by key (issue 14): a kiosk screen sends a `requestKey` with each press, and
 * a retried press (timeout, double tap) must get the same voucher, spending once. The key is
 * written in the redeem's own transaction, so it exists exactly when the voucher does.
 */
export const migration007 = {
  version: 7,
  name: 'voucher request keys',
  sql: /* sql */ `
CREATE TABLE voucher_requests (
  request_key TEXT PRIMARY KEY,
  member_id   TEXT NOT NULL,
  code        TEXT NOT NULL REFERENCES vouchers(code)
) WITHOUT ROWID;
`,
} as const;
