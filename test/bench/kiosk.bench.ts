/**
 * `npm run bench:kiosk` (issue 7): time from a virtual card's tap to the member screen painted
 * in Chromium, and the kiosk page's transferred size.
 *
 * The gateway is the real one (`startGateway`, kiosk routes, SSE) on loopback; the page runs
 * in Debian Chromium (playwright-core). A tap is Sanne's OV-chipkaart on the reader bound to
 * `kiosk:k1`; "painted" is the frame after the greeting heading appeared (kiosk-screen.ts).
 * Between taps the screen goes back to its attract screen ("Klaar"), as after a visit.
 *
 * Readers: the gateway's in-process readers by default (the same tap pipeline as PC/SC: ATR,
 * UID read, token, debounce; no pcscd). With `--vpcd` the taps also go through vsmartcard's
 * vpcd and a real pcscd read by nfc-pcsc (needs root and the pcscd/vsmartcard-vpcd packages;
 * it starts its own pcscd); the tap moment is then the card's TCP connect to vpcd, so the
 * figures include pcscd's ~0.4 s presence polling.
 * In-process, the taps run in A/B/A/B blocks (`--pairs`) against a raw screen: a bare page
 * with an EventSource in the same Chromium, the greeting pushed by node:http (issue 18);
 * `ratio` is raw p50 / kiosk p50 per pair (median, with `ratio_min`/`ratio_max`).
 *   --taps N   taps per reader kind (default 100, at least 50)
 *   --pairs N  A/B pairs for the in-process taps (default 5)
 *   --vpcd     also measure through vpcd + pcscd
 * Last line: one JSON object.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { CARDS } from '../../firmware-sim/cards/catalogue';
import { vpcdReaderName } from '../../firmware-sim/cards/vpcd';
import { launchChromium } from '../support/browser';
import { armPaintProbe, epochNow, openKiosk, paintTime, percentile } from './kiosk-screen';
import { MEMBER, startKioskStore, type KioskStore } from './kiosk-store';
import { interleave, median, spreadLine } from './support/interleave';

const { values } = parseArgs({
  options: { taps: { type: 'string', default: '100' }, pairs: { type: 'string', default: '5' }, vpcd: { type: 'boolean', default: false } },
});
const TAPS = Math.max(50, Number(values.taps));
const PAIRS = Math.max(1, Number(values.pairs));
const WARMUP = 3;
const GREETING = `Hallo ${MEMBER.first}!`;

interface Run {
  readers: string;
  samples: number[];
  /** Of each sample: tap → the gateway's kiosk listener has the tap (the card stack's part). */
  toGateway: number[];
}

const round = (x: number) => Math.round(x * 10) / 10;

async function backToAttract(page: Page) {
  await page.getByRole('button', { name: 'Klaar' }).click();
  await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 5000 });
}

/**
 * `tap()` taps the card and resolves with the epoch ms of the tap; `store`'s kiosk listener
 * gives the moment the gateway had it.
 */
async function measure(page: Page, store: KioskStore, readers: string, tap: () => Promise<number>, taps = TAPS, warmup = WARMUP): Promise<Run> {
  const samples: number[] = [];
  const toGateway: number[] = [];
  let heardAt = 0;
  const unsubscribe = store.gw.cards!.router.onKioskTap(() => void (heardAt = epochNow()));
  try {
    for (let i = 0; i < warmup + taps; i++) {
      await armPaintProbe(page, GREETING);
      const tappedAt = await tap();
      const paintedAt = await paintTime(page, 10_000);
      if (i >= warmup) {
        samples.push(paintedAt - tappedAt);
        toGateway.push(heardAt - tappedAt);
      }
      await backToAttract(page);
    }
  } finally {
    unsubscribe();
  }
  return { readers, samples, toGateway };
}

function summary(r: Run) {
  const s = [...r.samples].sort((a, b) => a - b);
  const g = [...r.toGateway].sort((a, b) => a - b);
  return {
    readers: r.readers,
    taps: s.length,
    p50: round(percentile(s, 50)),
    p99: round(percentile(s, 99)),
    max: round(s.at(-1)!),
    min: round(s[0]!),
    gatewayP50: round(percentile(g, 50)),
    gatewayP99: round(percentile(g, 99)),
  };
}

