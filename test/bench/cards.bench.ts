/**
 * `npm run bench:cards` (issue 3): tap to identity over the real stack. A virtual card
 * connects to vpcd, pcscd notices it, nfc-pcsc hands it to the gateway (startGateway, this
 * process, readers from `cards.readers`), the tap pipeline reads and tokenises it, and the
 * till service answers the lane's `identify {card:true}` with the member the card is linked
 * to. Measured per tap, from the TCP connect of the card to that answer:
 *   poll      connect → the read starts: pcscd's presence poll (every ~0.4 s), vpcd's
 *             power-up exchanges and nfc-pcsc's `card` event
 *   io        APDU round trips during the read (tap.ioMs; ~44 ms each on vpcd)
 *   gateway   the gateway's own work: the read minus its APDU waits (tap.readMs − ioMs),
 *             plus the tap's delivery to the lane and the identify (member lookup, the
 *             answer recorded in SQLite with synchronous=FULL)
 * for a storage card (Classic 1K: one UID read) and a bank card (EMV: PPSE, AID, GPO,
 * records; PAN). Both vpcd readers run at once, each alternating the two cards, at a random
 * moment relative to pcscd's poll (a customer does not tap in step with it). Debounce is
 * off: the bench taps the same two cards over and over, a store sees different cards.
 * pcscd is started and stopped by the bench (root, Debian pcscd + vsmartcard-vpcd).
 *   --taps N   taps per card type (default 200)
 * The last line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { monotonicFactory } from 'ulid';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { validateConfig } from '../../gateway/config/load';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { cardToken } from '../../gateway/core/identity/token';
import type { TillResponse } from '../../gateway/core/till/messages';
import type { CardTap } from '../../gateway/ports/card-reader';
import { CARDS, TEST_BANK_PAN, UIDS, type CardName } from '../../firmware-sim/cards/catalogue';
import { vpcdReaderName } from '../../firmware-sim/cards/vpcd';
import { startPcscd, waitFor, type PcscdHandle } from '../support/pcscd';
import { PCSCD_POLL_MS, presentCard } from './cards-vpcd';
import { round, summary } from './stats';

const { values } = parseArgs({ options: { taps: { type: 'string', default: '200' } } });
const TAPS = Number(values.taps);
if (!Number.isInteger(TAPS) || TAPS < 1) throw new Error('--taps needs a whole number ≥ 1');

const KEY = Buffer.alloc(32, 0x3e);
type Flow = 'uid' | 'emv';
const FLOWS: Record<Flow, { card: CardName; member: string; token: string }> = {
  uid: { card: 'classic-1k', member: 'B-0001', token: cardToken(KEY, 'mifare-classic-1k', UIDS.classic1k) },
  emv: { card: 'bank-card', member: 'B-0002', token: cardToken(KEY, 'emv', Buffer.from(TEST_BANK_PAN)) },
};
const READERS = [0, 1] as const;

interface Sample {
  flow: Flow;
  total: number;
  poll: number;
  io: number;
  gateway: number;
  /** Of gateway: tap delivered → identify answered (lookup and the recorded answer's commit). */
  identify: number;
}

const log = (s: string) => console.log(s);
const ulid = monotonicFactory();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What happened after a card's connect: the tap, when it was delivered, the till's answer and when. */
interface Resolved {
  tap: CardTap;
  seenAt: number;
  answer: TillResponse;
  answeredAt: number;
}

