/**
 * Issue 16 with HQ sync on (mosquitto + the HQ ingest): before HQ's ingest subscribes, the
 * broker takes nothing, so sales stay unsent and the outbox's oldest age grows; once it runs,
 * HQ confirms them end to end (issue 13) and nothing is unsent or waiting. The HQ link and its
 * last ack are there. ("Waiting for HQ" itself is in the alert rules' promtool tests.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../gateway/config/load';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { gatewayCredentials, startTestIngest } from '../support/broker-identities';
import type { IngestService } from '../../sync/hq/ingest';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import type { HqStore } from '../../sync/hq/store';
import { until } from '../../sync/testing/harness';
import { silentLogger } from '../support/browser';

const GW = { store: 'store-a', gateway: 'gw-metrics' };
let m: Mosquitto;
let dir: string;
let hqStore: HqStore;
let ingest: IngestService | undefined;
let gw: RunningGateway;

const startHq = () => startTestIngest(m, hqStore);
const value = async (series: string) => {
  const { text } = await gw.metrics!.scrape();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
let n = 0;
const sale = () => {
  const r = JSON.parse(
    gw.till.handleText(
      JSON.stringify({
        v: 1,
        id: `s${n}`,
        type: 'sale',
        receipt: `R-${n++}`,
        lines: [{ sku: 'SKU-1', category: 'grocery', qty: 1, amountCents: 500 }],
        tenders: [{ kind: 'card', amountCents: 500 }],
      }),
      { lane: 'lane-1' },
    ),
  ) as { type: string };
  expect(r.type).toBe('sale.ok');
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-metrics-hq-'));
  m = await startMosquitto({ setup: { gateways: [GW] } });
  hqStore = openSqliteHqStore(join(dir, 'hq.db'));
  await hqStore.migrate();
  gw = await startGateway(
    validateConfig({
      store: { id: GW.store, gateway: GW.gateway },
      database: { path: join(dir, 'gateway.db') },
      sync: { brokerUrl: m.url, ...gatewayCredentials(m, GW), reconnectMinMs: 100, reconnectMaxMs: 1000, publisher: { idlePollMs: 50 } },
    }),
    { logger: silentLogger, listen: false, printPairing: () => undefined },
  );
  await until(async () => (await value('trouw_hq_link_up')) === 1, 'HQ link up in the metrics', 15_000);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await ingest?.stop();
  await hqStore?.close();
  await m?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('outbox and HQ series', () => {
  it('HQ not subscribed: the broker takes nothing (MQTT 5 "no matching subscribers"), sales wait unsent and age', async () => {
    for (let i = 0; i < 5; i++) sale();
    await until(async () => (await value('trouw_outbox_rows{state="unsent"}')) === 5, 'five sales unsent', 15_000);
    const first = (await value('trouw_outbox_oldest_age_seconds'))!;
    await new Promise((r) => setTimeout(r, 1200));
    expect((await value('trouw_outbox_oldest_age_seconds'))!).toBeGreaterThan(first);
    expect(await value('trouw_outbox_rows{state="awaiting_hq"}')).toBe(0);
    expect(await value('trouw_hq_confirmed_total')).toBe(0);
    expect(await value('trouw_hq_last_ack_timestamp_seconds')).toBe(0);
  }, 30_000);

  it('HQ back: the sales go, HQ confirms them, nothing is left unsent or waiting', async () => {
    ingest = await startHq();
    await until(async () => ((await value('trouw_hq_confirmed_total')) ?? 0) >= 5, 'HQ confirmed the sales', 30_000);
    expect(await value('trouw_outbox_rows{state="unsent"}')).toBe(0);
    expect(await value('trouw_outbox_rows{state="awaiting_hq"}')).toBe(0);
    // Confirmed rows are deleted in batches: the outbox empties soon after.
    await until(async () => (await value('trouw_outbox_oldest_age_seconds')) === 0, 'outbox empty', 15_000);
    expect((await value('trouw_hq_last_ack_timestamp_seconds'))!).toBeGreaterThan(Date.now() / 1000 - 60);
    expect((await hqStore.queryEvents({ store: GW.store, gateway: GW.gateway, limit: 100, type: 'trouw.sale.completed.v1' })).length).toBe(5);
  }, 45_000);
});
