/**
 * Issue 14, through the whole gateway on loopback: staff sessions need proof of place (the
 * lane's till, store IT, the kiosk's own screen with its key) and stay bound to it; every
 * kiosk has a screen key (generated into the data directory when none is configured); a
 * retried redeem gives the same voucher and spends once; answers carry nosniff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { SCREEN_KEYS_FILE } from '../../gateway/app/kiosk/screen-keys';
import { CARDS } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import { LANE_READER, MEMBER, startKioskStore, type KioskStore } from '../bench/kiosk-store';

const ADMIN = 'admin-token-0123456789';

describe('staff sessions, screen keys and redeem retries through the gateway', () => {
  let store: KioskStore;
  let key: string;
  const http = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    fetch(`${store.url}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const laneTap = async (card: keyof typeof CARDS) => {
    const c = CARDS[card]();
    await store.readers!.present(LANE_READER, { atr: c.atr, transmit: inProcessTransmit(c) });
  };
  /** Taps at the kiosk and reads the session token its screen gets. */
  const kioskTap = async (card: keyof typeof CARDS) => {
    const ctl = new AbortController();
    const res = await fetch(`${store.url}/api/kiosk/k1/events?key=${key}`, { signal: ctl.signal });
    const reader = res.body!.getReader();
    await store.tap(card);
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buf += new TextDecoder().decode(value);
      const m = /event: tap\ndata: (\{.*\})\n/.exec(buf);
      if (m) {
        ctl.abort();
        return JSON.parse(m[1]!) as { type: string; token: string };
      }
    }
  };

  beforeAll(async () => {
    store = await startKioskStore({ rewards: [{ id: 'coffee', name: 'Koffie', points: 50 }], earnEuros: 200 });
    key = store.gw.screenKeys.keyOf('k1')!;
  });
  afterAll(() => store?.stop());

  it('generates a screen key for a kiosk without one, kept 0600 in the data directory', () => {
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const file = join(dirname(store.gw.config.database.path), SCREEN_KEYS_FILE);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(dirname(file)).mode & 0o777).toString(8)).toBe('700');
  });

  it("a lane pass opens a session only through that lane's till or store IT; bound to the lane", async () => {
    await laneTap('classic-1k');
    // Nobody else may claim it: no token, and the old unauthenticated claim is refused.
    expect((await http('POST', '/api/staff/session', {}, { place: 'lane:lane-1' })).status).toBe(401);
    const viaTill = await store.till({ type: 'staff-session' });
    expect(viaTill).toMatchObject({ type: 'staff-session.ok', role: 'supervisor', place: 'lane:lane-1' });
    // Consumed: a second claim finds no pass, over the link or from store IT.
    expect(await store.till({ type: 'staff-session' })).toMatchObject({ type: 'error', code: 'no-staff-pass' });
    expect((await http('POST', '/api/staff/session', { authorization: `Bearer ${ADMIN}` }, { place: 'lane:lane-1' })).status).toBe(404);
    const auth = { authorization: `Bearer ${String(viaTill.token)}` };
    expect((await http('GET', `/api/members/${MEMBER.number}`, auth)).status).toBe(200);
    // Bound to its place: it links cards tapped at lane-1 only.
    const elsewhere = await http('POST', `/api/members/${MEMBER.number}/cards`, auth, { place: 'kiosk:k1' });
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { error: string }).error).toBe('wrong-place');
    // A member card tapped at the lane is not taken by a staff-session request.
    await laneTap('bank-card');
    expect(await store.till({ type: 'staff-session' })).toMatchObject({ code: 'no-staff-pass' });
    expect(await store.till({ type: 'identify', card: true })).toMatchObject({ type: 'identify.ok', reason: 'unknown-card' });
    // Store IT may open one for a lane pass.
    await laneTap('classic-1k');
    const byAdmin = await http('POST', '/api/staff/session', { authorization: `Bearer ${ADMIN}` }, { place: 'lane:lane-1' });
    expect(byAdmin.status).toBe(201);
    expect(((await byAdmin.json()) as { place: string }).place).toBe('lane:lane-1');
  });

  it("a kiosk pass opens a session only on that kiosk's screen with its key, and acts only there", async () => {
    const ev = await kioskTap('classic-1k');
    expect(ev.type).toBe('staff');
    // Not through store IT's route (kiosk places are not lanes), not without the screen's key.
    expect((await http('POST', '/api/staff/session', { authorization: `Bearer ${ADMIN}` }, { place: 'kiosk:k1' })).status).toBe(400);
    expect((await http('POST', '/api/kiosk/k1/staff-session')).status).toBe(403);
    expect((await http('POST', '/api/kiosk/k1/staff-session', { 'x-trouw-screen-key': 'wrong-key-0123456789' })).status).toBe(403);
    expect((await http('POST', '/api/kiosk/k1/staff-session', { authorization: `Bearer ${ev.token}` })).status).toBe(403);
    const opened = await http('POST', '/api/kiosk/k1/staff-session', { 'x-trouw-screen-key': key });
    expect(opened.status).toBe(201);
    const s = (await opened.json()) as { token: string; place: string };
    expect(s.place).toBe('kiosk:k1');
    const auth = { authorization: `Bearer ${s.token}` };
    expect((await http('GET', `/api/members/${MEMBER.number}`, auth)).status).toBe(403);
    expect((await http('GET', `/api/members/${MEMBER.number}`, { ...auth, 'x-trouw-screen-key': key })).status).toBe(200);
    // The staff tap was consumed at the kiosk: store IT cannot link it to a member either.
    const link = await http('POST', `/api/members/${MEMBER.number}/cards`, { authorization: `Bearer ${ADMIN}` }, { place: 'kiosk:k1' });
    expect(((await link.json()) as { error: string }).error).toBe('no-tap');
  });

  it('a retried redeem (same requestKey, sent concurrently) gives one voucher and spends once', async () => {
    const ev = await kioskTap('ov-chipkaart');
    expect(ev.type).toBe('member');
    const auth = { authorization: `Bearer ${ev.token}` };
    const before = ((await (await http('GET', '/api/kiosk/k1/me', auth)).json()) as { balance: number }).balance;
    const press = (requestKey: string) => http('POST', '/api/kiosk/k1/me/rewards/coffee', auth, { requestKey });
    const answers = await Promise.all(Array.from({ length: 12 }, () => press('press-0001-abcdef')));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { code: string; balance: number }[];
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(new Set(bodies.map((b) => b.code)).size).toBe(1);
    expect(bodies.every((b) => b.balance === before - 50)).toBe(true);
    const vouchers = store.gw.db.prepare("SELECT count(*) AS n FROM vouchers WHERE reward_id = 'coffee'").get() as { n: number };
    expect(vouchers.n).toBe(1);
    // Another press (another key) is another redeem.
    const second = await press('press-0002-abcdef');
    expect(second.status).toBe(201);
    expect(((await second.json()) as { code: string }).code).not.toBe(bodies[0]!.code);
    const after = ((await (await http('GET', '/api/kiosk/k1/me', auth)).json()) as { balance: number }).balance;
    expect(after).toBe(before - 100);
  });

  it('decides kiosk answers on the matched route: an encoded path is still no-store, an unknown kiosk opens nothing', async () => {
    const raw = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const u = new URL(store.url);
        const r = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
          res.destroy();
        });
        r.on('error', reject);
        r.end();
      });
    const screen = await raw('/api/%6biosk/k1/screen');
    expect(screen.status).toBe(200);
    expect(screen.headers['cache-control']).toBe('no-store');
    expect((await raw(`/api/%6biosk/k9/events?key=${key}`)).status).toBe(404);
    expect((await raw('/api/%6biosk/k1/events')).status).toBe(403);
  });

  it('answers carry nosniff, JSON and refusals alike', async () => {
    for (const r of [await http('GET', '/healthz'), await http('GET', '/api/members/M-1'), await http('GET', '/api/kiosk/k1/screen')]) {
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const ctl = new AbortController();
    const stream = await fetch(`${store.url}/api/kiosk/k1/events?key=${key}`, { signal: ctl.signal });
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    ctl.abort();
  });
});
