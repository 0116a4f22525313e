import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAccessControl } from './access';
import type { GatewayHealth } from '../ports/health';

export interface HealthRoutesOptions {
  health: () => GatewayHealth;
  /** Ready = database open and migrations applied, lanes started; not "every device up". */
  ready: () => boolean;
}

const Device = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  state: Type.String(),
  since: Type.Optional(Type.Number()),
  detail: Type.Optional(Type.String()),
});

const HealthBody = Type.Object({
  status: Type.String(),
  neededDown: Type.Optional(Type.Array(Type.String())),
  store: Type.String(),
  gateway: Type.String(),
  startedAt: Type.Number(),
  database: Device,
  lanes: Type.Array(
    Type.Object({
      lane: Type.String(),
      transport: Type.String(),
      endpoint: Type.String(),
      state: Type.String(),
      since: Type.Number(),
      lastError: Type.Optional(Type.String()),
      counters: Type.Record(Type.String(), Type.Number()),
    }),
  ),
  devices: Type.Array(Device),
});

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, opts) => {
  requireAccessControl(app);
  app.get('/healthz', { config: { access: 'public' }, schema: { response: { 200: HealthBody, 503: HealthBody } } }, async (_req, reply) => {
    const h = opts.health();
    return reply.status(h.status === 'down' ? 503 : 200).send(h);
  });
  app.get(
    '/readyz',
    { config: { access: 'public' }, schema: { response: { 200: Type.Object({ ready: Type.Boolean() }), 503: Type.Object({ ready: Type.Boolean() }) } } },
    async (_req, reply) => {
      const ready = opts.ready();
      return reply.status(ready ? 200 : 503).send({ ready });
    },
  );
};
