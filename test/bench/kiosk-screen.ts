/**
 * The kiosk page as the benchmark and the pcscd e2e test watch it: open it in Chromium
 * (measuring what its load transferred), and time a tap to the member screen *painted*.
 *
 * Paint: a MutationObserver in the page sees the greeting heading appear, then waits for the
 * next animation frame and a task after it (the frame with the heading has been produced),
 * and records `performance.timeOrigin + performance.now()`, an epoch time in ms on the same
 * system clock as Node's `performance.timeOrigin + performance.now()` (one machine).
 */
import type { Browser, Page } from 'playwright-core';

export interface PageLoad {
  page: Page;
  /** Sum of the response bodies the load fetched (bytes; the event stream left out). */
  bodyBytes: number;
  /** Bytes on the wire for those responses, headers included (CDP `encodedDataLength`). */
  wireBytes: number;
  /** Responses counted, by URL path. */
  files: { path: string; bytes: number }[];
}

export const epochNow = () => performance.timeOrigin + performance.now();

export async function openKiosk(browser: Browser, url: string, attractHeading = 'Tik je pas'): Promise<PageLoad> {
  const context = await browser.newContext({ locale: 'nl-NL', timezoneId: 'Europe/Amsterdam', viewport: { width: 1280, height: 1024 } });
  const page = await context.newPage();
  page.on('close', () => void context.close().catch(() => undefined));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const wire = new Map<string, number>();
  const kinds = new Map<string, string>();
  cdp.on('Network.responseReceived', (e) => kinds.set(e.requestId, e.response.mimeType));
  cdp.on('Network.loadingFinished', (e) => wire.set(e.requestId, e.encodedDataLength));
  const bodies: Promise<{ path: string; bytes: number } | undefined>[] = [];
  page.on('response', (r) => {
    if ((r.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
    bodies.push(
      r.body().then(
        (b) => ({ path: new URL(r.url()).pathname, bytes: b.length }),
        () => undefined,
      ),
    );
  });
  await page.goto(url);
  await page.getByRole('heading', { name: attractHeading }).waitFor({ timeout: 10_000 });
  // Let late requests (screen config, fonts) finish.
  await page.waitForTimeout(500);
  const files = (await Promise.all(bodies)).filter((f): f is { path: string; bytes: number } => f !== undefined);
  let wireBytes = 0;
  for (const [id, n] of wire) if (kinds.get(id) !== 'text/event-stream') wireBytes += n;
  await cdp.detach();
  return { page, bodyBytes: files.reduce((a, f) => a + f.bytes, 0), wireBytes, files };
}

/** Arms the page: the next time a heading with exactly `text` appears, its paint time is kept. */
export async function armPaintProbe(page: Page, text: string): Promise<void> {
  // A string, not a function: tsx/esbuild would wrap named functions in a `__name` helper the
  // page does not have.
  await page.evaluate(`(() => {
    const want = ${JSON.stringify(text)};
    window.__paintAt = undefined;
    if (window.__probe) window.__probe.disconnect();
    const seen = () => Array.from(document.querySelectorAll('h1')).some((h) => (h.textContent || '').trim() === want);
    const mark = () => {
      window.__probe.disconnect();
      requestAnimationFrame(() => setTimeout(() => { window.__paintAt = performance.timeOrigin + performance.now(); }, 0));
    };
    window.__probe = new MutationObserver(() => { if (seen()) mark(); });
    window.__probe.observe(document.body, { childList: true, subtree: true, characterData: true });
  })()`);
}

/** Waits for the probe armed by `armPaintProbe` and returns the epoch ms of the paint. */
export async function paintTime(page: Page, timeoutMs = 5000): Promise<number> {
  // Polled from here (the time is taken in the page, so polling adds nothing to it); the
  // page's CSP forbids the eval that waitForFunction(string) would need.
  const until = Date.now() + timeoutMs;
  for (;;) {
    const at = (await page.evaluate('window.__paintAt')) as number | undefined;
    if (typeof at === 'number') return at;
    if (Date.now() > until) throw new Error(`no member screen painted within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
