/**
 * The kiosk API over HTTP (issue 7), without a browser: the event stream hands a tap's
 * session to its kiosk only, the session reads just that member, joining links the tapped
 * card once, screen keys guard the stream, and nothing answers for an unknown kiosk.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCREEN_KEYS, startKioskGateway, type KioskGateway } from '../support/browser';

/** Reads `tap` events from a kiosk's stream. */
async function watch(url: string) {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  const reader = res.body!.getReader();
  const events: Record<string, unknown>[] = [];
  let buf = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += new TextDecoder().decode(value);
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (block.startsWith('event: tap')) events.push(JSON.parse(block.split('\ndata: ')[1]!));
      }
    }
  })();
  const next = async () => {
    for (let n = 0; n < 100 && events.length === 0; n++) await new Promise((r) => setTimeout(r, 20));
    return events.shift();
  };
  return { status: res.status, next, close: () => ctl.abort() };
}

describe('kiosk API', () => {
  let kg: KioskGateway;
  beforeEach(async () => {
    kg = await startKioskGateway();
  });
  afterEach(() => kg.stop());

  const me = (kiosk: string, token?: string) => fetch(`${kg.url()}/api/kiosk/${kiosk}/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('serves the page with a strict CSP and refuses unknown kiosks', async () => {
    const page = await fetch(`${kg.url()}/kiosk/index.html`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${kg.url()}/kiosk/../package.json`)).status).toBe(404);
    expect((await fetch(`${kg.url()}/api/kiosk/nope/screen`)).status).toBe(404);
    expect((await me('k1')).status).toBe(401);
  });

  it('gives the tap session to its kiosk only; it reads just that member', async () => {
    const s1 = await watch(`${kg.url()}/api/kiosk/k1/events?key=${SCREEN_KEYS.k1}`);
    await kg.tap('kiosk reader', 'ov-chipkaart');
    const ev = (await s1.next()) as { type: string; token: string };
    expect(ev.type).toBe('member');
    const view = await (await me('k1', ev.token)).json();
    expect(view).toMatchObject({ kind: 'member', firstName: 'Sanne', balance: 282, expiringTotal: 120, rewards: null });
    expect(JSON.stringify(view)).not.toMatch(/M-1|token|[0-9a-f]{64}/);
    expect((await me('k2', ev.token)).status).toBe(401);
    // A new tap replaces the session.
    await kg.tap('kiosk reader', 'random-uid');
    expect(await s1.next()).toEqual({ type: 'random-id' });
    expect((await me('k1', ev.token)).status).toBe(401);
    s1.close();
  });

  it('joins with an unknown card once, and guards a keyed kiosk stream', async () => {
    expect((await watch(`${kg.url()}/api/kiosk/k2/events`)).status).toBe(403);
    expect((await watch(`${kg.url()}/api/kiosk/k2/events?key=${SCREEN_KEYS.k1}`)).status).toBe(403);
    const s2 = await watch(`${kg.url()}/api/kiosk/k2/events?key=${SCREEN_KEYS.k2}`);
    await kg.tap('kiosk2 reader', 'bank-card');
    const ev = (await s2.next()) as { type: string; token: string };
    expect(ev.type).toBe('join');
    const join = (body: unknown) =>
      fetch(`${kg.url()}/api/kiosk/k2/me/join`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ev.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await join({ name: 'Daan', email: 'not-an-address', consent: { presence: false, offers: false } })).status).toBe(422);
    const ok = await join({ name: 'Daan Jansen', consent: { presence: false, offers: true } });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ kind: 'member', firstName: 'Daan', cards: [{ kind: 'emv' }] });
    expect((await join({ name: 'Again', consent: { presence: false, offers: false } })).status).toBe(409);
    s2.close();
  });
});
