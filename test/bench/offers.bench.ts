/**
 * bench:offers (issue 8): trigger-to-phone latency with 500 phones connected and 200 offers
 * defined, and offer evaluations per second in the pure core.
 *
 *   npm run bench:offers -- [--phones 500] [--offers 200] [--rounds 3] [--seconds 3] [--pairs 6]
 *
 * Delivery: the real gateway (startGateway, this process, HTTP on loopback) with every phone
 * a PhoneApp (firmware-sim/phone) holding its SSE stream from a second process
 * (offers-phones.ts). Presence events are injected in process: presence runs on its
 * `simulated` driver (no radio, no HCI/noble: that path is test/integration/offers-e2e.test.ts),
 * and the bench pushes members' token adverts into those in-process scanners, so the
 * presence engine decides zone entries and hands them to the offers service through its
 * presence source (`PresenceService.onEvents`, as the gateway wires it). The trigger time is
 * the zone-entered event's `at` (the engine's decision instant, seen by a second listener on
 * the same source); the phone time is when PhoneApp parsed the offer from its stream. Both
 * processes read the same wall clock. Each round every member walks into a new zone (in
 * waves of 50), so each round gives one sample per phone (more where a sequence completes).
 *
 * Evaluations: `decide()` of gateway/core/offers over the same 200 definitions, with an
 * in-memory indexed send history, one trigger after another for `--seconds`, in A/B blocks
 * (`--pairs`) against a raw baseline (kind and zone matched against every definition, the
 * best priority wins): `evals_ratio` is the median pair's decide()/raw rate, with
 * `ratio_min`/`ratio_max`. Delivery has no raw baseline here: its figure is a latency
 * through HTTP streams to another process, not a rate against a raw path.
 *
 * Last line: one JSON object.
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { startGateway } from '../../gateway/app/gateway';
import { definitionsFrom } from '../../gateway/app/offers/offers-service';
import { validateConfig } from '../../gateway/config/load';
import { OffersConfig } from '../../gateway/config/offers-schema';
import { decide, signMemberCredential, type MemberFacts, type SendHistory, type TriggerEvent } from '../../gateway/core/offers';
import type { PresenceEvent } from '../../gateway/core/presence/events';
import { epochOf, memberToken } from '../../gateway/core/presence/token';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { tokenTableFor } from '../../firmware-sim/store/devices';
import { Rng } from '../../firmware-sim/store/prng';
import { Value } from '@sinclair/typebox/value';
import { round, summary } from './stats';
import { interleave, spreadLine } from './support/interleave';

const { values: args } = parseArgs({
  options: {
    phones: { type: 'string', default: '500' },
    offers: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    pairs: { type: 'string', default: '6' },
  },
});
const PHONES = Number(args.phones);
const OFFERS = Number(args.offers);
const ROUNDS = Number(args.rounds);
const EVAL_SECONDS = Number(args.seconds);
const EVAL_PAIRS = Math.max(1, Number(args.pairs));
const ZONES = 10;
const WAVE = 50;
const WAVE_GAP_MS = 300;
const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const zone = (i: number) => `z${i % ZONES}`;

// ── 200 offers: per zone, zone-entered offers (some only for a segment), dwell offers that
// never fire in the bench's few seconds, and two-zone sequences. Each zone has unrestricted
// zone-entered offers, so every entry gets one.
function offerDefinitions(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; out.length < n; i++) {
    const z = i % ZONES;
    const k = Math.floor(i / ZONES);
    const base = {
      id: `o-${z}-${k}`,
      priority: (i * 37) % 100,
      title: { nl: `Aanbieding ${i}`, en: `Offer ${i}` },
      reward: { kind: 'discount', cents: 50 + (i % 10) * 10, categories: ['coffee'] },
    };
    const kind = k % 10;
    if (kind < 4) out.push({ ...base, trigger: { kind: 'zone-entered', zone: `z${z}` } });
    else if (kind < 7)
      out.push({
        ...base,
        trigger: { kind: 'zone-entered', zone: `z${z}` },
        audience: { segments: ['coffee-lovers'] },
        window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
      });
    else if (kind < 9) out.push({ ...base, trigger: { kind: 'dwell', zone: `z${z}`, seconds: 600 + k } });
    else out.push({ ...base, trigger: { kind: 'sequence', zones: [`z${z}`, `z${(z + 3) % ZONES}`] } });
  }
  return out;
}

/** An indexed send history for the core benchmark (the app's is SQLite). */
function memoryHistory(): SendHistory & { add(member: string, campaign: string, at: number): void } {
  const byMember = new Map<string, number[]>();
  const byCampaign = new Map<string, number>();
  const store: number[] = [];
  return {
    add(member, campaign, at) {
      const l = byMember.get(member) ?? [];
      l.push(at);
      byMember.set(member, l);
      byCampaign.set(`${member}\u0000${campaign}`, (byCampaign.get(`${member}\u0000${campaign}`) ?? 0) + 1);
      store.push(at);
    },
    memberSendsSince: (m, since) => (byMember.get(m) ?? []).filter((t) => t >= since).length,
    lastSendTo: (m) => byMember.get(m)?.at(-1),
    campaignSends: (m, c) => byCampaign.get(`${m}\u0000${c}`) ?? 0,
    storeSendsSince: (since) => {
      let n = 0;
      for (let i = store.length - 1; i >= 0 && store[i]! >= since; i--) n++;
      return n;
    },
  };
}

