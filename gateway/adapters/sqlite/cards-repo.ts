/** Linked cards as store IT and the kiosk see them: a reference, kind and label, never the token. */
import type { Db } from './open-database';

export interface LinkedCard {
  /** Short reference for unlinking: a prefix of the token, which is itself an HMAC (no card data). */
  ref: string;
  kind: string | null;
  label: string | null;
  linkedAt: number;
}

export const cardRef = (token: string) => token.slice(0, 12);

export function createCardsRepo(db: Db) {
  const setDetails = db.prepare<[string, string, string]>('UPDATE cards SET kind = ?, label = ? WHERE token = ?');
  const list = db.prepare<[string], { token: string; kind: string | null; label: string | null; linkedAt: number }>(
    'SELECT token, kind, label, linked_at AS linkedAt FROM cards WHERE member_id = ? ORDER BY linked_at, token',
  );
  const remove = db.prepare<[string, string]>('DELETE FROM cards WHERE member_id = ? AND token = ?');
  return {
    setDetails: (token: string, kind: string, label: string) => void setDetails.run(kind, label, token),
    listFor: (memberId: string): (LinkedCard & { token: string })[] =>
      list.all(memberId).map((r) => ({ token: r.token, ref: cardRef(r.token), kind: r.kind, label: r.label, linkedAt: r.linkedAt })),
    remove: (memberId: string, token: string): boolean => remove.run(memberId, token).changes > 0,
  };
}
