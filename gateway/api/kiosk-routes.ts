/**
 * The member kiosk (issue 7): its web app and its API. DESIGN.md §9: the kiosk sees only the
 * member of the current tap. A tap at a kiosk's reader opens a session bound to that tap and
 * that kiosk (app/kiosk/kiosk-sessions.ts) and its token is pushed to the kiosk's screen over SSE;
 * every other call needs that token *and* the same kiosk id. Nothing here takes a member
 * number, a name or a search term.
 *   GET    /kiosk/                                the web app (kiosk/renderer), strict CSP
 *   GET    /api/kiosk/:kiosk/screen               idle timeout and attract-screen offers
 *   GET    /api/kiosk/:kiosk/events               SSE: tap outcomes (+ session token); the screen key
 *   POST   /api/kiosk/:kiosk/staff-session        the staff pass on screen opens a store-IT staff session (screen key)
 *   GET    /api/kiosk/:kiosk/me                   the session's view (member, join or staff)
 *   POST   /api/kiosk/:kiosk/me/join              {name, email?, consent} enrol + link the tapped card
 *   POST   /api/kiosk/:kiosk/me/link              the next tap at this kiosk is linked to the member
 *   DELETE /api/kiosk/:kiosk/me/cards/:ref        unlink one of the member's cards
 *   POST   /api/kiosk/:kiosk/me/rewards/:id       redeem a reward for a voucher code (if rewards exist)
 *   DELETE /api/kiosk/:kiosk/me                   end the session (idle timeout, "done")
 * Access (gateway/api/access.ts): the web app and `/screen` are public, the event stream and
 * the staff session need the kiosk's screen key (`kiosk-screen`), `/me…` a session token
 * for the same kiosk (`kiosk-session`). Every kiosk has a screen key (app/kiosk/screen-keys.ts).
 */
import { openEventStream } from './event-stream';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bearerOf, requireAccessControl, type AccessDenied } from './access';
import { screenKeyOf, StaffSessionBody } from './staff-access';
import type { ScreenKeys } from '../app/kiosk/screen-keys';
import type { StaffSessions } from '../app/members/staff-sessions';
import type { Db } from '../adapters/sqlite/open-database';
import type { CardTap as ReaderTap } from '../ports/card-reader';
import type { Clock } from '../ports/clock';
import type { GatewayHealth } from '../ports/health';
import type { CardTapRouter } from '../app/cards/card-tap-router';
import type { CardLinks } from '../app/members/card-links';
import type { MembersService } from '../app/members/members';
import { createKioskSessions, type KioskSession } from '../app/kiosk/kiosk-sessions';
import { createKioskJoin } from '../app/kiosk/kiosk-join';
import { localDate } from '../core/time/local-date';
import { createKioskViews, type KioskRewards, type KioskTiers } from '../app/kiosk/kiosk-view';

export interface KioskOffer {
  title: { nl: string; en: string };
  text?: { nl: string; en: string };
}

export interface KioskRoutesOptions {
  /** Kiosk session metrics (issue 16): each session opened, and how many are open now. */
  sessionMetrics?: { opened(kind: 'member' | 'join' | 'staff'): void; track(openNow: () => number): void };
  router: CardTapRouter | undefined;
  members: MembersService;
  cardLinks: CardLinks;
  db: Db;
  clock: Clock;
  config: {
    store: { timeZone: string };
    cards: { readers: readonly { place: string }[] };
  };
  /** For the staff view (reader health, lane states). */
  health?: () => GatewayHealth;
  /** Kiosk ids; default: every `kiosk:<id>` place in `cards.readers`. */
  kiosks?: string[];
  /**
   * Every kiosk's screen key (app/kiosk/screen-keys.ts): its event stream carries session
   * tokens, so it needs `?key=` (the Electron shell puts it in the kiosk URL). A kiosk
   * without a key is refused at start: there is no keyless kiosk.
   */
  screenKeys: ScreenKeys;
  /** Staff sessions: a staff pass on a kiosk's screen may open one there (store work). */
  staffSessions?: StaffSessions;
  /** The screen's idle timeout (default 45 s); the session outlives it by 30 s at most. */
  screenIdleMs?: number;
  offers?: KioskOffer[];
  tiers?: KioskTiers;
  rewards?: KioskRewards;
  /** Where the web app lives (default kiosk/renderer next to the gateway). */
  rendererDir?: string;
}

const KioskId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Problem = Type.Object({ error: Type.String(), message: Type.String() });
const Params = Type.Object({ kiosk: KioskId });
const Open = Type.Object({}, { additionalProperties: true });