/**
 * The raw baseline (issue 18): the least a screen can do to show a tap, in the same Chromium.
 * A bare page with one heading and an EventSource, served by node:http on loopback; a "tap"
 * is the server writing the greeting to the stream, and the page sets it as the heading's
 * text. No card stack, no member lookup, no framework, no rendering beyond one text node.
 */
const RAW_PAGE = `<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>raw</title></head><body><h1>Tik je pas</h1><script>
const h = document.querySelector('h1');
new EventSource('/events').onmessage = (e) => { h.textContent = e.data; };
</script></body></html>`;

async function startRawScreen(): Promise<{ url: string; push(text: string): void; close(): Promise<void> }> {
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': open\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(RAW_PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    push: (text) => {
      for (const s of streams) s.write(`data: ${text}\n\n`);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of streams) s.end();
        server.close(() => r());
      }),
  };
}

async function measureRaw(page: Page, raw: Awaited<ReturnType<typeof startRawScreen>>, taps: number, warmup: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + taps; i++) {
    await armPaintProbe(page, GREETING);
    const tappedAt = epochNow();
    raw.push(GREETING);
    const paintedAt = await paintTime(page, 10_000);
    if (i >= warmup) samples.push(paintedAt - tappedAt);
    raw.push('Tik je pas');
    await page.getByRole('heading', { name: 'Tik je pas' }).waitFor({ timeout: 5000 });
  }
  return samples;
}

/**
 * The kiosk (B) against the raw screen (A) in A/B/A/B blocks of TAPS / PAIRS taps, so both
 * see the same neighbours; a pair's ratio is raw p50 / kiosk p50 (1.0: as fast as the bare
 * page; lower: slower).
 */
async function inProcess(browser: Browser) {
  const store = await startKioskStore({ earnEuros: 300, rewards: [{ id: 'koffie', name: 'Gratis koffie', points: 100 }] });
  const rawScreen = await startRawScreen();
  try {
    const load = await openKiosk(browser, store.kioskUrl);
    const rawLoad = await openKiosk(browser, rawScreen.url);
    const run: Run = { readers: 'in-process', samples: [], toGateway: [] };
    const rawSamples: number[] = [];
    const perBlock = Math.ceil(TAPS / PAIRS);
    const ab = await interleave({
      pairs: PAIRS,
      a: async (pair) => {
        const s = await measureRaw(rawLoad.page, rawScreen, perBlock, pair === 0 ? WARMUP : 0);
        rawSamples.push(...s);
        return median(s);
      },
      b: async (pair) => {
        const r = await measure(
          load.page,
          store,
          'in-process',
          async () => {
            const at = epochNow();
            await store.tap('ov-chipkaart');
            return at;
          },
          perBlock,
          pair === 0 ? WARMUP : 0,
        );
        run.samples.push(...r.samples);
        run.toGateway.push(...r.toGateway);
        return median(r.samples);
      },
      ratio: (a, b) => a / b,
      onPair: (q) => console.log(`  pair ${q.pair + 1}: raw screen p50 ${round(q.a)} ms, kiosk p50 ${round(q.b)} ms, ratio ${q.ratio.toFixed(3)}`),
    });
    await load.page.close();
    await rawLoad.page.close();
    return { load, run, raw: { samples: rawSamples, ab } };
  } finally {
    await rawScreen.close();
    await store.stop();
  }
}

