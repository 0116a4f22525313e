import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Type } from '@sinclair/typebox';
import { ensureOutboxTable } from '../../sync/gateway/tables';
import { createOutboxWriter } from '../../sync/gateway/outbox-writer';
import { defineEvent } from '../../sync/schemas/define-event';
import { SaleCompleted } from '../../sync/schemas/till-events';
import { PresenceVisitStarted } from '../../sync/schemas/presence-events';
import { isFault } from '../../gateway/core/faults';

let db: Database.Database | undefined;
afterEach(() => db?.close());

const open = () => {
  db = new Database(':memory:');
  ensureOutboxTable(db);
  return db;
};
const rows = (d: Database.Database) =>
  d.prepare('SELECT id, type, subject, time, data, priority, expires_at AS expiresAt FROM outbox ORDER BY seq').all() as Array<Record<string, unknown>>;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

describe('the one outbox writer', () => {
  it("builds the row from the definition: id, type, time, the type's priority", () => {
    const d = open();
    const w = createOutboxWriter(d, { newId: () => '01J00000000000000000000000' });
    w.append({ event: SaleCompleted, subject: 'R1', at: T0, data: { receipt: 'R1', pointsAwarded: 3, extra: 'kept' } });
    expect(rows(d)).toEqual([
      {
        id: '01J00000000000000000000000',
        type: 'trouw.sale.completed.v1',
        subject: 'R1',
        time: '2026-01-05T09:00:00.000Z',
        data: JSON.stringify({ receipt: 'R1', pointsAwarded: 3, extra: 'kept' }),
        priority: 0,
        expiresAt: null,
      },
    ]);
  });

  it("refuses data that fails the type's schema, and the change it reports rolls back with it", () => {
    const d = open();
    d.exec('CREATE TABLE sales (receipt TEXT)');
    const w = createOutboxWriter(d);
    const sell = d.transaction(() => {
      d.prepare('INSERT INTO sales VALUES (?)').run('R1');
      // pointsAwarded missing; a card number is forbidden outright.
      w.append({ event: SaleCompleted, at: T0, data: { receipt: 'R1', pan: '4111111111111111' } as never });
    });
    let thrown: unknown;
    try {
      sell();
    } catch (e) {
      thrown = e;
    }
    expect(isFault(thrown, 'TROUW_OUTBOX_EVENT_INVALID')).toBe(true);
    expect((thrown as Error).message).toMatch(/trouw\.sale\.completed\.v1/);
    expect(rows(d)).toEqual([]);
    expect(d.prepare('SELECT count(*) AS n FROM sales').get()).toEqual({ n: 0 });
  });

  it('refuses a definition the catalogue does not list (HQ would not know it)', () => {
    const d = open();
    const stray = defineEvent({ type: 'trouw.stray.happened.v1', summary: 'not listed', priority: 0, data: Type.Object({}) });
    expect(() => createOutboxWriter(d).append({ event: stray, at: T0, data: {} })).toThrow(/not in the catalogue/);
    // A copy of a listed definition is not the listed one either.
    expect(() => createOutboxWriter(d).append({ event: { ...SaleCompleted }, at: T0, data: { receipt: 'R', pointsAwarded: 0 } })).toThrow(
      /not in the catalogue/,
    );
    expect(rows(d)).toEqual([]);
  });

  it('lets presence detail expire and refuses an expiry on a business row', () => {
    const d = open();
    const w = createOutboxWriter(d);
    w.append({ event: PresenceVisitStarted, at: T0, expiresAt: T0 + 1000, data: { visitId: 'V1', tag: 'T1', at: new Date(T0).toISOString() } });
    expect(rows(d)[0]).toMatchObject({ priority: 5, expiresAt: T0 + 1000 });
    expect(() => w.append({ event: SaleCompleted, at: T0, expiresAt: T0 + 1000, data: { receipt: 'R', pointsAwarded: 0 } })).toThrow(/cannot expire/);
  });
});
