/**
 * `npm start`: a whole simulated store on embedded defaults, no system packages needed.
 * The real gateway (ledger, till service, TCP till links, HTTP health) runs in this process;
 * simulated tills connect to its lanes over TCP and ring up sales for seeded members, who
 * often tap their card at the till first (in-process card readers: no pcscd); the
 * terminal shows what happens. HQ runs here too (sync/hq/demo.ts: an embedded MQTT 3.1.1
 * broker and the HQ ingest on SQLite, .trouw/demo/hq.db); the gateway's sync agent publishes
 * its outbox to it, and the view shows events arriving at HQ and the sync lag.
 * Data: .trouw/demo/ (reset at each start). Gateway logs go to
 * .trouw/demo/gateway.log so the view stays readable.
 *   --duration S   stop after S seconds and print a summary (default: run until Ctrl-C)
 *   --lanes N      number of tills (default 2)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../../gateway/config/load';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { startGateway } from '../../gateway/app/gateway';
import { startDemoHq } from '../../sync/hq/demo';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { SimTill } from '../till/sim-till';
import { createDemoCards, DEMO_KIOSK } from './card-taps';
import { runKioskVisitors, type KioskVisit } from './kiosk-visitors';
import { demoConfig, demoMembers } from './demo-store';
import { demoPresence } from '../store/demo-presence';
import { freePort } from './free-port';
import { LedgerReader, renderView, type HqView } from './live-view';
import { runTraffic, type TillActivity } from './shopper-traffic';

const { values } = parseArgs({
  options: { duration: { type: 'string' }, lanes: { type: 'string', default: '2' }, 'data-dir': { type: 'string', default: '.trouw/demo' } },
});
const dataDir = values['data-dir']!;
const laneCount = Math.max(1, Math.min(8, Number(values.lanes)));
const durationS = values.duration ? Number(values.duration) : undefined;

async function main(): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const lanePorts = await Promise.all(Array.from({ length: laneCount }, () => freePort()));
  const hqLog = pino({ level: 'warn' }, pino.destination({ dest: `${dataDir}/hq.log`, sync: false }));
  // HQ with its insights dashboard (issue 17): months of a simulated chain — this store and
  // two others — are ingested first (a compressed clock: ~120 days in seconds), so every chart
  // has something real to show; the live store's events add to it as they arrive.
  const hq = await startDemoHq({
    dataDir,
    logger: hqLog,
    apiPort: await freePort(),
    history: {
      seed: 2026,
      stores: 3,
      members: 450,
      days: 120,
      memberPrefix: 'S-',
      joinSpread: 0.8,
      expiryDays: 60,
      storeIds: ['demo-store', 'utrecht-oudegracht', 'haarlem-station'],
      campaign: { id: 'koffie-voorjaar', fromDay: 70, toDay: 110, holdout: 0.2, triggerPurchaseProb: 0.5, effect: 0.12 },
    },
  });
  console.log(`Trouw demo HQ: insights dashboard at ${hq.apiUrl}/dashboard/ (${hq.historyEvents.toLocaleString('en-GB')} events of simulated history)`);
  // The embedded broker speaks MQTT 3.1.1 only: `protocol: auto` tries 5 and falls back.
  // Shoppers' phones walking the floor, heard by simulated scanners (the real HCI path runs in
  // the tests and in `tsx firmware-sim/store/cli.ts`); the store plays HQ's token push.
  // The store is walked first (a calibration walk: dataDir/survey.csv, radio-map.json) and
  // zones are told apart by that radio map, as in a calibrated store.
  const presenceSim = demoPresence({ memberNumbers: demoMembers.map((m) => m.number) }, { radioMapDir: dataDir });
  const base = {
    ...demoConfig({ dataDir, lanePorts, httpPort: await freePort() }),
    sync: { brokerUrl: hq.brokerUrl, reconnectMinMs: 200, reconnectMaxMs: 2000 },
    presence: presenceSim.config,
  };
  const config = loadConfig({ base, env: process.env });
  const logger = createLogger({ level: config.log.level }, pino.destination({ dest: `${dataDir}/gateway.log`, sync: false }));
  const cards = createDemoCards({
    cards: config.cards,
    lanes: config.lanes.map((l) => l.id),
    kiosks: [DEMO_KIOSK],
    members: demoMembers.map((m) => m.number),
    log: logger.child({ component: 'cards' }),
  });
  // The demo prints its kiosk URL with the key itself (below).
  const gateway = await startGateway(config, { logger, cardReaders: cards.readers, printPairing: () => undefined });
  const walking = presenceSim.start(gateway.presence);
  // The member kiosk (issue 7), served by the gateway; open it in a browser to watch the taps.
  const kioskUrl = `${gateway.url() ?? `http://127.0.0.1:${config.http.port}`}/kiosk/?kiosk=${DEMO_KIOSK}&key=${gateway.screenKeys.keyOf(DEMO_KIOSK)}`;
  console.log(`Trouw demo store: member kiosk at ${kioskUrl}`);

  const tills = config.lanes.map(
    (lane, i) =>
      new SimTill({
        transport: { kind: 'tcp', host: '127.0.0.1', port: lanePorts[i]! },
        journal: `${dataDir}/till-${lane.id}.jsonl`,
        lane: lane.id,
        receiptPrefix: `L${i + 1}`,
        members: demoMembers.map((m) => m.number),
        seed: 1000 + i,
        // A few transmission faults, so the view shows NAKs and retries at work.
        faults: { rate: 0.03, kinds: ['bitflip', 'garbage', 'duplicate', 'truncate'] },
      }),
  );
  await Promise.all(tills.map((t) => t.open().then(() => t.hello())));

  let running = true;
  const activity: { lane: string; at: number; a: TillActivity }[] = [];
  const traffic = tills.map((till, i) =>
    runTraffic({
      till,
      seed: 7 + i,
      minGapMs: 400,
      maxGapMs: 1600,
      isRunning: () => running,
      cards: { tapper: cards, lane: config.lanes[i]!.id },
      onActivity: (a) => {
        activity.push({ lane: config.lanes[i]!.id, at: Date.now(), a });
        if (activity.length > 50) activity.shift();
      },
    }),
  );

  const ledger = new LedgerReader(config.database.path);
  // Now and then a shopper walks up to the kiosk and taps (every 20-40 s; sometimes a new card).
  const kioskVisits: KioskVisit[] = [];
  const kioskTraffic = runKioskVisitors({
    tapper: cards,
    members: demoMembers,
    seed: 11,
    minGapMs: 20_000,
    maxGapMs: 40_000,
    firstAfterMs: 10_000,
    // Mostly members who have shopped by now, so the screen shows points and rewards.
    likely: () => {
      const names = new Set(
        ledger
          .topBalances(8)
          .filter((b) => b.balance > 0)
          .map((b) => b.name),
      );
      return demoMembers.filter((m) => names.has(m.name)).map((m) => m.number);
    },
    isRunning: () => running,
    onVisit: (v) => {
      kioskVisits.push(v);
      if (kioskVisits.length > 5) kioskVisits.shift();
    },
  });

  // HQ's side, read asynchronously and shown on the next draw.
  let hqView: HqView | undefined;
  const refreshHq = () =>
    hq.view().then(
      (v) => {
        const g = v.gateways.find((x) => x.store === config.store.id && x.gateway === config.store.gateway);
        hqView = { events: v.events, deadLetters: v.deadLetters, status: g?.status ?? null, lagMs: g?.lastLagMs ?? null, silentForMs: g?.silentForMs ?? null };
      },
      () => undefined,
    );
  const hqTimer = setInterval(() => void refreshHq(), 500);
  const tty = process.stdout.isTTY;
  const startedAt = Date.now();
  const draw = () => {
    const health = gateway.health();
    const readers = health.devices.filter((d) => d.kind === 'card-reader');
    const link = health.devices.find((d) => d.name === 'hq-broker');
    const out = gateway.sync?.publisher.stats();
    const hqLine = hqView
      ? {
          ...hqView,
          link: link?.state ?? 'off',
          ...(out ? { outbox: { unsent: out.unsentEstimate, awaitingHq: out.awaitingHq, awaitingHqOldestMs: out.awaitingHqOldestMs } } : {}),
        }
      : undefined;
    const text = renderView(
      {
        title: 'Trouw demo store',
        url: gateway.url(),
        kiosk: { url: kioskUrl, visits: kioskVisits },
        lanes: health.lanes,
        activity,
        cards: { readers, stats: cards.stats },
        ...(hqLine ? { hq: hqLine } : {}),
        presence: { occupancy: gateway.presence.occupancy().zones, truth: walking.truth() },
        startedAt,
        now: Date.now(),
      },
      ledger,
      tty,
    );
    process.stdout.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
  };
  const timer = setInterval(draw, tty ? 1000 : 5000);

  const stop = async () => {
    if (!running) return;
    running = false;
    clearInterval(timer);
    await Promise.all([...traffic, kioskTraffic]);
    await Promise.all(tills.map((t) => t.close()));
    // Let the last events reach HQ before the final picture.
    const drainUntil = Date.now() + 3000;
    while (ledger.outboxDepth() > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 100));
    await refreshHq();
    clearInterval(hqTimer);
    draw();
    ledger.close();
    walking.stop();
    await gateway.stop();
    await hq.stop();
    // Re-open to audit what the store holds after a clean shutdown.
    const { openDatabase } = await import('../../gateway/adapters/sqlite/open-database');
    const db = openDatabase(config.database.path);
    const audit = auditLedger(db);
    db.close();
    console.log(
      `\nledger audit: integrity ${audit.integrity}, balances match entries: ${audit.balancesMatchEntries}, lots match balances: ${audit.lotsMatchBalances}`,
    );
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (durationS) setTimeout(() => void stop(), durationS * 1000);
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
