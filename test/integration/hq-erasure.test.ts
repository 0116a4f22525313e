/**
 * Personal data at HQ (issue 13), on SQLite and PostgreSQL: a member's name never reaches
 * HQ's tables (stripped at ingest if an older gateway still sends it), and erase-member at
 * HQ leaves no name or card token of that member in any HQ table — events, dead letters,
 * anything — while its points (by number) stay, another member's data stays, and an event of
 * the erased member that arrives later is stored already without them. Checked by dumping
 * every table as text and searching it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ulid } from 'ulid';
import { startPostgres, type Postgres } from '../support/postgres';
import { openHqStore } from '../../sync/hq/open-store';
import { createIngestHandler } from '../../sync/hq/ingest';
import type { HqStore } from '../../sync/hq/store';
import { eventTopic } from '../../sync/envelope/topics';
import { makeCloudEvent, storeSource } from '../../sync/envelope/cloudevent';
import '../../sync/schemas/catalogue';

let postgres: Postgres;
let dir: string;
let n = 0;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-hq-erase-'));
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Every row of every table, as text (bytea/blob payloads decoded too). */
async function dumpAll(url: string): Promise<string> {
  if (!url.startsWith('postgres')) {
    const db = new Database(url, { readonly: true });
    try {
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
      return tables
        .map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all(), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)))
        .join('\n');
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'`)).rows.map((r) => r.t);
    const out: string[] = [];
    for (const t of tables) {
      const rows = await c.query(`SELECT * FROM "${t}"`);
      out.push(JSON.stringify(rows.rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)));
    }
    return out.join('\n');
  } finally {
    await c.end();
  }
}

const gw = { store: 'store-a', gateway: 'gw-1' };
const ADA = { number: 'M-42', memberId: '01JADA0000000000000000000A', name: 'Ada Lovelace', token: 'tok-ada-0001-hmac' };
const BOB = { number: 'M-7', memberId: '01JB0B0000000000000000000B', name: 'Bob Baker', token: 'tok-bob-0001-hmac' };

const kinds: [string, () => string][] = [
  ['sqlite', () => join(dir, `hq-${++n}.db`)],
  ['postgres', () => postgres.createDatabase(`hq_erase_${++n}`)],
];

describe.each(kinds)('erase-member at HQ: %s', (_kind, newUrl) => {
  let url: string;
  let store: HqStore;
  let handle: (type: string, data: unknown) => Promise<void>;
  beforeAll(async () => {
    url = newUrl();
    store = await openHqStore(url);
    const h = createIngestHandler({ store });
    handle = (type, data) =>
      h.handle({
        topic: eventTopic(gw, type),
        payload: Buffer.from(JSON.stringify(makeCloudEvent({ id: ulid(), source: storeSource(gw), type, time: new Date().toISOString(), data }))),
        retain: false,
      });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('no name ever; after the erasure no name or token of the member, its points kept, others untouched', async () => {
    for (const p of [ADA, BOB]) {
      // An older gateway still sends the name: HQ does not keep it.
      await handle('trouw.member.created.v1', { memberId: p.memberId, number: p.number, name: p.name });
      await handle('trouw.card.linked.v1', { memberId: p.memberId, token: p.token });
      await handle('trouw.sale.completed.v1', { receipt: `R-${p.number}`, memberNumber: p.number, memberId: p.memberId, pointsAwarded: 25 });
      await handle('trouw.card.tapped.v1', { kind: 'mifare-classic-1k', memberNumber: p.number, token: p.token });
    }
    // A dead letter that carries Ada's token (a forbidden field makes it bad data).
    await handle('trouw.card.linked.v1', { memberId: ADA.memberId, token: ADA.token, pan: '4111111111111111' });
    expect((await store.counts()).deadLetters).toBe(1);

    let dump = await dumpAll(url);
    expect(dump).not.toContain(ADA.name);
    expect(dump).not.toContain(BOB.name);
    expect(dump).toContain(ADA.token); // kept until erased: the card's pseudonymous identity

    const r = await store.eraseMember(ADA.number, Date.now());
    expect(r.memberIds).toEqual([ADA.memberId]);
    expect(r.events).toBeGreaterThanOrEqual(2);
    expect(r.deadLetters).toBe(1);

    // A store that was offline sends an older event of Ada's after the erasure.
    await handle('trouw.card.linked.v1', { memberId: ADA.memberId, token: 'tok-ada-late-0002' });
    await handle('trouw.card.tapped.v1', { kind: 'emv', memberNumber: ADA.number, token: 'tok-ada-late-0003' });

    dump = await dumpAll(url);
    for (const s of [ADA.name, ADA.token, 'tok-ada-late-0002', 'tok-ada-late-0003']) expect(dump, s).not.toContain(s);
    expect(dump).toContain(BOB.token);
    expect((await store.memberPoints(ADA.number)).total).toBe(25); // bookkeeping by number stays
    const read = await store.queryEvents({ member: ADA.number, limit: 100 });
    expect(read.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(read)).not.toContain('tok-ada');
  });
});
