import { afterEach, describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { makeTill, line, sale, type TestTill } from './till-service-helpers';
import { eventDefinition } from '../../sync/schemas/catalogue';
import { check } from '../../sync/schemas/check';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const answer = (tt: TestTill | undefined, body: string) => JSON.parse(tt!.till.handleText(body, { lane: 'lane-1' }));

describe('till service: input checks', () => {
  it('answers bad JSON with bad-json and id "?"', () => {
    t = makeTill();
    expect(answer(t, '{"v":1,"id":"A1","type":"ping"')).toEqual({ v: 1, id: '?', type: 'error', code: 'bad-json', message: 'body is not valid JSON' });
    expect(answer(t, '')).toMatchObject({ id: '?', code: 'bad-json' });
  });

  it('answers a body that is not an object with bad-request', () => {
    t = makeTill();
    expect(answer(t, '[1,2]')).toMatchObject({ id: '?', type: 'error', code: 'bad-request' });
    expect(answer(t, 'null')).toMatchObject({ id: '?', code: 'bad-request' });
    expect(answer(t, '"ping"')).toMatchObject({ id: '?', code: 'bad-request' });
  });

  it('checks the version before the type, echoing a usable id', () => {
    t = makeTill();
    expect(answer(t, '{"v":2,"id":"A2","type":"ping"}')).toMatchObject({ id: 'A2', code: 'unsupported-version' });
    expect(answer(t, '{"v":2,"id":"A2","type":"future-thing"}')).toMatchObject({ id: 'A2', code: 'unsupported-version' });
    expect(answer(t, '{"id":"A3","type":"ping"}')).toMatchObject({ id: 'A3', code: 'bad-request', message: expect.stringContaining('/v') });
  });

  it('answers an unknown type with unknown-type', () => {
    t = makeTill();
    expect(answer(t, '{"v":1,"id":"A4","type":"teleport"}')).toMatchObject({ id: 'A4', code: 'unknown-type' });
    expect(answer(t, '{"v":1,"id":"A4","type":"toString"}')).toMatchObject({ id: 'A4', code: 'unknown-type' });
    expect(answer(t, '{"v":1,"id":"A4"}')).toMatchObject({ id: 'A4', code: 'bad-request', message: expect.stringContaining('/type') });
  });

  it('names the first failing path on a schema failure', () => {
    t = makeTill();
    const bad = { v: 1, id: 'A5', type: 'sale', receipt: 'R1', lines: [{ sku: 'x', category: 'food', qty: 0, amountCents: 100 }], tenders: [] };
    expect(answer(t, JSON.stringify(bad))).toMatchObject({ id: 'A5', code: 'bad-request', message: expect.stringMatching(/^\/lines\/0\/qty: /) });
    expect(answer(t, JSON.stringify({ ...bad, lines: [] }))).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/^\/lines: /) });
    expect(answer(t, JSON.stringify({ v: 1, id: 'A6', type: 'ping', extra: true }))).toMatchObject({ id: 'A6', code: 'bad-request' });
    expect(
      answer(t, JSON.stringify({ v: 1, id: 'A7', type: 'sale', receipt: 'R1', lines: bad.lines.map((l) => ({ ...l, qty: 1 })), tenders: [], at: 'yesterday' })),
    ).toMatchObject({ id: 'A7', code: 'bad-request', message: expect.stringMatching(/^\/at: /) });
    expect(
      answer(
        t,
        JSON.stringify({
          v: 1,
          id: 'A8',
          type: 'sale',
          receipt: 'R1',
          lines: bad.lines.map((l) => ({ ...l, qty: 1 })),
          tenders: [],
          at: '2024-06-15T10:00:00',
        }),
      ),
    ).toMatchObject({ id: 'A8', code: 'bad-request' }); // no offset: not placeable on the store calendar
    expect(t!.count('sales')).toBe(0);
  });

  it('refuses control characters in receipts, SKUs, categories and codes, and stores nothing (issue 14)', () => {
    t = makeTill();
    t.members.create({ number: 'M-1', name: 'Ada' });
    const ok = sale('R-1', [line(1000, 'food', 'sku-1')], 'M-1');
    const bad = [
      { ...ok, receipt: 'R-\u0007-1' },
      { ...ok, receipt: 'R-1\r\nX' },
      { ...ok, receipt: 'R-\u009b1' },
      { ...ok, lines: [line(1000, 'food', 'sku\u0000')] },
      { ...ok, lines: [line(1000, 'fo\u001bod', 'sku-1')] },
      { ...ok, tenders: [{ kind: 'ca\u007frd', amountCents: 1000 }] },
      { type: 'redeem', voucher: 'ABCDE\u0008' },
      { type: 'refund', receipt: 'F\t1', original: 'R-1', lines: [{ sku: 'sku-1', qty: 1, amountCents: 1 }] },
      { type: 'hello', till: { vendor: 'Acme\u0000', version: '1' } },
    ];
    const stored = () => t!.count('sales') + t!.count('returns') + t!.count('outbox') + t!.count('till_requests');
    const before = stored();
    for (const b of bad) expect(t.send(b), JSON.stringify(b)).toMatchObject({ type: 'error', code: 'bad-request' });
    expect(stored()).toBe(before);
    expect(t.send(ok)).toMatchObject({ type: 'sale.ok', pointsAwarded: 10 });
    // Other scripts and punctuation are not control characters.
    expect(t.send(sale('Bon-Ä€·2', [line(100, 'café', 'sku-ü')], 'M-1'))).toMatchObject({ type: 'sale.ok' });
  });

  it('holds an award above the review limit, flags it to HQ, and credits nothing (issue 14)', () => {
    t = makeTill({ deps: { reviewAbovePoints: 1000 } });
    t.members.create({ number: 'M-1', name: 'Ada' });
    const huge = t.send(sale('R-H', [line(120_000_000 / 10, 'food', 'sku-1', 1)], 'M-1'));
    expect(huge).toMatchObject({ type: 'sale.ok', pointsAwarded: 0, pointsHeld: 120_000, reason: 'held-for-review', member: { balance: 0 } });
    expect(t.member('M-1').balance).toBe(0);
    const rows = t.db.prepare('SELECT type, data FROM outbox ORDER BY seq').all() as { type: string; data: string }[];
    const heldRow = rows.find((r) => r.type === 'trouw.award.held.v1')!;
    const data = JSON.parse(heldRow.data) as Record<string, unknown>;
    expect(data).toMatchObject({ receipt: 'R-H', lane: 'lane-1', memberNumber: 'M-1', points: 120_000, limit: 1000 });
    expect(check(eventDefinition('trouw.award.held.v1')!.data, data).ok).toBe(true);
    expect(JSON.parse(rows.find((r) => r.type === 'trouw.sale.completed.v1')!.data)).toMatchObject({ pointsAwarded: 0 });
    // At the limit it is an ordinary sale.
    expect(t.send(sale('R-N', [line(100_000, 'food', 'sku-1')], 'M-1'))).toMatchObject({ pointsAwarded: 1000, member: { balance: 1000 } });
  });

  it('answers "?" when the id itself is unusable', () => {
    t = makeTill();
    expect(answer(t, JSON.stringify({ v: 1, id: 'has spaces', type: 'ping' }))).toMatchObject({
      id: '?',
      code: 'bad-request',
      message: expect.stringContaining('/id'),
    });
    expect(answer(t, JSON.stringify({ v: 1, id: 42, type: 'ping' }))).toMatchObject({ id: '?', code: 'bad-request' });
    expect(answer(t, JSON.stringify({ v: 1, id: 'x'.repeat(65), type: 'ping' }))).toMatchObject({ id: '?' });
  });

  it('answers ping and hello', () => {
    t = makeTill();
    expect(answer(t, '{"v":1,"id":"P1","type":"ping"}')).toEqual({ v: 1, id: 'P1', type: 'ping.ok' });
    expect(answer(t, '{"v":1,"id":"H1","type":"hello","lane":"3","till":{"vendor":"acme","version":"1.0"}}')).toEqual({
      v: 1,
      id: 'H1',
      type: 'hello.ok',
      store: 'store-1',
      gateway: 'gw-1',
      lane: 'lane-1',
      time: new Date(t!.clock.now()).toISOString(),
    });
  });

  test.prop(
    [
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc
          .record({
            v: fc.constantFrom(1, 2, '1'),
            id: fc.string(),
            type: fc.constantFrom('sale', 'refund', 'void', 'identify', 'basket', 'end-of-day', 'nope'),
            receipt: fc.string(),
            lines: fc.jsonValue({ maxDepth: 3 }),
          })
          .map((o) => JSON.stringify(o)),
      ),
    ],
    { numRuns: 200 },
  )(
    'never throws and always answers one JSON object with v and id',
    async (body) => {
      t ??= makeTill();
      const text = await t.till.handle(body, { lane: 'lane-1' });
      expect(t.faults).toEqual([]);
      const res = JSON.parse(text);
      expect(res.v).toBe(1);
      expect(typeof res.id).toBe('string');
      expect(typeof res.type).toBe('string');
    },
    20_000,
  );
});
