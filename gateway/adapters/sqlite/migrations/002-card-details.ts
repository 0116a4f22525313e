/**
 * Cards get a kind and a short label so a member's cards can be listed ("OV-chipkaart ·3f9a")
 * without any card number; the label is derived from the token, never from card data.
 */
export const migration002 = {
  version: 2,
  name: 'card kind and label',
  sql: /* sql */ `
ALTER TABLE cards ADD COLUMN kind TEXT;
ALTER TABLE cards ADD COLUMN label TEXT;
`,
};
