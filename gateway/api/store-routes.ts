/**
 * Store-IT endpoints (DESIGN.md §9: they need a token): members and their cards.
 *   POST   /api/staff/session             {place}  store IT opens a session for the staff pass just tapped at a lane
 *   POST   /api/members                   {number, name}
 *   GET    /api/members/:number           the member, balance and linked cards (kind + label)
 *   POST   /api/members/:number/cards     {place}  link the card just tapped at `place`
 *   DELETE /api/members/:number/cards/:ref
 * Access (gateway/api/access.ts): `store-it` opens sessions; `staff` (store IT, or a staff
 * session whose role may do store work) manages members and cards. A staff session opened by
 * a tap is bound to its place: it links only cards tapped there. A pass tapped at a lane
 * also opens a session through that lane's till (`staff-session` over the link); one tapped
 * at a kiosk only on that kiosk's own screen (POST /api/kiosk/:kiosk/staff-session).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { CardTapRouter } from '../app/cards/card-tap-router';
import type { CardLinks } from '../app/members/card-links';
import type { MembersService } from '../app/members/members';
import type { StaffSessions } from '../app/members/staff-sessions';
import type { Clock } from '../ports/clock';
import { requireAccessControl } from './access';
import { StaffSessionBody } from './staff-access';

export interface StoreRoutesOptions {
  sessions: StaffSessions;
  members: MembersService;
  cardLinks: CardLinks;
  taps: CardTapRouter | undefined;
  clock: Clock;
}

const LanePlace = Type.String({ pattern: '^lane:[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'lane:<id>; a kiosk opens staff sessions on its own screen' });
const Place = Type.String({ pattern: '^(lane|kiosk):[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const Number_ = Type.String({ pattern: '^[A-Za-z0-9-]{1,32}$' });
const Problem = Type.Object({ error: Type.String(), message: Type.String() });
const Card = Type.Object({
  ref: Type.String(),
  kind: Type.Union([Type.String(), Type.Null()]),
  label: Type.Union([Type.String(), Type.Null()]),
  linkedAt: Type.Number(),
});

const problem = (reply: FastifyReply, status: number, error: string, message: string) => reply.status(status).send({ error, message });

export const storeRoutes: FastifyPluginAsyncTypebox<StoreRoutesOptions> = async (app, o) => {
  requireAccessControl(app);

  app.post(
    '/api/staff/session',
    {
      config: { access: 'store-it' },
      schema: { body: Type.Object({ place: LanePlace }, { additionalProperties: false }), response: { 201: StaffSessionBody, 401: Problem, 404: Problem } },
    },
    async (req, reply) => {
      const { place } = req.body;
      const session = o.sessions.open(o.taps?.take(place, o.clock.now()), place);
      if (!session) return problem(reply, 404, 'no-staff-pass', 'tap a staff pass on that reader first');
      return reply.status(201).send(session);
    },
  );

  app.post(
    '/api/members',
    {
      config: { access: 'staff' },
      schema: {
        body: Type.Object({ number: Number_, name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ number: Type.String(), name: Type.String() }), 409: Problem, 422: Problem },
      },
    },
    async (req, reply) => {
      const result = o.members.create(req.body);
      if (!result.ok) return problem(reply, result.error.code === 'number-taken' ? 409 : 422, result.error.code, result.error.message);
      return reply.status(201).send({ number: result.value.number, name: result.value.name });
    },
  );

  app.get(
    '/api/members/:number',
    {
      config: { access: 'staff' },
      schema: {
        params: Type.Object({ number: Number_ }),
        response: {
          200: Type.Object({ number: Type.String(), name: Type.String(), balance: Type.Integer(), deficit: Type.Integer(), cards: Type.Array(Card) }),
          404: Problem,
        },
      },
    },
    async (req, reply) => {
      const m = o.members.findByNumber(req.params.number);
      if (!m) return problem(reply, 404, 'unknown-member', 'no such member');
      return { number: m.number, name: m.name, balance: m.balance, deficit: m.deficit, cards: o.cardLinks.list(m.id) };
    },
  );

  app.post(
    '/api/members/:number/cards',
    {
      config: { access: 'staff' },
      schema: {
        params: Type.Object({ number: Number_ }),
        body: Type.Object({ place: Place }, { additionalProperties: false }),
        response: { 201: Card, 200: Card, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (req, reply) => {
      const { place } = req.body;
      const bound = req.principal?.place;
      if (bound !== undefined && bound !== place) return problem(reply, 403, 'wrong-place', `this session links cards tapped at ${bound} only`);
      const r = o.cardLinks.linkTap(req.params.number, o.taps?.take(place, o.clock.now()));
      if (!r.ok) {
        const status = r.error.code === 'unknown-member' || r.error.code === 'no-tap' ? 404 : r.error.code === 'card-linked-elsewhere' ? 409 : 422;
        return problem(reply, status, r.error.code, r.error.message);
      }
      const { linked, ...card } = r.value;
      return reply.status(linked ? 201 : 200).send(card);
    },
  );

  app.delete(
    '/api/members/:number/cards/:ref',
    {
      config: { access: 'staff' },
      schema: { params: Type.Object({ number: Number_, ref: Type.String({ pattern: '^[0-9a-f]{12}$' }) }), response: { 204: Type.Null(), 404: Problem } },
    },
    async (req, reply) => {
      const { number, ref } = req.params;
      const r = o.cardLinks.unlink(number, ref);
      if (!r.ok) return problem(reply, 404, r.error.code, r.error.message);
      return reply.status(204).send(null);
    },
  );
};
