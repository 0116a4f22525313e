/**
 * The member's phone (issue 8), on the store's Wi-Fi. DESIGN.md §9: a phone sees only the
 * member of its credential. Every call needs `Authorization: Bearer <credential>`, a
 * `{member, exp}` HQ signed with Ed25519, verified here offline with `offers.phone.hqPublicKey`.
 *   GET  /api/phone/offers                      SSE: offers still valid (replayed), then new ones, withdrawals
 *   POST /api/phone/offers/:id/{shown|opened|dismissed}
 *   PUT  /api/phone/consent   {offers: boolean}  allow offers, or withdraw (at once)
 * A bad, expired or missing credential, or one for a member this store does not know, is 401; another member's offer is 404 (not 403: the
 * id's existence is not revealed).
 */
import { openEventStream } from './event-stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { bearerOf, requireAccessControl } from './access';
import type { KeyObject } from 'node:crypto';
import type { OffersService, PhoneMessage } from '../app/offers/offers-service';
import { parsePublicKey, verifyMemberCredential } from '../core/offers/credential';
import type { Clock } from '../ports/clock';

export interface PhoneRoutesOptions {
  offers: OffersService;
  clock: Clock;
  /** `offers.phone.hqPublicKey`; unset: every phone is refused. */
  hqPublicKey: string | undefined;
  /** True for a member number this gateway knows; a credential for any other is refused. */
  knownMember: (member: string) => boolean;
  pingMs?: number;
  maxStreamsPerMember?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The member number of a `phone` route's credential. */
    phoneMember?: string;
  }
}

const Problem = Type.Object({ error: Type.String(), message: Type.String() });
const problem = (reply: FastifyReply, status: number, error: string, message: string) => reply.status(status).send({ error, message });

export const phoneRoutes: FastifyPluginAsyncTypebox<PhoneRoutesOptions> = async (app, o) => {
  const key: KeyObject | undefined = o.hqPublicKey ? parsePublicKey(o.hqPublicKey) : undefined;
  const maxStreams = o.maxStreamsPerMember ?? 3;
  const open = new Map<string, Set<() => void>>();

  // The `phone` access (access.ts): a credential HQ signed, unexpired, for a known member.
  requireAccessControl(app).provide('phone', (req) => {
    const token = bearerOf(req);
    if (!key || !token) return { status: 401, error: 'unauthorized', message: 'a member credential is required' };
    const v = verifyMemberCredential(token, key, o.clock.now());
    if (!v.ok) return { status: 401, error: v.error.code === 'expired' ? 'credential-expired' : 'bad-credential', message: v.error.message };
    if (!o.knownMember(v.value.member)) return { status: 401, error: 'unknown-member', message: 'this credential is for a member this store does not know' };
    req.phoneMember = v.value.member;
    return undefined;
  });
  const memberOf = (req: { phoneMember?: string }): string => {
    if (req.phoneMember === undefined) throw new Error('phone route without phone access');
    return req.phoneMember;
  };
  const config = { access: 'phone' } as const;

  app.get('/api/phone/offers', { config, schema: { response: { 401: Problem } } }, async (req, reply) => {
    const member = memberOf(req);
    const stream = openEventStream(reply, { hello: true, ...(o.pingMs !== undefined && { pingMs: o.pingMs }) });
    const raw = stream.raw;
    const write = (m: PhoneMessage) => {
      const id = m.type === 'offer' ? m.offer.id : m.id;
      raw.write(`id: ${id}\nevent: ${m.type}\ndata: ${JSON.stringify(m.type === 'offer' ? m.offer : { id })}\n\n`);
    };
    // Subscribe before replaying: an offer sent in between arrives (perhaps twice; ids dedupe).
    const unsubscribe = o.offers.subscribe(member, write);
    for (const offer of o.offers.held(member)) write({ type: 'offer', offer });
    let set = open.get(member);
    if (!set) open.set(member, (set = new Set()));
    const close = () => {
      stream.stop();
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

  app.post(
    '/api/phone/offers/:id/:what',
    {
      config,
      schema: {
        params: Type.Object({
          id: Type.String({ pattern: '^[0-9A-Z]{26}$' }),
          what: Type.Union([Type.Literal('shown'), Type.Literal('opened'), Type.Literal('dismissed')]),
        }),
        response: { 204: Type.Null(), 401: Problem, 404: Problem },
      },
    },
    async (req, reply) => {
      const member = memberOf(req);
      const { id, what } = req.params;
      if (!o.offers.report(member, id, what)) return problem(reply, 404, 'unknown-offer', 'no such offer');
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/phone/consent',
    {
      config,
      schema: {
        body: Type.Object({ offers: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Object({ offers: Type.Boolean(), withdrawn: Type.Integer() }), 401: Problem },
      },
    },
    async (req) => {
      const member = memberOf(req);
      const allowed = req.body.offers;
      const r = o.offers.setConsent(member, allowed, 'phone');
      return { offers: allowed, withdrawn: r.withdrawn };
    },
  );

  app.addHook('onClose', async () => {
    for (const set of open.values()) for (const close of [...set]) close();
  });
};
