/**
 * Builds the HTTP API without listening (STYLE.md §9): tests call `inject`, the gateway
 * calls `listen`. Later issues register kiosk, phone and store-IT plugins here.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandler } from './error-handler';
import { healthRoutes, type HealthRoutesOptions } from './health-routes';
import { storeRoutes, type StoreRoutesOptions } from './store-routes';

export interface ApiDeps extends HealthRoutesOptions {
  logger?: Logger;
  store?: StoreRoutesOptions;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines at info would log every health poll; warnings and errors still show.
    loggerInstance: deps.logger?.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger | undefined,
    bodyLimit: 64 * 1024,
  });
  installErrorHandler(app);
  await app.register(healthRoutes, { health: deps.health, ready: deps.ready });
  if (deps.store) await app.register(storeRoutes, deps.store);
  return app;
}
