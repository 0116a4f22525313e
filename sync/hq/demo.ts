/**
 * HQ for the zero-install demo (`npm start`): the embedded broker (aedes, MQTT 3.1.1), the
 * HQ ingest on SQLite, the settlement scheduler (hq-settlement.db) and, if asked, the read
 * API, in the demo's own process. The gateway's
 * sync agent connects to `brokerUrl` (no credentials: the demo broker has none).
 * `view()` is what a live view shows: events at HQ, dead letters, and per gateway its last
 * seen and sync lag.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded';
import { startIngest, type IngestService } from './ingest';
import { openSqliteHqStore } from './store-sqlite';
import { buildHqApi } from './api';
import { createMqttLink } from '../gateway/mqtt-link';
import { openSettlementDb, startHqSettlement, type HqSettlementLoop } from './settlement-loop';
import type { GatewayRow, HqStore } from './store';
import { ingestSimulation, type ChainSimOptions } from '../testing/insights-sim';

export interface DemoHqOptions {
  /** Folder for hq.db (e.g. the demo's .trouw). */
  dataDir: string;
  /** Broker port (default 0: a free one). */
  brokerPort?: number;
  /** Serve the read API on this port (127.0.0.1); omit for none. */
  apiPort?: number;
  logger?: Logger;
  /** Settlement scheduler interval (default 60 s; 0: off). */
  settleEveryMs?: number;
  /** Default Date.now. */
  clock?: () => number;
  /**
   * History behind the dashboard: a simulated chain (this store among others) over the days
   * before now, ingested before the live store connects (sync/testing/insights-sim.ts).
   */
  history?: Omit<ChainSimOptions, 'startMs'>;
}

export interface DemoHq {
  readonly brokerUrl: string;
  readonly store: HqStore;
  readonly ingest: IngestService;
  readonly apiUrl: string | undefined;
  /** Events of simulated history ingested at start (0 without `history`). */
  readonly historyEvents: number;
  /** Undefined when `settleEveryMs` is 0. */
  readonly settlement: HqSettlementLoop | undefined;
  view(): Promise<{ events: number; deadLetters: number; gateways: (GatewayRow & { silentForMs: number | null })[] }>;
  stop(): Promise<void>;
}

export async function startDemoHq(o: DemoHqOptions): Promise<DemoHq> {
  const broker: EmbeddedBroker = await startEmbeddedBroker({ ...(o.brokerPort !== undefined ? { port: o.brokerPort } : {}) });
  const store = openSqliteHqStore(join(o.dataDir, 'hq.db'));
  await store.migrate();
  const now = (o.clock ?? Date.now)();
  const dayStart = now - (now % 86_400_000);
  const historyEvents = o.history ? await ingestSimulation(store, { ...o.history, startMs: dayStart - o.history.days * 86_400_000 }) : 0;
  const ingest = await startIngest({
    url: broker.url,
    store,
    clientId: 'trouw-demo-hq',
    reconnectMinMs: 200,
    reconnectMaxMs: 2000,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const settling = startSettling(broker.url, store, o);
  let api: FastifyInstance | undefined;
  let apiUrl: string | undefined;
  if (o.apiPort !== undefined) {
    api = await buildHqApi({ store, ...(o.logger ? { logger: o.logger } : {}) });
    apiUrl = await api.listen({ host: '127.0.0.1', port: o.apiPort });
  }
  return {
    brokerUrl: broker.url,
    store,
    ingest,
    apiUrl,
    historyEvents,
    settlement: settling?.loop,
    async view() {
      const now = Date.now();
      const [counts, gateways] = await Promise.all([store.counts(), store.gateways()]);
      return { ...counts, gateways: gateways.map((g) => ({ ...g, silentForMs: g.lastSeenAt === null ? null : now - g.lastSeenAt })) };
    },
    async stop() {
      await api?.close();
      await settling?.stop();
      await ingest.stop();
      await store.close();
      await broker.stop();
    },
  };
}

function startSettling(brokerUrl: string, store: HqStore, o: DemoHqOptions) {
  const every = o.settleEveryMs ?? 60_000;
  if (every <= 0) return undefined;
  const logger = o.logger ?? pino({ level: 'silent' });
  const link = createMqttLink({ url: brokerUrl, clientId: 'trouw-demo-hq-settle', reconnectMinMs: 200, reconnectMaxMs: 2000, logger });
  const db = openSettlementDb(join(o.dataDir, 'hq-settlement.db'));
  const loop = startHqSettlement({ store, db, link, clock: o.clock ?? Date.now, logger, intervalMs: every });
  return {
    loop,
    async stop() {
      await loop.stop();
      await link.close();
      db.close();
    },
  };
}
