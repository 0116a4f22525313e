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
 *   --taps N   taps per reader kind (default 100, at least 50)
 *   --vpcd     also measure through vpcd + pcscd
 * Last line: one JSON object.
 */
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { CARDS } from '../../firmware-sim/cards/catalogue';
import { vpcdReaderName } from '../../firmware-sim/cards/vpcd';
import { launchChromium } from '../support/browser';
import { armPaintProbe, epochNow, openKiosk, paintTime, percentile } from './kiosk-screen';
import { MEMBER, startKioskStore, type KioskStore } from './kiosk-store';

const { values } = parseArgs({ options: { taps: { type: 'string', default: '100' }, vpcd: { type: 'boolean', default: false } } });
const TAPS = Math.max(50, Number(values.taps));
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
async function measure(page: Page, store: KioskStore, readers: string, tap: () => Promise<number>): Promise<Run> {
  const samples: number[] = [];
  const toGateway: number[] = [];
  let heardAt = 0;
  const unsubscribe = store.gw.cards!.router.onKioskTap(() => void (heardAt = epochNow()));
  try {
    for (let i = 0; i < WARMUP + TAPS; i++) {
      await armPaintProbe(page, GREETING);
      const tappedAt = await tap();
      const paintedAt = await paintTime(page, 10_000);
      if (i >= WARMUP) {
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

async function inProcess(browser: Browser) {
  const store = await startKioskStore({ earnEuros: 300, rewards: [{ id: 'koffie', name: 'Gratis koffie', points: 100 }] });
  try {
    const load = await openKiosk(browser, store.kioskUrl);
    const run = await measure(load.page, store, 'in-process', async () => {
      const at = epochNow();
      await store.tap('ov-chipkaart');
      return at;
    });
    await load.page.close();
    return { load, run };
  } finally {
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
    const { load, run } = await inProcess(chrome.browser);
    const a = summary(run);
    console.log(
      `kiosk page load: ${load.files.length} responses, bodies ${(load.bodyBytes / 1024).toFixed(1)} KiB, on the wire ${(load.wireBytes / 1024).toFixed(1)} KiB (headers included)`,
    );
    for (const f of load.files) console.log(`  ${f.path.padEnd(28)} ${String(f.bytes).padStart(7)} B`);
    console.log(
      `tap → member screen painted, in-process card readers (no pcscd), ${a.taps} taps: p50 ${a.p50} ms, p99 ${a.p99} ms (min ${a.min}, max ${a.max}); of which tap → gateway p50 ${a.gatewayP50} ms, p99 ${a.gatewayP99} ms`,
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
