/**
 * Access is decided by the matched route, never by the URL text (issue 14). The whole
 * gateway's route table is walked as it is registered (`onRoute`); every handler is wrapped
 * so the test knows when one ran. For every protected route: no credential, a wrong one,
 * another kiosk's (or too small a role, or a phone credential for a member the store does
 * not know), each on the path itself and on its variants (each letter percent-encoded, `%2F`,
 * double slashes, trailing slash, dot segments, case), sent over a real socket with the path
 * bytes as written: the handler never runs. Then the right credential on the plain path does
 * reach each handler (so "never ran" means something).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { RouteOptions } from 'fastify';
import { buildApi } from '../../gateway/api/build-api';
import type { Access } from '../../gateway/api/access';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { validateConfig } from '../../gateway/config/load';
import { signMemberCredential } from '../../gateway/core/offers/credential';
import { createInProcessCardReaders, type InProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import { CARDS, UIDS } from '../../firmware-sim/cards/catalogue';
import { inProcessTransmit } from '../../firmware-sim/cards/in-process';
import { cardToken } from '../../gateway/core/identity/token';
import { silentLogger } from '../support/browser';

const KEY = new Uint8Array(32).fill(5);
const ADMIN = 'admin-token-0123456789';
const METRICS = 'metrics-token-0123456789';
const KEYS = { k1: 'k1-screen-key-0123456789', k2: 'k2-screen-key-0123456789' };
const hq = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const exp = () => Math.floor(Date.now() / 1000) + 3600;

/** A body each route's schema accepts, so a route reached by mistake would run its handler. */
const BODIES: Record<string, unknown> = {
  'POST /api/staff/session': { place: 'lane:lane-1' },
  'POST /api/members': { number: 'M-9', name: 'Nieuw Lid' },
  'POST /api/members/:number/cards': { place: 'lane:lane-1' },
  'POST /api/presence/calibration': { tag: 'ref-1' },
  'PUT /api/presence/calibration/zone': { zone: null },
  'POST /api/presence/calibration/finish': { apply: true },
  'POST /api/kiosk/:kiosk/me/join': { name: 'Daan', consent: { presence: false, offers: false } },
  'POST /api/kiosk/:kiosk/me/rewards/:id': { requestKey: 'request-key-0001' },
  'PUT /api/phone/consent': { offers: true },
};
const PARAMS: Record<string, string> = {
  kiosk: 'k1',
  number: 'M-1',
  ref: 'aaaaaaaaaaaa',
  id: 'coffee',
  file: 'index.html',
  what: 'shown',
};
/** The route's path with parameter values its schema accepts. */
const fill = (url: string) =>
  url.replace(/:([a-z]+)/g, (_m, p: string) => (p === 'id' && url.startsWith('/api/phone/') ? '01J0000000000000000000000A' : PARAMS[p]!));

interface Route {
  method: string;
  url: string;
  access: Access;
  hasBody: boolean;
}

/** The paths a router might take for `path`, and a check might not. */
function variants(path: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < path.length; i++) {
    if (/[a-z]/i.test(path[i]!)) out.add(path.slice(0, i) + `%${path.charCodeAt(i).toString(16)}` + path.slice(i + 1));
  }
  const slashes = [...path].flatMap((ch, i) => (ch === '/' && i > 0 ? [i] : []));
  for (const i of slashes) {
    out.add(`${path.slice(0, i)}%2F${path.slice(i + 1)}`);
    out.add(`${path.slice(0, i)}%2f${path.slice(i + 1)}`);
    out.add(`${path.slice(0, i)}//${path.slice(i + 1)}`);
    out.add(`${path.slice(0, i)}/./${path.slice(i + 1)}`);
    out.add(`${path.slice(0, i)}/x/../${path.slice(i + 1)}`);
    out.add(`${path.slice(0, i)}/%2e/${path.slice(i + 1)}`);
  }
  out.add(`/${path}`);
  out.add(`${path}/`);
  out.add(`${path}?`);
  out.add(`${path}#`);
  out.add(path.toUpperCase());
  out.add(path.replace(/\/([a-z])/g, (_m, c: string) => `/${c.toUpperCase()}`));
  out.add(path);
  return [...out];
}

