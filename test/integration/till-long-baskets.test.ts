/**
 * Baskets of any real size over a real serial line (issue 14): a socat pty pair, the whole
 * gateway (`startGateway`, a serial lane) on one end, the firmware-sim till on the other. A
 * 250-line and a 1,150-line sale go as part frames (each ≤ 0x400) and are applied once;
 * a basket preview and a refund of a long sale too; a short sale still goes as one plain
 * frame, as an old till sends it. With the 0x400 single-frame limit, none of the long ones
 * could be sent at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { validateConfig } from '../../gateway/config/load';
import type { SaleLine } from '../../gateway/core/till/messages';
import { splitMessage } from '../../gateway/core/till/message-parts';
import { CATALOGUE } from '../../firmware-sim/till/catalogue';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { startSocat, type PtyPair } from '../support/socat';

const silent = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

/** A supermarket basket: catalogue items (no tobacco or gift cards: they earn nothing). */
function basket(n: number): SaleLine[] {
  const earning = CATALOGUE.filter((i) => i.category !== 'tobacco' && i.category !== 'gift-card');
  return Array.from({ length: n }, (_, i) => {
    const item = earning[i % earning.length]!;
    return {
      sku: `${item.sku.slice(0, 9)}${String(i).padStart(4, '0')}`,
      category: item.category,
      qty: 1 + (i % 3),
      amountCents: item.priceCents * (1 + (i % 3)),
    };
  });
}
const cents = (lines: SaleLine[]) => lines.reduce((a, l) => a + l.amountCents, 0);

describe('long baskets over a serial pty', () => {
  let dir: string;
  let pair: PtyPair;
  let gw: RunningGateway;
  let till: SimTill;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trouw-long-'));
    pair = await startSocat();
    const config = validateConfig({
      database: { path: join(dir, 'g.db') },
      lanes: [{ id: 'lane-1', transport: 'serial', path: pair.a }],
      members: [{ number: 'M-1', name: 'Emma Bakker' }],
      loyalty: {
        pointsPerEuro: 1,
        rounding: 'floor',
        minimumSpendCents: 0,
        expiryMonths: 12,
        multipliers: [],
        exclusions: { categories: [], skus: [] },
        promotions: [],
      },
    });
    gw = await startGateway(config, { logger: silent, listen: false });
    till = new SimTill({ transport: { kind: 'serial', path: pair.b }, journal: join(dir, 'till.jsonl'), lane: 'lane-1' });
    for (let i = 0; i < 100 && gw.health().lanes[0]?.state !== 'up'; i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await till?.close();
    await gw?.stop();
    await pair?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a short sale is still one plain frame', async () => {
    const before = till.counters.framesOut;
    const r = await till.sale({ member: 'M-1', lines: basket(5) });
    expect(r.ok && r.value).toMatchObject({ type: 'sale.ok' });
    expect(till.counters.framesOut - before).toBe(1);
  });

  it('carries a 250-line and a 1,150-line sale in parts, each applied once', async () => {
    for (const n of [250, 1150]) {
      const lines = basket(n);
      const request = till.requests.sale({ member: 'M-1', lines });
      const parts = splitMessage(JSON.stringify(request)).length;
      const before = till.counters.framesOut;
      const r = await till.send(request);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect(r.ok && r.value).toMatchObject({ type: 'sale.ok', receipt: request.receipt });
      const awarded = r.ok && r.value.type === 'sale.ok' ? r.value.pointsAwarded : 0;
      expect(awarded).toBeGreaterThanOrEqual(Math.floor(cents(lines) / 100)); // 1 per euro, times the tier
      expect(till.counters.framesOut - before).toBe(parts);
      expect(parts).toBeGreaterThan(n / 20);
      const row = gw.db.prepare('SELECT lines, points, total_cents AS cents FROM sales WHERE receipt = ?').get(request.receipt) as {
        lines: string;
        points: number;
        cents: number;
      };
      expect((JSON.parse(row.lines) as unknown[]).length).toBe(n);
      expect(row).toMatchObject({ points: awarded, cents: cents(lines) });
      // Resent (the till did not see the answer): applied once, answered as a replay.
      const again = await till.send(request);
      expect(again.ok && again.value).toMatchObject({ type: 'sale.ok', replayed: true });
      expect((gw.db.prepare('SELECT count(*) AS n FROM sales WHERE receipt = ?').get(request.receipt) as { n: number }).n).toBe(1);
    }
  });

  it('previews a 250-line basket and refunds a line of a long sale', async () => {
    const lines = basket(250);
    const preview = await till.basket(lines, 'M-1');
    expect(preview.ok && preview.value).toMatchObject({ type: 'basket.ok' });
    expect(preview.ok && preview.value.type === 'basket.ok' && preview.value.pointsPreview).toBeGreaterThanOrEqual(Math.floor(cents(lines) / 100));
    const sale = till.requests.sale({ member: 'M-1', lines });
    expect((await till.send(sale)).ok).toBe(true);
    const refund = await till.send(till.requests.refund(sale, [{ sku: lines[200]!.sku, qty: 1, amountCents: lines[200]!.amountCents / lines[200]!.qty }]));
    expect(refund.ok && refund.value).toMatchObject({ type: 'refund.ok' });
    expect(gw.health().lanes[0]).toMatchObject({ state: 'up' });
  });
});