async function throughVpcd(browser: Browser) {
  const { startPcscd } = await import('../support/pcscd');
  const { presentCard, PCSCD_POLL_MS } = await import('./cards-vpcd');
  const { waitFor } = await import('../support/pcscd');
  const pcscd = await startPcscd();
  let store: KioskStore | undefined;
  try {
    store = await startKioskStore({ pcsc: { kioskReader: vpcdReaderName(0), laneReader: vpcdReaderName(1), socket: pcscd.socket }, earnEuros: 300 });
    const gw = store.gw;
    await waitFor('the card readers up', () => gw.health().devices.filter((d) => d.kind === 'card-reader' && d.state === 'up').length === 2, 30_000);
    let kioskTaps = 0;
    const unsubscribe = gw.cards!.router.onKioskTap(() => void kioskTaps++);
    const load = await openKiosk(browser, store.kioskUrl);
    const run = await measure(load.page, store, 'vpcd+pcscd', async () => {
      // A random moment within pcscd's poll period, as a shopper's hand would come (taps right
      // after the previous one's settle would all land at the same phase of the poll).
      await new Promise((r) => setTimeout(r, Math.random() * PCSCD_POLL_MS));
      const before = kioskTaps;
      const { connectedAt } = await presentCard(CARDS['ov-chipkaart'](), {
        reader: 0,
        seen: () => (kioskTaps > before ? true : undefined),
        settleMs: PCSCD_POLL_MS,
      });
      return performance.timeOrigin + connectedAt;
    });
    unsubscribe();
    await load.page.close();
    return run;
  } finally {
    await store?.stop();
    await pcscd.stop();
  }
}

async function main() {
  const chrome = await launchChromium();
  try {
    const { load, run, raw } = await inProcess(chrome.browser);
    const a = summary(run);
    const rawSorted = [...raw.samples].sort((x, y) => x - y);
    console.log(
      `kiosk page load: ${load.files.length} responses, bodies ${(load.bodyBytes / 1024).toFixed(1)} KiB, on the wire ${(load.wireBytes / 1024).toFixed(1)} KiB (headers included)`,
    );
    for (const f of load.files) console.log(`  ${f.path.padEnd(28)} ${String(f.bytes).padStart(7)} B`);
    console.log(
      `tap → member screen painted, in-process card readers (no pcscd), ${a.taps} taps: p50 ${a.p50} ms, p99 ${a.p99} ms (min ${a.min}, max ${a.max}); of which tap → gateway p50 ${a.gatewayP50} ms, p99 ${a.gatewayP99} ms`,
    );
    console.log(
      `raw screen (a bare page and an EventSource, the same Chromium), ${rawSorted.length} pushes: p50 ${round(percentile(rawSorted, 50))} ms, p99 ${round(percentile(rawSorted, 99))} ms; raw p50 / kiosk p50 per A/B pair: ${spreadLine(raw.ab)}`,
    );
    const out: Record<string, unknown> = {
      tap_to_screen_p50_ms: a.p50,
      tap_to_screen_p99_ms: a.p99,
      tap_to_screen_max_ms: a.max,
      tap_to_gateway_p50_ms: a.gatewayP50,
      taps: a.taps,
      readers: 'in-process',
      page_kb: round(load.bodyBytes / 1024),
      page_wire_kb: round(load.wireBytes / 1024),
      page_responses: load.files.length,
      raw_screen_p50_ms: round(percentile(rawSorted, 50)),
      raw_screen_p99_ms: round(percentile(rawSorted, 99)),
      ratio: Math.round(raw.ab.ratio * 1000) / 1000,
      ratio_min: Math.round(raw.ab.ratioMin * 1000) / 1000,
      ratio_max: Math.round(raw.ab.ratioMax * 1000) / 1000,
      pairs: raw.ab.ratios.length,
    };
    if (values.vpcd) {
      const v = summary(await throughVpcd(chrome.browser));
      console.log(
        `tap → member screen painted, vpcd + pcscd + nfc-pcsc, ${v.taps} taps: p50 ${v.p50} ms, p99 ${v.p99} ms (min ${v.min}, max ${v.max}); of which card on vpcd → gateway p50 ${v.gatewayP50} ms, p99 ${v.gatewayP99} ms (pcscd's ~0.4 s presence polling and the card read)`,
      );
      Object.assign(out, {
        vpcd_tap_to_screen_p50_ms: v.p50,
        vpcd_tap_to_screen_p99_ms: v.p99,
        vpcd_tap_to_screen_max_ms: v.max,
        vpcd_tap_to_gateway_p50_ms: v.gatewayP50,
        vpcd_taps: v.taps,
      });
    }
    console.log(JSON.stringify(out));
  } finally {
    await chrome.close();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:kiosk failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});