describe('access on every route, decided by the matched route', () => {
  let dir: string;
  let gw: RunningGateway;
  let readers: InProcessCardReaders;
  let port = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const routes: Route[] = [];
  const ran: string[] = [];

  const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const r = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: { ...headers, ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }) },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // An event stream never ends: its status is the answer.
          if (String(res.headers['content-type']).startsWith('text/event-stream')) {
            res.destroy();
            return resolve({ status, body: '' });
          }
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status, body: text }));
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(payload);
    });

  /** A session token from the kiosk's event stream after a tap there. */
  const kioskSession = async (kiosk: 'k1' | 'k2', card: keyof typeof CARDS = 'ov-chipkaart') => {
    const ctl = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/kiosk/${kiosk}/events?key=${KEYS[kiosk]}`, { signal: ctl.signal });
    const reader = res.body!.getReader();
    const tap = () => {
      const c = CARDS[card]();
      return readers.present(kiosk === 'k1' ? 'kiosk reader' : 'kiosk2 reader', { atr: c.atr, transmit: inProcessTransmit(c) });
    };
    await tap();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buf += new TextDecoder().decode(value);
      const m = /event: tap\ndata: (\{.*\})\n/.exec(buf);
      if (!m) continue;
      buf = buf.slice(m.index + m[0].length);
      const ev = JSON.parse(m[1]!) as { token?: string };
      if (ev.token) {
        ctl.abort();
        return ev.token;
      }
      // The tap went to "link another card" on the session before: tap again for a new one.
      await tap();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trouw-access-'));
    const config = validateConfig({
      database: { path: join(dir, 'g.db') },
      http: { adminToken: ADMIN, port: 0 },
      metrics: { token: METRICS },
      kiosk: { screenKeys: KEYS },
      members: [{ number: 'M-1', name: 'Sanne de Vries', cards: [cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart)] }],
      cards: {
        readers: [
          { match: 'lane reader', place: 'lane:lane-1' },
          { match: 'kiosk reader', place: 'kiosk:k1' },
          { match: 'kiosk2 reader', place: 'kiosk:k2' },
        ],
        staff: [{ token: cardToken(KEY, 'mifare-classic-1k', UIDS.classic1k), role: 'supervisor', label: 'Bedrijfsleider' }],
        debounceMs: 0,
      },
      offers: { phone: { hqPublicKey: hq.publicKey.export({ type: 'spki', format: 'pem' }).toString() } },
    });
    readers = createInProcessCardReaders({ config: config.cards, cardKey: KEY, log: silentLogger, readers: ['lane reader', 'kiosk reader', 'kiosk2 reader'] });
    gw = await startGateway(config, {
      logger: silentLogger,
      cardReaders: readers,
      printPairing: () => undefined,
      onApiRoute: (r: RouteOptions) => {
        const methods = Array.isArray(r.method) ? r.method : [r.method];
        for (const method of methods) {
          routes.push({ method, url: r.url, access: r.config?.access as Access, hasBody: r.schema?.body !== undefined });
        }
        const handler = r.handler;
        const name = `${methods.join(',')} ${r.url}`;
        r.handler = function (this: unknown, req, reply) {
          ran.push(name);
          return handler.call(this as never, req, reply);
        };
      },
    });
    port = Number(new URL(gw.url()!).port);
  });
  afterAll(async () => {
    agent.destroy();
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to build an API with a route that declares no access', async () => {
    const app = await buildApi({
      health: () => {
        throw new Error('unused');
      },
      ready: () => true,
    });
    expect(() => app.get('/api/undeclared', async () => ({ secret: true }))).toThrow(/declares no access/);
    await app.close();
  });

  it('every route declares its access; the store-IT, kiosk and phone routes are protected', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.method === 'HEAD').map((r) => r.url)).toContain('/api/members/:number');
    for (const r of routes) expect(r.access, `${r.method} ${r.url}`).toBeDefined();
    const access = (m: string, u: string) => routes.find((r) => r.method === m && r.url === u)?.access;
    expect(access('POST', '/api/presence/calibration/finish')).toBe('store-it');
    expect(access('GET', '/api/presence/calibration/survey.csv')).toBe('store-it');
    expect(access('GET', '/api/kiosk/:kiosk/events')).toBe('kiosk-screen');
    expect(access('GET', '/api/kiosk/:kiosk/me')).toBe('kiosk-session');
    expect(access('POST', '/api/staff/session')).toBe('store-it');
    expect(access('GET', '/api/members/:number')).toBe('staff');
    expect(access('GET', '/api/phone/offers')).toBe('phone');
    for (const r of routes.filter((x) => x.access !== 'public' && x.hasBody)) {
      expect(BODIES[`${r.method} ${r.url}`], `an example body for ${r.method} ${r.url}`).toBeDefined();
    }
  });

  it('never runs a protected handler without the right credential, on any path variant', async () => {
    // A supervisor session (too small a role for store IT) and a kiosk k2 session.
    const c = CARDS['classic-1k']();
    await readers.present('lane reader', { atr: c.atr, transmit: inProcessTransmit(c) });
    const supervisor = await send('POST', '/api/staff/session', { authorization: `Bearer ${ADMIN}` }, { place: 'lane:lane-1' });
    expect(supervisor.status).toBe(201);
    const supervisorToken = (JSON.parse(supervisor.body) as { token: string }).token;
    // A staff session opened on kiosk k2's screen: bound to k2, so k1's key does not let it act.
    const k2Staff = await kioskSession('k2', 'classic-1k');
    expect(k2Staff).toBeTruthy();
    const k2StaffSession = await send('POST', '/api/kiosk/k2/staff-session', { 'x-trouw-screen-key': KEYS.k2 });
    expect(k2StaffSession.status).toBe(201);
    const k2StaffToken = (JSON.parse(k2StaffSession.body) as { token: string }).token;
    const k2Token = await kioskSession('k2');
    const wrongs: Record<Exclude<Access, 'public'>, Record<string, string>[]> = {
      'store-it': [
        {},
        { authorization: 'Bearer wrong-token-0123456789' },
        { authorization: `Bearer ${supervisorToken}` },
        { authorization: `Bearer ${k2Token}` },
      ],
      staff: [
        {},
        { authorization: 'Bearer wrong-token-0123456789' },
        { authorization: `Bearer ${k2Token}` },
        { 'x-trouw-screen-key': KEYS.k1 },
        { authorization: `Bearer ${k2StaffToken}`, 'x-trouw-screen-key': KEYS.k1 },
        { authorization: `Bearer ${k2StaffToken}` },
      ],
      'kiosk-screen': [{}, { 'x-trouw-screen-key': 'wrong-key-0123456789' }, { 'x-trouw-screen-key': KEYS.k2 }, { authorization: `Bearer ${ADMIN}` }],
      'kiosk-session': [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Bearer ${k2Token}` }, { authorization: `Bearer ${ADMIN}` }],
      // Prometheus's token only: store IT's is not it.
      metrics: [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Bearer ${ADMIN}` }, { authorization: `Bearer ${k2Token}` }],
      phone: [
        {},
        { authorization: 'Bearer wrong-token-0123456789' },
        { authorization: `Bearer ${signMemberCredential({ member: 'M-404', exp: exp() }, hq.privateKey)}` },
        { authorization: `Bearer ${signMemberCredential({ member: 'M-1', exp: exp() }, stranger.privateKey)}` },
        { authorization: `Bearer ${signMemberCredential({ member: 'M-1', exp: 1 }, hq.privateKey)}` },
      ],
    };
    // HEAD routes (fastify adds one per GET) are protected routes too.
    const protectedRoutes = routes.filter((r) => r.access !== 'public');
    expect(protectedRoutes.length).toBeGreaterThan(15);
    let tried = 0;
    const leaks: string[] = [];
    for (const r of protectedRoutes) {
      const path = fill(r.url);
      const body = BODIES[`${r.method} ${r.url}`];
      const kind = r.access as Exclude<Access, 'public'>;
      for (const variant of variants(path)) {
        // The kiosk-screen query key is a credential too: the other kiosk's, and a wrong one.
        const extra = kind === 'kiosk-screen' ? [`?key=${KEYS.k2}`, '?key=wrong-key-0123456789'] : [''];
        for (const q of extra) {
          for (const headers of wrongs[kind]) {
            ran.length = 0;
            const res = await send(r.method, variant + q, headers, body);
            tried++;
            if (ran.length > 0 || ![400, 401, 403, 404].includes(res.status))
              leaks.push(`${r.method} ${variant}${q} ${JSON.stringify(headers).slice(0, 40)} → ${res.status} ${ran.join(',')}`);
          }
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(tried).toBeGreaterThan(3000);
  }, 120_000);

  it('the right credential on the plain path does reach each handler', async () => {
    const supervisorless = routes.filter((r) => r.access !== 'public' && r.method !== 'HEAD');
    const reached: string[] = [];
    for (const r of supervisorless) {
      const path = fill(r.url);
      let headers: Record<string, string> = {};
      if (r.access === 'store-it' || r.access === 'staff') headers = { authorization: `Bearer ${ADMIN}` };
      if (r.access === 'metrics') headers = { authorization: `Bearer ${METRICS}` };
      if (r.access === 'kiosk-screen') headers = { 'x-trouw-screen-key': KEYS.k1 };
      if (r.access === 'kiosk-session') headers = { authorization: `Bearer ${await kioskSession('k1')}` };
      if (r.access === 'phone') headers = { authorization: `Bearer ${signMemberCredential({ member: 'M-1', exp: exp() }, hq.privateKey)}` };
      ran.length = 0;
      await send(r.method, path, headers, BODIES[`${r.method} ${r.url}`]);
      if (ran.length > 0) reached.push(`${r.method} ${r.url}`);
    }
    expect(reached).toEqual(supervisorless.map((r) => `${r.method} ${r.url}`));
  }, 60_000);
});