/**
 * Offer evaluations in A/B/A/B blocks (issue 18): B is `decide()` of gateway/core/offers over
 * the definitions, with audience, window, caps and the send history; A, the raw baseline, is
 * the least any evaluator does for the same trigger: one pass over the definitions for the
 * highest-priority offer whose trigger kind and zone match. Both sides run the same triggers
 * (one seeded stream per pair) for `blockMs` each; a pair's ratio is B's rate over A's.
 */
function benchEvaluations(definitions: unknown[], seconds: number, pairs: number) {
  const cfg = Value.Default(OffersConfig, {
    definitions,
    caps: { perMemberPerDay: 100, minGapSeconds: 0, storeRate: { max: 1_000_000, perSeconds: 1 } },
  }) as OffersConfig;
  const ctx = { offers: definitionsFrom(cfg), caps: cfg.caps, timeZone: 'Europe/Amsterdam' };
  const history = memoryHistory();
  const facts: MemberFacts[] = Array.from({ length: PHONES }, (_, i) => ({
    number: `B-${String(i + 1).padStart(6, '0')}`,
    consent: true,
    tier: 'base',
    segments: i % 2 ? ['coffee-lovers'] : [],
    joinedAt: Date.UTC(2025, i % 12, 1),
    lastBought: {},
  }));
  const kinds: TriggerEvent['kind'][] = ['zone-entered', 'zone-entered', 'zone-entered', 'dwell', 'sequence'];
  const triggers = (pair: number): TriggerEvent[] => {
    const rng = Rng.seeded(11 + pair);
    return Array.from({ length: 200 }, () => {
      const f = facts[rng.int(0, facts.length - 1)]!;
      const z = rng.int(0, ZONES - 1);
      const kind = kinds[rng.int(0, kinds.length - 1)]!;
      return {
        kind,
        member: f.number,
        visitId: 'v',
        at: 0,
        zone: `z${z}`,
        ...(kind === 'dwell' ? { seconds: 600 + rng.int(0, 19) } : {}),
        ...(kind === 'sequence' ? { zones: [`z${z}`, `z${(z + 3) % ZONES}`] } : {}),
      };
    });
  };
  const factsOf = new Map(facts.map((f) => [f.number, f]));
  const blockMs = (seconds * 1000) / pairs;
  let evals = 0;
  let sent = 0;
  let now = Date.now();
  // The engine: decide() with everything it checks, recording what it sends.
  const engineBlock = (pair: number) => {
    const ts = triggers(pair);
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < blockMs) {
      for (const t of ts) {
        const d = decide(ctx, { ...t, at: now }, factsOf.get(t.member)!, history, now);
        n++;
        if (d.send) {
          history.add(t.member, d.offer.campaign, now);
          sent++;
        }
        now += 7;
      }
    }
    evals += n;
    return n / ((performance.now() - t0) / 1000);
  };
  // The raw baseline: trigger kind and zone against every definition, the best priority wins.
  const matches = (o: (typeof ctx.offers)[number], t: TriggerEvent): boolean =>
    o.trigger.kind === t.kind &&
    (o.trigger.kind === 'sequence' ? o.trigger.zones.join(' ') === (t.zones ?? []).join(' ') : 'zone' in o.trigger && o.trigger.zone === t.zone);
  let rawHits = 0;
  const rawBlock = (pair: number) => {
    const ts = triggers(pair);
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < blockMs) {
      for (const t of ts) {
        let best: (typeof ctx.offers)[number] | undefined;
        for (const o of ctx.offers) if (matches(o, t) && (!best || o.priority > best.priority)) best = o;
        if (best) rawHits++;
        n++;
      }
    }
    return n / ((performance.now() - t0) / 1000);
  };
  return { engineBlock, rawBlock, offersDefined: ctx.offers.length, totals: () => ({ evals, sent, rawHits }) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-offers-'));
  const hq = generateKeyPairSync('ed25519');
  const rng = Rng.seeded(5);
  const members = Array.from({ length: PHONES }, (_, i) => ({ member: `B-${String(i + 1).padStart(6, '0')}`, key: rng.bytes(32) }));
  const definitions = offerDefinitions(OFFERS);
  const config = validateConfig({
    database: { path: join(dir, 'gateway.db') },
    http: { host: '127.0.0.1', port: 0, adminToken: 'bench-offers-admin-token-0123' },
    log: { level: 'warn' },
    members: members.map((m) => ({ number: m.member, name: `Bench ${m.member}` })),
    presence: {
      driver: 'simulated',
      programUuid: PROGRAM,
      scanners: Array.from({ length: ZONES }, (_, z) => ({ name: `scan-z${z}`, zone: `z${z}`, hciDevice: z }) /* the simulated driver opens nothing */),
      defaults: {
        windowMs: 1000,
        minSamples: 1,
        enterTimeMs: 0,
        enterLevelDbm: -90,
        switchMarginDb: 2,
        switchTimeMs: 0,
        exitLevelDbm: -95,
        exitTimeMs: 2000,
        absenceTimeoutMs: 3000,
      },
      evaluateIntervalMs: 50,
      tokens: tokenTableFor(members, Date.now()).map((t) => ({ member: t.member, epoch: t.epoch, token: t.token.toString(16).padStart(8, '0') })),
    },
    offers: {
      definitions,
      caps: { perMemberPerDay: 100, minGapSeconds: 0, storeRate: { max: 1_000_000, perSeconds: 1 } },
      phone: { hqPublicKey: hq.publicKey.export({ type: 'spki', format: 'pem' }).toString(), maxStreamsPerMember: 3 },
      members: members.map((m, i) => ({ number: m.member, consent: true, segments: i % 2 ? ['coffee-lovers'] : [] })),
    },
  });
  const logger = createLogger({ level: 'warn' }, new Writable({ write: (_c, _e, cb) => cb() }));
  const gw = await startGateway(config, { logger });
  const sim = gw.presence.simulated;
  if (!sim) throw new Error('presence did not start on the simulated driver');

  // Trigger instants: the zone-entered events, as the offers service's source hands them out.
  const entered = new Map<string, number>(); // `${member} ${zone}` → at
  gw.presence.onEvents((events: readonly PresenceEvent[]) => {
    for (const e of events) if (e.type === 'zone-entered' && e.subject.kind === 'member') entered.set(`${e.subject.id} ${e.zone}`, e.at);
  });

  // Phones, in their own process.
  const child = fork(fileURLToPath(new URL('./offers-phones.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const fromChild = <T>(type: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`phones: no ${type} in ${timeoutMs} ms`)), timeoutMs);
      const on = (m: unknown) => {
        if ((m as { type?: string }).type !== type) return;
        clearTimeout(t);
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
    });
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const connectT0 = Date.now();
  child.send({
    type: 'start',
    baseUrl: gw.url(),
    phones: members.map((m) => ({ member: m.member, credential: signMemberCredential({ member: m.member, exp }, hq.privateKey) })),
  });
  await fromChild('ready', 60_000);
  console.log(`phones: ${PHONES} streams open in ${Date.now() - connectT0} ms; offers defined: ${definitions.length}`);

  // Members' phones advertise where they stand: every 200 ms to the scanner of their zone.
  const standing = new Map<number, number>(); // member index → zone index
  const adverts = members.map((m) => {
    const token = memberToken(m.key, epochOf(Date.now()));
    return iBeaconAdData(PROGRAM, token >>> 16, token & 0xffff, -59).subarray(5);
  });
  const advertiser = setInterval(() => {
    for (const [i, z] of standing) sim.push({ scanner: `scan-z${z}`, rssi: -50 + rng.int(-2, 2), manufacturerData: adverts[i]! });
  }, 200);

  const collect = async () =>
    (
      await (child.send({ type: 'collect' }),
      fromChild<{ offers: Array<{ member: string; id: string; offerId: string; receivedAt: number }> }>('received', 30_000))
    ).offers;
  const roundT0 = Date.now();
  for (let r = 0; r < ROUNDS; r++) {
    const roundStart = Date.now();
    for (let w = 0; w < PHONES; w += WAVE) {
      for (let i = w; i < Math.min(PHONES, w + WAVE); i++) {
        const z = (i + r * 3) % ZONES;
        standing.set(i, z);
        sim.push({ scanner: `scan-z${z}`, rssi: -50, manufacturerData: adverts[i]! });
      }
      await sleep(WAVE_GAP_MS);
    }
    // Wait until every member's entry into this round's zone was decided and every offer
    // sent so far is on its phone (sequences completed this round add to the count).
    const sendsNow = () => (gw.db.prepare('SELECT COUNT(*) AS n FROM offer_sends').get() as { n: number }).n;
    const until = Date.now() + 60_000;
    let got = 0;
    let sent = 0;
    let entries = 0;
    while (Date.now() < until) {
      entries = members.filter((m, i) => (entered.get(`${m.member} ${zone(i + r * 3)}`) ?? 0) >= roundStart).length;
      sent = sendsNow();
      got = (await collect()).length;
      if (entries === PHONES && got >= sent) break;
      await sleep(250);
    }
    console.log(`round ${r + 1}: ${entries}/${PHONES} zone entries decided; ${got} of ${sent} offers sent so far on phones`);
    await sleep(1000);
  }
  clearInterval(advertiser);
  const received = await collect();
  const roundsS = (Date.now() - roundT0) / 1000;

  const byId = new Map(definitionsFrom(config.offers).map((d) => [d.id, d]));
  const latencies: number[] = [];
  let unmatched = 0;
  for (const o of received) {
    const d = byId.get(o.offerId);
    const z = d?.trigger.kind === 'zone-entered' ? d.trigger.zone : d?.trigger.kind === 'sequence' ? d.trigger.zones.at(-1) : undefined;
    const at = z ? entered.get(`${o.member} ${z}`) : undefined;
    if (at === undefined) unmatched++;
    else latencies.push(o.receivedAt - at);
  }
  const sends = (gw.db.prepare('SELECT COUNT(*) AS n FROM offer_sends').get() as { n: number }).n;
  child.send({ type: 'stop' });
  await new Promise((r) => child.once('exit', r));
  await gw.stop();
  rmSync(dir, { recursive: true, force: true });

  const s = summary(latencies);
  console.log(
    `delivery: ${received.length} offers received (${sends} sent; ${unmatched} without a trigger instant) over ${round(roundsS, 1)} s; trigger→phone p50 ${s.p50} ms, p90 ${s.p90} ms, p99 ${s.p99} ms, max ${s.max} ms`,
  );

  const bench = benchEvaluations(definitions, EVAL_SECONDS, EVAL_PAIRS);
  const ev = await interleave({
    pairs: EVAL_PAIRS,
    a: bench.rawBlock,
    b: bench.engineBlock,
    onPair: (q) => console.log(`  pair ${q.pair + 1}: raw match ${Math.round(q.a)}/s, decide() ${Math.round(q.b)}/s, ratio ${q.ratio.toFixed(3)}`),
  });
  const totals = bench.totals();
  console.log(
    `core: ${totals.evals} decide() calls over ${bench.offersDefined} offers in ${EVAL_SECONDS} s (A/B blocks with a raw kind-and-zone match), ${totals.sent} would send; ${Math.round(ev.bMedian)} evaluations/s against raw ${Math.round(ev.aMedian)}/s, ${spreadLine(ev)}`,
  );

  console.log(
    JSON.stringify({
      deliver_p50_ms: s.p50,
      deliver_p90_ms: s.p90,
      deliver_p99_ms: s.p99,
      deliver_max_ms: s.max,
      delivered: latencies.length,
      evals_per_s: Math.round(ev.bMedian),
      raw_evals_per_s: Math.round(ev.aMedian),
      evals_ratio: round(ev.ratio),
      ratio_min: round(ev.ratioMin),
      ratio_max: round(ev.ratioMax),
      eval_pairs: EVAL_PAIRS,
      phones: PHONES,
      offers: definitions.length,
      rounds: ROUNDS,
      trigger_source: 'presence simulated driver in process → PresenceService.onEvents → offers',
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
