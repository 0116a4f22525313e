/**
 * The member's phone (issue 8), on the store's Wi-Fi. DESIGN.md §9: a phone sees only the
 * member of its credential. Every call needs `Authorization: Bearer <credential>`, a
 * `{member, exp}` HQ signed with Ed25519, verified here offline with `offers.phone.hqPublicKey`.
 *   GET  /api/phone/offers                      SSE: offers still valid (replayed), then new ones, withdrawals
 *   POST /api/phone/offers/:id/{shown|opened|dismissed}
 *   PUT  /api/phone/consent   {offers: boolean}  allow offers, or withdraw (at once)
 * A bad, expired or missing credential is 401; another member's offer is 404 (not 403: the
 * id's existence is not revealed).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import type { OffersService, PhoneMessage } from '../app/offers/offers-service';
import { parsePublicKey, verifyMemberCredential } from '../core/offers/credential';
import type { Clock } from '../ports/clock';

export interface PhoneRoutesOptions {
  offers: OffersService;
  clock: Clock;
  /** `offers.phone.hqPublicKey`; unset: every phone is refused. */
  hqPublicKey: string | undefined;
  pingMs?: number;
  maxStreamsPerMember?: number;
}

const Problem = Type.Object({ error: Type.String(), message: Type.String() });
const problem = (reply: FastifyReply, status: number, error: string, message: string) => reply.status(status).send({ error, message });

export const phoneRoutes: FastifyPluginAsync<PhoneRoutesOptions> = async (app, o) => {
  const key: KeyObject | undefined = o.hqPublicKey ? parsePublicKey(o.hqPublicKey) : undefined;
  const maxStreams = o.maxStreamsPerMember ?? 3;
  const open = new Map<string, Set<() => void>>();

  /** The member of the request's credential, or a 401 sent. */
  const memberOf = (req: FastifyRequest, reply: FastifyReply): string | undefined => {
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
    if (!key || !token) {
      void problem(reply, 401, 'unauthorized', 'a member credential is required');
      return undefined;
    }
    const v = verifyMemberCredential(token, key, o.clock.now());
    if (!v.ok) {
      void problem(reply, 401, v.error.code === 'expired' ? 'credential-expired' : 'bad-credential', v.error.message);
      return undefined;
    }
    return v.value.member;
  };

  app.get('/api/phone/offers', { schema: { response: { 401: Problem } } }, async (req, reply) => {
    const member = memberOf(req, reply);
    if (!member) return reply;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const write = (m: PhoneMessage) => {
      const id = m.type === 'offer' ? m.offer.id : m.id;
      raw.write(`id: ${id}\nevent: ${m.type}\ndata: ${JSON.stringify(m.type === 'offer' ? m.offer : { id })}\n\n`);
    };
    raw.write('retry: 2000\nevent: hello\ndata: {}\n\n');
    // Subscribe before replaying: an offer sent in between arrives (perhaps twice; ids dedupe).
    const unsubscribe = o.offers.subscribe(member, write);
    for (const offer of o.offers.held(member)) write({ type: 'offer', offer });
    const ping = setInterval(() => raw.write(': ping\n\n'), o.pingMs ?? 15_000);
    ping.unref();
    let set = open.get(member);
    if (!set) open.set(member, (set = new Set()));
    const close = () => {
      clearInterval(ping);
      unsubscribe();
      set.delete(close);
      if (set.size === 0 && open.get(member) === set) open.delete(member);
      if (!raw.writableEnded) raw.end();
    };
    set.add(close);
    // Too many streams for one member: the oldest goes.
    if (set.size > maxStreams) [...set][0]!();
    req.raw.on('close', close);
  });

  app.post('/api/phone/offers/:id/:what', {
    schema: {
      params: Type.Object({ id: Type.String({ pattern: '^[0-9A-Z]{26}$' }), what: Type.Union([Type.Literal('shown'), Type.Literal('opened'), Type.Literal('dismissed')]) }),
      response: { 204: Type.Null(), 401: Problem, 404: Problem },
    },
  }, async (req, reply) => {
    const member = memberOf(req, reply);
    if (!member) return reply;
    const { id, what } = req.params as { id: string; what: 'shown' | 'opened' | 'dismissed' };
    if (!o.offers.report(member, id, what)) return problem(reply, 404, 'unknown-offer', 'no such offer');
    return reply.status(204).send();
  });

  app.put('/api/phone/consent', {
    schema: { body: Type.Object({ offers: Type.Boolean() }, { additionalProperties: false }), response: { 200: Type.Object({ offers: Type.Boolean(), withdrawn: Type.Integer() }), 401: Problem } },
  }, async (req, reply) => {
    const member = memberOf(req, reply);
    if (!member) return reply;
    const allowed = (req.body as { offers: boolean }).offers;
    const r = o.offers.setConsent(member, allowed, 'phone');
    return { offers: allowed, withdrawn: r.withdrawn };
  });

  app.addHook('onClose', async () => {
    for (const set of open.values()) for (const close of [...set]) close();
  });
};
