/**
 * Issue 16: a real Prometheus (Debian `prometheus`, on loopback) scrapes the real gateway's
 * /metrics with the bearer token, once a second. A till (SimTill over a socat pty pair) rings
 * sales and a refund, cards are tapped at the lane (in-process readers); the series then have
 * the values these caused, as Prometheus stored them. Every label value Prometheus holds is
 * checked for member numbers, card tokens and reader names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { validateConfig } from '../../gateway/config/load';
import { createInProcessCardReaders, type InProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { cardToken } from '../../gateway/core/identity/token';
import { CARDS, UIDS } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { startSocat, type PtyPair } from '../support/socat';
import { startPrometheus, type PrometheusHandle } from '../support/prometheus';
import { silentLogger } from '../support/browser';

const KEY = new Uint8Array(32).fill(7);
const TOKEN = 'prometheus-scrape-token-0123';
const MEMBER_TOKEN = cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart);
const LINES = [{ sku: '8711000530085', category: 'coffee', qty: 2, amountCents: 1398 }];

let dir: string;
let pair: PtyPair;
let gw: RunningGateway;
let till: SimTill;
let readers: InProcessCardReaders;
let prom: PrometheusHandle;

async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; prometheus log: ${prom?.logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The value of a one-series query once it equals `want` (Prometheus scrapes every second). */
const valueReaches = (promql: string, want: number) =>
  until(`${promql} == ${want}`, async () => {
    const r = await prom.query(promql);
    return r.length === 1 && r[0]!.value === want ? r[0]!.value : undefined;
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-metrics-'));
  pair = await startSocat();
  const config = validateConfig({
    database: { path: join(dir, 'g.db') },
    http: { host: '127.0.0.1', port: 0, adminToken: 'admin-token-0123456789' },
    metrics: { token: TOKEN },
    lanes: [{ id: 'lane-1', transport: 'serial', path: pair.a }],
    till: { reconnectMinMs: 50, reconnectMaxMs: 300 },
    loyalty: { minimumSpendCents: 0 },
    members: [
      { number: 'M-1001', name: 'Sanne de Vries', cards: [MEMBER_TOKEN] },
      { number: 'M-1002', name: 'Daan Jansen' },
    ],
    cards: { readers: [{ match: 'lane reader', place: 'lane:lane-1' }], debounceMs: 0 },
  });
  readers = createInProcessCardReaders({ config: config.cards, cardKey: KEY, log: silentLogger, readers: ['lane reader'] });
  gw = await startGateway(config, { logger: silentLogger, cardReaders: readers, printPairing: () => undefined });
  till = new SimTill({ transport: { kind: 'serial', path: pair.b }, journal: join(dir, 'till.jsonl'), lane: 'lane-1', seed: 5 });
  await till.open();
  const address = new URL(gw.url()!).host;
  prom = await startPrometheus([
    { job: 'trouw', address, bearerToken: TOKEN },
    { job: 'trouw-no-token', address },
  ]);
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await till?.close();
  await gw?.stop();
  await pair?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus scraping the gateway', () => {
  it('scrapes with the token; without it the target is down (401)', async () => {
    await valueReaches('up{job="trouw"}', 1);
    await valueReaches('up{job="trouw-no-token"}', 0);
    await valueReaches('trouw_lane_up{lane="lane-1"}', 1);
    await valueReaches('trouw_sales_total{lane="lane-1"}', 0);
  });

  it('counts sales, points, a refund, till requests and card taps as they happened', async () => {
    for (const [i, member] of ['M-1001', 'M-1002', null].entries()) {
      const r = await till.sale({ receipt: `R-${i}`, member, lines: LINES, tenders: [{ kind: 'card', amountCents: 1398 }] });
      expect(r.ok && r.value.type).toBe('sale.ok');
    }
    const refund = await till.send({
      v: 1,
      id: 'refund-1',
      type: 'refund',
      receipt: 'RF-1',
      original: 'R-0',
      lines: [{ sku: LINES[0]!.sku, qty: 1, amountCents: 699 }],
    });
    expect(refund.ok && refund.value.type).toBe('refund.ok');
    const ov = CARDS['ov-chipkaart']();
    await readers.present('lane reader', { atr: ov.atr, transmit: inProcessTransmit(ov) });
    const random = CARDS['random-uid']();
    await readers.present('lane reader', { atr: random.atr, transmit: inProcessTransmit(random) });

    await valueReaches('trouw_sales_total{lane="lane-1"}', 3);
    // The rules' points for two members' sales: read from the ledger, the source of truth.
    const points = (gw.db.prepare('SELECT sum(points) AS p FROM sales').get() as { p: number }).p;
    expect(points).toBeGreaterThan(0);
    await valueReaches('trouw_points_awarded_total{lane="lane-1"}', points);
    await valueReaches('trouw_refunds_total{lane="lane-1"}', 1);
    await valueReaches('trouw_till_request_duration_seconds_count{lane="lane-1"}', 4);
    await valueReaches('trouw_lane_frames_received_total{lane="lane-1"}', 4);
    await valueReaches('trouw_card_taps_total{place="lane:lane-1",outcome="identified"}', 1);
    await valueReaches('trouw_card_taps_total{place="lane:lane-1",outcome="random-id"}', 1);
    await valueReaches('trouw_card_reader_up{place="lane:lane-1"}', 1);
    // Group commit: four requests in one to four transactions.
    await valueReaches('count(trouw_ledger_commit_duration_seconds_count >= 1)', 1);
    expect((await prom.query('process_resident_memory_bytes{job="trouw"}'))[0]?.value).toBeGreaterThan(0);
    expect((await prom.query('trouw_outbox_rows{state="unsent"}'))[0]?.value).toBeGreaterThan(0);
  }, 60_000);

  it('no label value Prometheus stored is a member number, a card token or a reader name', async () => {
    const series = await prom.series('{job="trouw"}');
    expect(series.length).toBeGreaterThan(50);
    const values = series.flatMap((s) =>
      Object.entries(s)
        .filter(([k]) => k !== '__name__')
        .map(([, v]) => v),
    );
    for (const v of values) {
      expect(v).not.toMatch(/M-10\d\d/);
      expect(v).not.toMatch(/[0-9a-f]{32}/);
      expect(v).not.toContain(MEMBER_TOKEN.slice(0, 12));
      expect(v).not.toContain('lane reader');
    }
    // Names follow the conventions: counters end in _total, times in _seconds.
    const names = new Set(series.map((s) => s.__name__!).filter((n) => n.startsWith('trouw_')));
    const meta = (await (await fetch(`${prom.url}/api/v1/metadata`)).json()) as { data: Record<string, Array<{ type: string }>> };
    for (const n of names) {
      const type = meta.data[n]?.[0]?.type;
      if (type === 'counter') expect(n, n).toMatch(/_total$/);
    }
  });
});