export const KIOSK_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const problem = (reply: FastifyReply, status: number, error: string, message: string) => reply.status(status).send({ error, message });

/** Loaded once at start: the app is a handful of small files, served from memory. */
function loadRenderer(dir: string) {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type && /^[a-z0-9-]+\.[a-z0-9]+$/.test(name)) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return files;
}

type TapEvent = { type: 'member' | 'join' | 'staff'; token: string } | { type: 'random-id' | 'unreadable' } | { type: 'linked'; ok: boolean; error?: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** The session of a `kiosk-session` route (for the `:kiosk` in its path). */
    kioskSession?: KioskSession;
  }
}

/** Every `kiosk:<id>` place in `cards.readers`. */
export const configuredKiosks = (readers: readonly { place: string }[]): string[] => [
  ...new Set(readers.filter((r) => r.place.startsWith('kiosk:')).map((r) => r.place.slice(6))),
];

export const kioskRoutes: FastifyPluginAsyncTypebox<KioskRoutesOptions> = async (app, o) => {
  const access = requireAccessControl(app);
  const kiosks = new Set(o.kiosks ?? configuredKiosks(o.config.cards.readers));
  const keyless = [...kiosks].filter((k) => !o.screenKeys.kiosks.includes(k));
  if (keyless.length) throw new Error(`kiosk ${keyless.join(', ')} has no screen key (kiosk.screenKeys; the gateway generates one at first start)`);
  const screenIdleMs = o.screenIdleMs ?? 45_000;
  const sessions = createKioskSessions({ clock: o.clock, idleMs: screenIdleMs + 30_000 });
  o.sessionMetrics?.track(() => sessions.size());
  const views = createKioskViews({ db: o.db, timeZone: o.config.store.timeZone, listCards: o.cardLinks.list, tiers: o.tiers, rewards: o.rewards });
  const joiner = createKioskJoin({ db: o.db, clock: o.clock });
  const streams = new Map<string, Set<FastifyReply>>();
  let joinedToday = { date: '', n: 0 };
  const files = loadRenderer(o.rendererDir ?? fileURLToPath(new URL('../../kiosk/renderer/', import.meta.url)));

  const push = (kiosk: string, ev: TapEvent) => {
    const data = `event: tap\ndata: ${JSON.stringify(ev)}\n\n`;
    for (const r of streams.get(kiosk) ?? []) r.raw.write(data);
  };

  const onTap = (kiosk: string, tap: ReaderTap) => {
    if (!kiosks.has(kiosk)) return;
    const now = o.clock.now();
    const current = sessions.current(kiosk);
    // "Link another card": the tap goes to the member on screen, not to a new session.
    if (current?.subject.kind === 'member' && current.linkUntil !== undefined && current.linkUntil >= now) {
      current.linkUntil = undefined;
      const member = o.members.findById(current.subject.memberId);
      const r = member ? o.cardLinks.linkTap(member.number, tap) : undefined;
      if (r?.ok) push(kiosk, { type: 'linked', ok: true, ...(!r.value.linked && { error: 'already-linked' }) });
      else push(kiosk, { type: 'linked', ok: false, error: r ? r.error.code : 'unknown-member' });
      return;
    }
    if (tap.outcome === 'rejected') {
      if (current) sessions.end(current.token, kiosk);
      push(kiosk, { type: tap.reason === 'random-id' ? 'random-id' : 'unreadable' });
      return;
    }
    if (tap.staff) {
      // Consumed: a staff pass tapped here opens nothing anywhere else.
      o.router?.take(`kiosk:${kiosk}`, now);
      const s = sessions.open(kiosk, { kind: 'staff', role: tap.staff.role, ...(tap.staff.label !== undefined && { label: tap.staff.label }) });
      o.sessionMetrics?.opened('staff');
      push(kiosk, { type: 'staff', token: s.token });
      return;
    }
    const member = o.members.findByCardToken(tap.token);
    const s = member
      ? sessions.open(kiosk, { kind: 'member', memberId: member.id })
      : sessions.open(kiosk, { kind: 'join', cardToken: tap.token, cardKind: tap.kind });
    o.sessionMetrics?.opened(member ? 'member' : 'join');
    push(kiosk, { type: member ? 'member' : 'join', token: s.token });
  };
  const unsubscribe = o.router?.onKioskTap(onTap);
  const sweeper = setInterval(() => sessions.sweep(), 10_000);
  sweeper.unref();
  // preClose: the server waits for open connections, and an event stream never ends by itself.
  app.addHook('preClose', async () => {
    unsubscribe?.();
    clearInterval(sweeper);
    for (const set of streams.values()) for (const r of set) r.raw.end();
    streams.clear();
  });

  const kioskOf = (req: FastifyRequest): string | undefined => {
    const k = (req.params as { kiosk?: unknown } | undefined)?.kiosk;
    return typeof k === 'string' ? k : undefined;
  };
  const unknownKiosk: AccessDenied = { status: 404, error: 'unknown-kiosk', message: 'no kiosk with that id is configured' };
  // The kiosk access kinds (access.ts): both read the `:kiosk` the router matched.
  access.provide('kiosk-screen', (req) => {
    const kiosk = kioskOf(req);
    if (kiosk === undefined || !kiosks.has(kiosk)) return unknownKiosk;
    const q = (req.query as { key?: unknown } | undefined)?.key;
    const given = screenKeyOf(req) ?? (typeof q === 'string' ? q : undefined);
    if (!o.screenKeys.matches(kiosk, given)) return { status: 403, error: 'bad-screen-key', message: 'this screen is not this kiosk' };
    return undefined;
  });
  access.provide('kiosk-session', (req) => {
    const kiosk = kioskOf(req);
    if (kiosk === undefined || !kiosks.has(kiosk)) return unknownKiosk;
    const s = sessions.use(bearerOf(req), kiosk);
    if (!s) return { status: 401, error: 'no-session', message: 'tap your card on this kiosk' };
    req.kioskSession = s;
    return undefined;
  });
  /** The session the access check found (kiosk-session routes only). */
  const sessionOf = (req: FastifyRequest): KioskSession => {
    if (!req.kioskSession) throw new Error('kiosk route without kiosk-session access');
    return req.kioskSession;
  };
  const memberOf = (s: KioskSession) => (s.subject.kind === 'member' ? o.members.findById(s.subject.memberId) : undefined);

  // --- the web app -------------------------------------------------------------------
  app.get('/kiosk', { config: { access: 'public' } }, async (req, reply) =>
    reply.redirect(`/kiosk/${req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''}`),
  );
  app.get('/kiosk/:file', { config: { access: 'public' }, schema: { params: Type.Object({ file: Type.String({ maxLength: 64 }) }) } }, async (req, reply) => {
    const name = req.params.file || 'index.html';
    const f = files.get(name);
    if (!f) return problem(reply, 404, 'not-found', 'no such file');
    reply.header('content-type', f.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
    if (name.endsWith('.html')) reply.header('content-security-policy', KIOSK_CSP).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    return reply.send(f.body);
  });

  // --- the API -----------------------------------------------------------------------
  // The matched route, not the URL text: every kiosk API answer is private to that moment.
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.url?.startsWith('/api/kiosk/')) reply.header('cache-control', 'no-store');
  });

  app.get(
    '/api/kiosk/:kiosk/screen',
    {
      config: { access: 'public' },
      schema: {
        params: Params,
        response: {
          200: Type.Object({ kiosk: Type.String(), idleMs: Type.Integer(), rewards: Type.Boolean(), offers: Type.Array(Type.Unknown()) }),
          404: Problem,
        },
      },
    },
    async (req, reply) => {
      if (!kiosks.has(req.params.kiosk)) return problem(reply, 404, 'unknown-kiosk', 'no kiosk with that id is configured');
      return { kiosk: req.params.kiosk, idleMs: screenIdleMs, rewards: o.rewards !== undefined, offers: o.offers ?? [] };
    },
  );

  app.get(
    '/api/kiosk/:kiosk/events',
    {
      config: { access: 'kiosk-screen' },
      schema: { params: Params, querystring: Type.Object({ key: Type.Optional(Type.String({ maxLength: 200 })) }), response: { 403: Problem } },
    },
    async (req, reply) => {
      const { kiosk } = req.params;
      const stream = openEventStream(reply, { hello: true });
      let set = streams.get(kiosk);
      if (!set) streams.set(kiosk, (set = new Set()));
      set.add(reply);
      req.raw.on('close', () => {
        stream.stop();
        set.delete(reply);
      });
    },
  );

  app.post(
    '/api/kiosk/:kiosk/staff-session',
    {
      config: { access: 'kiosk-screen' },
      schema: { params: Params, response: { 201: StaffSessionBody, 404: Problem, 409: Problem } },
    },
    async (req, reply) => {
      const current = sessions.current(req.params.kiosk);
      if (current?.subject.kind !== 'staff' || !o.staffSessions) return problem(reply, 409, 'no-staff-pass', 'tap a staff pass on this kiosk first');
      const { role, label } = current.subject;
      return reply.status(201).send(o.staffSessions.openFor({ role, ...(label !== undefined && { label }) }, `kiosk:${req.params.kiosk}`));
    },
  );

  app.get(
    '/api/kiosk/:kiosk/me',
    { config: { access: 'kiosk-session' }, schema: { params: Params, response: { 200: Open, 401: Problem } } },
    async (req, reply) => {
      const s = sessionOf(req);
      const now = o.clock.now();
      switch (s.subject.kind) {
        case 'join':
          return { kind: 'join', cardKind: s.subject.cardKind };
        case 'staff': {
          const health = o.health?.();
          const staff = health ? views.staff(health, now, joinedToday.date === today(now) ? joinedToday.n : 0) : null;
          return { kind: 'staff', role: s.subject.role, label: s.subject.label ?? null, ...staff };
        }
        case 'member': {
          const m = memberOf(s);
          if (!m) {
            sessions.end(s.token, s.kiosk);
            return problem(reply, 401, 'no-session', 'tap your card on this kiosk');
          }
          return { kind: 'member', ...views.member(m, now) };
        }
      }
    },
  );
  const today = (now: number) => localDate(now, o.config.store.timeZone);

  app.post(
    '/api/kiosk/:kiosk/me/join',
    {
      config: { access: 'kiosk-session' },
      schema: {
        params: Params,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            email: Type.Optional(Type.String({ maxLength: 254 })),
            consent: Type.Object({ presence: Type.Boolean({ default: false }), offers: Type.Boolean({ default: false }) }, { additionalProperties: false }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Open, 401: Problem, 409: Problem, 422: Problem },
      },
    },
    async (req, reply) => {
      const s = sessionOf(req);
      if (s.subject.kind !== 'join') return problem(reply, 409, 'not-joining', 'this session is not for a new card');
      const r = joiner.join({ token: s.subject.cardToken, kind: s.subject.cardKind }, req.body);
      if (!r.ok) return problem(reply, r.error.code === 'card-linked-elsewhere' ? 409 : 422, r.error.code, r.error.message);
      s.subject = { kind: 'member', memberId: r.value.member.id };
      const now = o.clock.now();
      joinedToday = joinedToday.date === today(now) ? { date: joinedToday.date, n: joinedToday.n + 1 } : { date: today(now), n: 1 };
      return reply.status(201).send({ kind: 'member', ...views.member(r.value.member, now) });
    },
  );

  app.post(
    '/api/kiosk/:kiosk/me/link',
    { config: { access: 'kiosk-session' }, schema: { params: Params, response: { 202: Type.Object({ until: Type.Number() }), 401: Problem, 409: Problem } } },
    async (req, reply) => {
      const s = sessionOf(req);
      if (s.subject.kind !== 'member') return problem(reply, 409, 'not-a-member', 'only a member can link a card');
      s.linkUntil = o.clock.now() + 30_000;
      return reply.status(202).send({ until: s.linkUntil });
    },
  );

  app.delete(
    '/api/kiosk/:kiosk/me/cards/:ref',
    {
      config: { access: 'kiosk-session' },
      schema: {
        params: Type.Object({ kiosk: KioskId, ref: Type.String({ pattern: '^[0-9a-f]{12}$' }) }),
        response: { 204: Type.Null(), 401: Problem, 404: Problem },
      },
    },
    async (req, reply) => {
      const m = memberOf(sessionOf(req));
      if (!m) return problem(reply, 404, 'unknown-card', 'no such card');
      const r = o.cardLinks.unlink(m.number, req.params.ref);
      if (!r.ok) return problem(reply, 404, r.error.code, r.error.message);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/kiosk/:kiosk/me/rewards/:id',
    {
      config: { access: 'kiosk-session' },
      schema: {
        params: Type.Object({ kiosk: KioskId, id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }),
        body: Type.Object({ requestKey: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ code: Type.String(), balance: Type.Integer() }), 401: Problem, 404: Problem, 422: Problem },
      },
    },
    async (req, reply) => {
      const m = memberOf(sessionOf(req));
      if (!m || !o.rewards) return problem(reply, 404, 'no-rewards', 'rewards are not available here');
      // The screen's requestKey makes a retried press the same redeem (same voucher, one spend).
      const r = o.rewards.redeem(m, req.params.id, `kiosk:${req.params.kiosk}:${req.body.requestKey}`);
      if (!r.ok) return problem(reply, 422, r.code, r.message);
      return reply.status(201).send({ code: r.code, balance: r.balance });
    },
  );

  app.delete('/api/kiosk/:kiosk/me', { config: { access: 'kiosk-session' }, schema: { params: Params } }, async (req, reply) => {
    const s = sessionOf(req);
    sessions.end(s.token, s.kiosk);
    return reply.status(204).send(null);
  });
};
