/**
 * Store-IT endpoints (DESIGN.md §9: they need a token): members and their cards.
 *   POST   /api/staff/session             {place}  a staff pass tapped at `place` opens a session
 *   POST   /api/members                   {number, name}
 *   GET    /api/members/:number           the member, balance and linked cards (kind + label)
 *   POST   /api/members/:number/cards     {place}  link the card just tapped at `place`
 *   DELETE /api/members/:number/cards/:ref
 * Roles: `admin` (the admin token) may do everything; staff roles listed in `roles` may manage
 * members and cards (default: supervisor).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CardTapRouter } from '../app/cards/card-tap-router';
import type { CardLinks } from '../app/members/card-links';
import type { MembersService } from '../app/members/members';
import type { Principal, StaffSessions } from '../app/members/staff-sessions';
import type { Clock } from '../ports/clock';

export interface StoreRoutesOptions {
  sessions: StaffSessions;
  members: MembersService;
  cardLinks: CardLinks;
  taps: CardTapRouter | undefined;
  clock: Clock;
  roles?: string[];
}

const Place = Type.String({ pattern: '^(lane|kiosk):[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const Number_ = Type.String({ pattern: '^[A-Za-z0-9-]{1,32}$' });
const Problem = Type.Object({ error: Type.String(), message: Type.String() });
const Card = Type.Object({ ref: Type.String(), kind: Type.Union([Type.String(), Type.Null()]), label: Type.Union([Type.String(), Type.Null()]), linkedAt: Type.Number() });

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const problem = (reply: FastifyReply, status: number, error: string, message: string) => reply.status(status).send({ error, message });

export const storeRoutes: FastifyPluginAsync<StoreRoutesOptions> = async (app, o) => {
  const allowed = new Set(['admin', ...(o.roles ?? ['supervisor'])]);
  const requireStaff = async (req: FastifyRequest, reply: FastifyReply) => {
    const principal = o.sessions.verify(req.headers.authorization);
    if (!principal) return problem(reply, 401, 'unauthorized', 'a store-IT token or a staff session is required');
    if (!allowed.has(principal.role)) return problem(reply, 403, 'forbidden', `role ${principal.role} may not do this`);
    req.principal = principal;
  };

  app.post('/api/staff/session', {
    schema: { body: Type.Object({ place: Place }, { additionalProperties: false }), response: { 201: Type.Object({ token: Type.String(), role: Type.String(), expiresAt: Type.Number() }), 401: Problem } },
  }, async (req, reply) => {
    const { place } = req.body as { place: string };
    const session = o.sessions.open(o.taps?.take(place, o.clock.now()));
    if (!session) return problem(reply, 401, 'no-staff-pass', 'tap a staff pass on that reader first');
    return reply.status(201).send(session);
  });

  app.post('/api/members', {
    preHandler: requireStaff,
    schema: { body: Type.Object({ number: Number_, name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), response: { 201: Type.Object({ number: Type.String(), name: Type.String() }), 409: Problem, 422: Problem } },
  }, async (req, reply) => {
    const result = o.members.create(req.body as { number: string; name: string });
    if (!result.ok) return problem(reply, result.error.code === 'number-taken' ? 409 : 422, result.error.code, result.error.message);
    return reply.status(201).send({ number: result.value.number, name: result.value.name });
  });

  app.get('/api/members/:number', {
    preHandler: requireStaff,
    schema: {
      params: Type.Object({ number: Number_ }),
      response: { 200: Type.Object({ number: Type.String(), name: Type.String(), balance: Type.Integer(), deficit: Type.Integer(), cards: Type.Array(Card) }), 404: Problem },
    },
  }, async (req, reply) => {
    const m = o.members.findByNumber((req.params as { number: string }).number);
    if (!m) return problem(reply, 404, 'unknown-member', 'no such member');
    return { number: m.number, name: m.name, balance: m.balance, deficit: m.deficit, cards: o.cardLinks.list(m.id) };
  });

  app.post('/api/members/:number/cards', {
    preHandler: requireStaff,
    schema: { params: Type.Object({ number: Number_ }), body: Type.Object({ place: Place }, { additionalProperties: false }), response: { 201: Card, 200: Card, 404: Problem, 409: Problem, 422: Problem } },
  }, async (req, reply) => {
    const { place } = req.body as { place: string };
    const r = o.cardLinks.linkTap((req.params as { number: string }).number, o.taps?.take(place, o.clock.now()));
    if (!r.ok) {
      const status = r.error.code === 'unknown-member' || r.error.code === 'no-tap' ? 404 : r.error.code === 'card-linked-elsewhere' ? 409 : 422;
      return problem(reply, status, r.error.code, r.error.message);
    }
    const { linked, ...card } = r.value;
    return reply.status(linked ? 201 : 200).send(card);
  });

  app.delete('/api/members/:number/cards/:ref', {
    preHandler: requireStaff,
    schema: { params: Type.Object({ number: Number_, ref: Type.String({ pattern: '^[0-9a-f]{12}$' }) }), response: { 204: Type.Null(), 404: Problem } },
  }, async (req, reply) => {
    const { number, ref } = req.params as { number: string; ref: string };
    const r = o.cardLinks.unlink(number, ref);
    if (!r.ok) return problem(reply, 404, r.error.code, r.error.message);
    return reply.status(204).send();
  });
};