async function main() {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'trouw-bench-cards-'));
  let pcscd: PcscdHandle | undefined;
  let gw: RunningGateway | undefined;
  try {
    pcscd = await startPcscd();
    const config = validateConfig({
      database: { path: join(dir, 'gateway.db') },
      log: { level: 'info' },
      members: [
        { number: FLOWS.uid.member, name: 'Bench Storage Card', cards: [FLOWS.uid.token] },
        { number: FLOWS.emv.member, name: 'Bench Bank Card', cards: [FLOWS.emv.token] },
      ],
      cards: {
        key: KEY.toString('hex'),
        pcscdSocket: pcscd.socket,
        readers: READERS.map((r) => ({ match: vpcdReaderName(r), place: `lane:lane-${r + 1}` })),
        debounceMs: 0,
        retryMinMs: 200,
      },
    });
    // The gateway logs every tap at info, as in a store; the lines are formatted, then dropped.
    const logger = createLogger({ level: 'info' }, new Writable({ write: (_c, _e, cb) => cb() }));
    gw = await startGateway(config, { logger, listen: false });
    const running = gw;
    await waitFor('both vpcd readers up', () => running.health().devices.filter((d) => d.kind === 'card-reader' && d.state === 'up').length === 2, 30_000);

    const resolved = new Map<string, Resolved>(); // by reader name, for the card on it now
    running.cards!.readers.onTap((tap) => {
      const seenAt = performance.now();
      // The till asks at once: the lane's identify takes this tap and names the member.
      const body = JSON.stringify({ v: 1, id: ulid(), type: 'identify', card: true });
      void running.till.handle(body, { lane: tap.place!.id }).then((text) => {
        resolved.set(tap.reader, { tap, seenAt, answer: JSON.parse(text) as TillResponse, answeredAt: performance.now() });
      });
    });

    const samples: Sample[] = [];
    const failures: string[] = [];
    let done = 0;
    const perReader = TAPS; // each reader taps TAPS times, alternating the two cards
    const runReader = async (reader: number) => {
      const name = vpcdReaderName(reader);
      for (let i = 0; i < perReader; i++) {
        const flow: Flow = (i + reader) % 2 === 0 ? 'uid' : 'emv';
        const f = FLOWS[flow];
        // A random phase against pcscd's presence poll; also lets vpcd settle after the last card.
        await sleep(Math.random() * PCSCD_POLL_MS);
        resolved.delete(name);
        const { value: r, connectedAt } = await presentCard(CARDS[f.card](), { reader, seen: () => resolved.get(name), timeoutMs: 10_000 });
        const member = r.answer.type === 'identify.ok' ? r.answer.member?.number : undefined;
        if (member !== f.member) {
          failures.push(`${name} ${flow}: ${r.tap.outcome} ${r.tap.outcome === 'rejected' ? r.tap.reason : ''} → ${JSON.stringify(r.answer)}`);
          continue;
        }
        const readStart = r.seenAt - r.tap.readMs;
        samples.push({
          flow,
          total: r.answeredAt - connectedAt,
          poll: readStart - connectedAt,
          io: r.tap.ioMs,
          gateway: r.tap.readMs - r.tap.ioMs + (r.answeredAt - r.seenAt),
          identify: r.answeredAt - r.seenAt,
        });
        if (++done % 50 === 0) log(`  ${done}/${TAPS * 2} taps`);
      }
    };
    log(`bench:cards: ${TAPS} taps each of ${FLOWS.uid.card} (UID) and ${FLOWS.emv.card} (EMV), on 2 vpcd readers at once`);
    await Promise.all(READERS.map(runReader));
    if (failures.length) throw new Error(`${failures.length} taps did not name their member:\n  ${failures.slice(0, 5).join('\n  ')}`);

    const report: Record<string, number> = {};
    log('');
    log('flow   n    total p50 / p99     poll p50    io p50    gateway p50 / p99   gateway share');
    for (const flow of ['uid', 'emv'] as const) {
      const s = samples.filter((x) => x.flow === flow);
      const total = summary(s.map((x) => x.total));
      const gateway = summary(s.map((x) => x.gateway));
      const poll = summary(s.map((x) => x.poll));
      const io = summary(s.map((x) => x.io));
      const share = s.reduce((a, x) => a + x.gateway, 0) / s.reduce((a, x) => a + x.total, 0);
      log(
        `${flow.padEnd(6)} ${String(total.n).padEnd(4)} ${total.p50.toFixed(0).padStart(5)} / ${total.p99.toFixed(0).padStart(4)} ms   ` +
          `${poll.p50.toFixed(0).padStart(5)} ms  ${io.p50.toFixed(0).padStart(5)} ms    ${gateway.p50.toFixed(2).padStart(6)} / ${gateway.p99.toFixed(2).padStart(6)} ms   ${(share * 100).toFixed(2)} %`,
      );
      Object.assign(report, {
        [`${flow}_tap_p50_ms`]: round(total.p50, 1),
        [`${flow}_tap_p99_ms`]: round(total.p99, 1),
        [`${flow}_taps`]: total.n,
        [`${flow}_poll_p50_ms`]: round(poll.p50, 1),
        [`${flow}_poll_p99_ms`]: round(poll.p99, 1),
        [`${flow}_io_p50_ms`]: round(io.p50, 1),
        [`${flow}_io_p99_ms`]: round(io.p99, 1),
        [`${flow}_gateway_p50_ms`]: round(gateway.p50, 2),
        [`${flow}_gateway_p99_ms`]: round(gateway.p99, 2),
        [`${flow}_identify_p50_ms`]: round(summary(s.map((x) => x.identify)).p50, 2),
        [`${flow}_identify_p99_ms`]: round(summary(s.map((x) => x.identify)).p99, 2),
        [`${flow}_gateway_share`]: round(share, 4),
      });
    }
    const share = samples.reduce((a, x) => a + x.gateway, 0) / samples.reduce((a, x) => a + x.total, 0);
    log('');
    log('poll: connect → read starts (pcscd presence poll, vpcd power-up); io: APDU waits; gateway: the rest, identify answer included.');
    log(`runtime ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(JSON.stringify({ ...pick(report), gateway_share: round(share, 4), ...report, runtime_s: round((performance.now() - started) / 1000, 0) }));
  } finally {
    await gw?.stop();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The four headline figures first, so the JSON reads well. */
function pick(r: Record<string, number>) {
  return { uid_tap_p50_ms: r.uid_tap_p50_ms, uid_tap_p99_ms: r.uid_tap_p99_ms, emv_tap_p50_ms: r.emv_tap_p50_ms, emv_tap_p99_ms: r.emv_tap_p99_ms };
}

main().catch((e: unknown) => {
  console.error(`bench:cards failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
