/**
 * The recorders of gateway/app/metrics/gateway-metrics.ts and the ledger tallies: labels stay
 * bounded (a reader at no configured place is `unbound`, never its name), caps and reader-side
 * errors are told apart, SQLite faults count as database errors, and a sale rolled back never
 * counts.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { createGatewayMetrics } from '../../gateway/app/metrics/gateway-metrics';
import { createLedgerTallies } from '../../gateway/app/metrics/ledger-tallies';
import type { CardTap } from '../../gateway/ports/card-reader';

const clock = { now: () => 1_700_000_000_000, monotonic: () => 0 };
const metricsOn = (db = openDatabase(':memory:')) =>
  createGatewayMetrics({ db, clock, lanes: () => [], laneIds: ['1'], readerPlaces: ['lane:1'], schemaVersion: 8, version: 'test' }, { buckets: [0.001, 0.01] });
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const tap = (t: Partial<CardTap> & { outcome: CardTap['outcome'] }): CardTap =>
  ({ reader: 'ACS ACR122U PICC 00', place: { type: 'lane', id: '1' }, at: 0, readMs: 1, ioMs: 1, kind: 'emv', token: 'ab'.repeat(32), ...t }) as CardTap;

describe('gateway metrics', () => {
  it('taps by place and outcome; an unbound reader is "unbound"; reader-side failures are errors', async () => {
    const m = metricsOn();
    m.cardTap(tap({ outcome: 'identified' }));
    m.cardTap(tap({ outcome: 'rejected', reason: 'random-id', detail: '' } as Partial<CardTap> & { outcome: 'rejected' }));
    m.cardTap(tap({ outcome: 'rejected', reason: 'timeout', detail: '' } as Partial<CardTap> & { outcome: 'rejected' }));
    m.cardTap(tap({ outcome: 'identified', place: undefined }));
    m.cardTap(tap({ outcome: 'identified', place: { type: 'kiosk', id: 'not-configured' } }));
    const { text } = await m.scrape();
    expect(value(text, 'trouw_card_taps_total{place="lane:1",outcome="identified"}')).toBe(1);
    expect(value(text, 'trouw_card_taps_total{place="lane:1",outcome="random-id"}')).toBe(1);
    expect(value(text, 'trouw_card_taps_total{place="unbound",outcome="identified"}')).toBe(2);
    expect(value(text, 'trouw_card_reader_errors_total{place="lane:1"}')).toBe(1);
    expect(text).not.toContain('ACR122U');
    expect(text).not.toContain('abab');
  });

  it('offers: deliveries and caps counted, other reasons not', async () => {
    const m = metricsOn();
    for (const r of ['sent', 'sent', 'campaign-cap', 'min-gap', 'no-consent', 'quiet-hours']) m.offerDecided(r);
    const { text } = await m.scrape();
    expect(value(text, 'trouw_offers_delivered_total')).toBe(2);
    expect(value(text, 'trouw_offers_capped_total{cap="campaign-cap"}')).toBe(1);
    expect(value(text, 'trouw_offers_capped_total{cap="min-gap"}')).toBe(1);
    expect(text).not.toContain('no-consent');
  });

  it('a till fault with an SQLite code is a database error too; kiosk sessions by kind', async () => {
    const m = metricsOn();
    m.tillFault(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }));
    m.tillFault(new TypeError('a bug'));
    m.kioskSessionOpened('join');
    const { text } = await m.scrape();
    expect(value(text, 'trouw_till_faults_total')).toBe(2);
    expect(value(text, 'trouw_database_errors_total{component="till"}')).toBe(1);
    expect(value(text, 'trouw_kiosk_sessions_opened_total{kind="join"}')).toBe(1);
  });

  it('ledger tallies count committed sales only, from the start of the process', () => {
    const db = openDatabase(':memory:');
    const insert =
      db.prepare(`INSERT INTO sales (receipt, lane, at, business_date, total_cents, eligible_cents, points, lines, request_hash, response, received_at)
      VALUES (?, ?, 0, '2026-01-01', 100, 100, ?, '[]', 'h', '{}', 0)`);
    insert.run('before-start', '1', 50);
    const tallies = createLedgerTallies(db);
    insert.run('R-1', '1', 3);
    expect(() =>
      db.transaction(() => {
        insert.run('R-rolled-back', '1', 7);
        throw new Error('rolled back');
      })(),
    ).toThrow();
    insert.run('R-2', '2', 4);
    const t = tallies.read();
    expect(t.get('1')).toMatchObject({ sales: 1, points: 3 });
    expect(t.get('2')).toMatchObject({ sales: 1, points: 4 });
    insert.run('R-3', '1', 1);
    expect(tallies.read().get('1')).toMatchObject({ sales: 2, points: 4 });
  });
});
