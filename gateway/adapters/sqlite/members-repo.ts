/** Members and their cards. Statements are prepared once per repo. */
import type { Db } from './open-database';

export interface MemberRow {
  id: string;
  number: string;
  name: string;
  createdAt: number;
  balance: number;
  deficit: number;
}

const COLS = 'id, number, name, created_at AS createdAt, balance, deficit';

export function createMembersRepo(db: Db) {
  const byId = db.prepare<[string], MemberRow>(`SELECT ${COLS} FROM members WHERE id = ?`);
  const byNumber = db.prepare<[string], MemberRow>(`SELECT ${COLS} FROM members WHERE number = ?`);
  const byCard = db.prepare<[string], MemberRow>(
    `SELECT m.id, m.number, m.name, m.created_at AS createdAt, m.balance, m.deficit
       FROM cards c JOIN members m ON m.id = c.member_id WHERE c.token = ?`,
  );
  const insert = db.prepare<[string, string, string, number]>('INSERT INTO members (id, number, name, created_at) VALUES (?, ?, ?, ?)');
  const setAccount = db.prepare<[number, number, string]>('UPDATE members SET balance = ?, deficit = ? WHERE id = ?');
  const cardOwner = db.prepare<[string], { memberId: string }>('SELECT member_id AS memberId FROM cards WHERE token = ?');
  const insertCard = db.prepare<[string, string, number]>('INSERT INTO cards (token, member_id, linked_at) VALUES (?, ?, ?)');
  const cardsOf = db.prepare<[string], { token: string }>('SELECT token FROM cards WHERE member_id = ? ORDER BY linked_at, token');

  return {
    byId: (id: string): MemberRow | undefined => byId.get(id),
    byNumber: (number: string): MemberRow | undefined => byNumber.get(number),
    byCardToken: (token: string): MemberRow | undefined => byCard.get(token),
    insert: (m: { id: string; number: string; name: string; createdAt: number }): void => {
      insert.run(m.id, m.number, m.name, m.createdAt);
    },
    setAccount: (id: string, balance: number, deficit: number): void => {
      setAccount.run(balance, deficit, id);
    },
    cardOwner: (token: string): string | undefined => cardOwner.get(token)?.memberId,
    insertCard: (token: string, memberId: string, linkedAt: number): void => {
      insertCard.run(token, memberId, linkedAt);
    },
    cardTokensOf: (memberId: string): string[] => cardsOf.all(memberId).map((r) => r.token),
  };
}
export type MembersRepo = ReturnType<typeof createMembersRepo>;
