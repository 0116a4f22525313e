import { afterEach, describe, expect, it } from 'vitest';
import { createMembersService, seedMembers } from '../../gateway/app/members/members';
import { openTempDb, testClock, type TempDb } from './sqlite-helpers';

let t: TempDb | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const service = () => {
  t = openTempDb();
  return createMembersService({ db: t.db, clock: testClock() });
};
const outboxTypes = () => (t!.db.prepare('SELECT type FROM outbox ORDER BY seq').all() as { type: string }[]).map((r) => r.type);

describe('members service', () => {
  it('creates a member and finds it by number', () => {
    const s = service();
    const r = s.create({ number: 'M-1', name: '  Ada  ' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ number: 'M-1', name: 'Ada', balance: 0, deficit: 0 });
    expect(r.value.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(s.findByNumber('M-1')).toEqual(r.value);
    expect(s.findById(r.value.id)).toEqual(r.value);
    expect(s.findByNumber('M-2')).toBeUndefined();
    expect(outboxTypes()).toEqual(['trouw.member.created.v1']);
  });

  it('refuses a taken or malformed number, and an empty name, without repeating the number', () => {
    const s = service();
    s.create({ number: 'M-1', name: 'Ada' });
    const taken = s.create({ number: 'M-1', name: 'Other' });
    expect(taken).toEqual({ ok: false, error: { code: 'number-taken', message: 'a member with this number exists' } });
    expect(s.create({ number: 'has space', name: 'X' })).toMatchObject({ ok: false, error: { code: 'invalid-number' } });
    expect(s.create({ number: 'M-2', name: '   ' })).toMatchObject({ ok: false, error: { code: 'invalid-name' } });
    expect(JSON.stringify([taken])).not.toContain('M-1');
  });

  it('links card tokens: again is harmless, another member’s card is refused', () => {
    const s = service();
    const a = s.create({ number: 'M-1', name: 'Ada' });
    const b = s.create({ number: 'M-2', name: 'Bob' });
    if (!a.ok || !b.ok) throw new Error('setup');
    expect(s.linkCard(a.value.id, 'token-aaaa-1')).toEqual({ ok: true, value: { linked: true } });
    expect(s.linkCard(a.value.id, 'token-aaaa-1')).toEqual({ ok: true, value: { linked: false } });
    expect(s.linkCard(b.value.id, 'token-aaaa-1')).toMatchObject({ ok: false, error: { code: 'card-linked-elsewhere' } });
    expect(s.linkCard('01NOBODY', 'token-bbbb-1')).toMatchObject({ ok: false, error: { code: 'unknown-member' } });
    expect(s.linkCard(a.value.id, 'short')).toMatchObject({ ok: false, error: { code: 'invalid-token' } });
    expect(s.findByCardToken('token-aaaa-1')).toMatchObject({ number: 'M-1' });
    expect(s.findByCardToken('token-none-1')).toBeUndefined();
    expect(s.cardTokensOf(a.value.id)).toEqual(['token-aaaa-1']);
    expect(outboxTypes()).toEqual(['trouw.member.created.v1', 'trouw.member.created.v1', 'trouw.card.linked.v1']);
  });

  it('seeds from config idempotently', () => {
    t = openTempDb();
    const seed = [
      { number: 'M-1', name: 'Ada', cards: ['token-ada-0001', 'token-ada-0002'] },
      { number: 'M-2', name: 'Bob', cards: [] },
    ];
    expect(seedMembers(t.db, seed, 1_700_000_000_000)).toEqual({ members: 2, created: 2, cardsLinked: 2, cardConflicts: 0 });
    expect(seedMembers(t.db, seed, 1_700_000_100_000)).toEqual({ members: 2, created: 0, cardsLinked: 0, cardConflicts: 0 });
    // A new card for an existing member is linked; a card already someone else's is reported.
    const more = [...seed, { number: 'M-3', name: 'Cy', cards: ['token-ada-0001', 'token-cy-0001'] }];
    expect(seedMembers(t.db, more, 1_700_000_200_000)).toEqual({ members: 3, created: 1, cardsLinked: 1, cardConflicts: 1 });
    const s = createMembersService({ db: t.db, clock: testClock() });
    expect(s.findByCardToken('token-ada-0002')).toMatchObject({ number: 'M-1', createdAt: 1_700_000_000_000 });
    expect(s.findByCardToken('token-cy-0001')).toMatchObject({ number: 'M-3' });
  });
});
