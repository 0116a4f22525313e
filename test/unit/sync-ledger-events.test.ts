/**
 * Contract between the ledger (the producer of outbox rows) and sync: every event the real
 * till service, members service and points expiry write, sent by the publisher, passes HQ's
 * validation, and HQ can attribute points to members where the event says who.
 */
import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { seedMembers } from '../../gateway/app/members/members';
import { createTillService } from '../../gateway/app/till/till-service';
import { createPointsExpiry } from '../../gateway/app/loyalty/points-expiry';
import { EarningRulesConfig } from '../../gateway/config/schema';
import { createOutboxPublisher } from '../../sync/gateway/publisher';
import { createFakeLink } from '../../sync/gateway/fake-link';
import { routeAcks } from '../../sync/gateway/ack-route';
import { validateUplinkEvent } from '../../sync/schemas/validate-event';

describe('ledger events through the publisher', () => {
  it('every event the ledger writes validates against its schema', async () => {
    let now = Date.parse('2025-01-10T10:00:00Z');
    const clock = { now: () => now, monotonic: () => performance.now() };
    const db = openDatabase(':memory:');
    try {
      seedMembers(db, [{ number: 'M-1', name: 'Ann', cards: ['tok-0123456789abcdef'] }], now);
      const till = createTillService({
        db,
        rules: Value.Default(EarningRulesConfig, {}) as EarningRulesConfig,
        store: { id: 'store-a', gateway: 'gw-1', timeZone: 'Europe/Amsterdam' },
        clock,
      });
      const send = (body: object) => JSON.parse(till.handleText(JSON.stringify({ v: 1, ...body }), { lane: 'lane-1' })) as { type: string };
      const lines = [
        { sku: 'A1', category: 'food', qty: 2, amountCents: 2500 },
        { sku: 'B2', category: 'food', qty: 1, amountCents: 1200 },
      ];
      expect(send({ id: 's1', type: 'sale', receipt: 'R1', member: 'M-1', lines, tenders: [{ kind: 'card', amountCents: 3700 }] }).type).toBe('sale.ok');
      expect(send({ id: 's2', type: 'sale', receipt: 'R2', member: 'M-1', lines, tenders: [{ kind: 'card', amountCents: 3700 }] }).type).toBe('sale.ok');
      expect(send({ id: 's3', type: 'sale', receipt: 'R3', lines, tenders: [{ kind: 'cash', amountCents: 3700 }] }).type).toBe('sale.ok');
      expect(send({ id: 'r1', type: 'refund', receipt: 'F1', original: 'R1', lines: [{ sku: 'A1', qty: 1, amountCents: 1250 }] }).type).toBe('refund.ok');
      expect(send({ id: 'v1', type: 'void', receipt: 'R2' }).type).toBe('void.ok');
      now = Date.parse('2027-06-01T10:00:00Z');
      createPointsExpiry({ db, clock, timeZone: 'Europe/Amsterdam' }).runAll(now);

      const link = createFakeLink();
      const pub = createOutboxPublisher({ db, link, address: { store: 'store-a', gateway: 'gw-1' }, idlePollMs: 5 });
      await routeAcks(link, pub, { store: 'store-a', gateway: 'gw-1' });
      pub.start();
      await pub.whenDrained();
      await pub.stop();
      const types = new Set<string>();
      for (const m of link.acked) {
        const v = validateUplinkEvent(m.topic, m.payload);
        expect(v.ok, `${m.topic}: ${JSON.stringify(v.ok ? '' : v.error)}`).toBe(true);
        if (v.ok) types.add(v.value.event.type);
      }
      expect([...types].sort()).toEqual([
        'trouw.card.linked.v1',
        'trouw.member.created.v1',
        'trouw.points.expired.v1',
        'trouw.sale.completed.v1',
        'trouw.sale.refunded.v1',
        'trouw.sale.voided.v1',
      ]);
    } finally {
      db.close();
    }
  });
});
