/**
 * Builds the HTTP API without listening (STYLE.md §9): tests call `inject`, the gateway
 * calls `listen`. Health and store routes are registered here; the gateway (app/gateway.ts)
 * registers the kiosk, phone, presence and metrics plugins on the instance returned. Access
 * control is installed before any route, so every route, here or in a plugin, declares who
 * may call it and is checked (gateway/api/access.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { StaffSessions } from '../app/members/staff-sessions';
import type { ScreenKeys } from '../app/kiosk/screen-keys';
import { installAccessControl } from './access';
import { installErrorHandler } from './error-handler';
import { healthRoutes, type HealthRoutesOptions } from './health-routes';
import { provideStaffAccess } from './staff-access';
import { storeRoutes, type StoreRoutesOptions } from './store-routes';

export interface ApiDeps extends HealthRoutesOptions {
  logger?: Logger;
  /** Staff sessions: the `staff` and `store-it` access (without them those routes are refused). */
  staff?: StaffSessions;
  /** Kiosk screen keys, for staff sessions opened at a kiosk. */
  screenKeys?: ScreenKeys;
  /** Staff roles that may do store work (default supervisor); admin always may. */
  staffRoles?: readonly string[];
  store?: StoreRoutesOptions;
  /** Seen for every route as it is registered (tests walk the route table with it). */
  onRoute?: (route: RouteOptions) => void;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines at info would log every health poll; warnings and errors still show.
    loggerInstance: deps.logger?.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger | undefined,
    bodyLimit: 64 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  const access = installAccessControl(app);
  if (deps.staff) provideStaffAccess(access, { sessions: deps.staff, screenKeys: deps.screenKeys, roles: deps.staffRoles });
  // Browsers must not guess a type for any answer (a JSON error read as HTML).
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  installErrorHandler(app);
  await app.register(healthRoutes, { health: deps.health, ready: deps.ready });
  if (deps.store) await app.register(storeRoutes, deps.store);
  return app;
}
