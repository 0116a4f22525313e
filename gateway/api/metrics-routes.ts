/**
 * `GET /metrics` for Prometheus (issue 16). Access `metrics`: the bearer token from
 * `metrics.token`/`metrics.tokenFile`, compared in constant time. On its own listener
 * (`metrics.listen`) without a token the route is `public`: the address is the protection.
 * No token and no listener: the route exists and refuses (deny by default, access.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { bearerOf, installAccessControl, requireAccessControl } from './access';
import { installErrorHandler } from './error-handler';

export interface MetricsRoutesOptions {
  scrape: () => Promise<{ text: string; contentType: string }>;
  /** The bearer token Prometheus must send; undefined: none (public on its own listener, refused on the main one). */
  token: string | undefined;
  /** True on the metrics-only listener. */
  ownListener: boolean;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, o) => {
  const control = requireAccessControl(app);
  if (o.token !== undefined) {
    const want = digest(o.token);
    control.provide('metrics', (req) => {
      const got = bearerOf(req);
      if (got !== undefined && timingSafeEqual(digest(got), want)) return undefined;
      return { status: 401, error: 'unauthorized', message: 'the metrics bearer token is required (metrics.token)' };
    });
  }
  const access = o.token === undefined && o.ownListener ? 'public' : 'metrics';
  app.get('/metrics', { config: { access } }, async (_req, reply) => {
    const { text, contentType } = await o.scrape();
    return reply.type(contentType).send(text);
  });
};

/** The metrics-only listener (`metrics.listen`): access control, the error handler, /metrics. */
export async function buildMetricsServer(o: Omit<MetricsRoutesOptions, 'ownListener'> & { logger?: Logger }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: o.logger?.child({ component: 'metrics-http' }, { level: 'warn' }) as FastifyBaseLogger | undefined });
  installAccessControl(app);
  installErrorHandler(app);
  await app.register(metricsRoutes, { scrape: o.scrape, token: o.token, ownListener: true });
  return app;
}
