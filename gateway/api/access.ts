/**
 * Who may call a route is declared by the route, and decided here, once, on the route the
 * router matched (issue 14; docs/security.md). Never on the URL text: the router decodes
 * `%63` to `c` before matching, so a `req.url.startsWith(…)` test can be walked around.
 *
 *   app.get('/api/x', { config: { access: 'store-it' }, schema: … }, handler)
 *
 * - `public`         anyone (health, the kiosk web app's files).
 * - `kiosk-screen`   the kiosk's own screen: its screen key (`x-trouw-screen-key` or `?key=`)
 *                    for the `:kiosk` in the path.
 * - `kiosk-session`  a session token (`Authorization: Bearer`) opened by a tap at the
 *                    `:kiosk` in the path.
 * - `phone`          a phone credential HQ signed, for a member this gateway knows.
 * - `staff`          a staff session with a store role (config), or store IT.
 * - `store-it`       the admin token or an HQ staff token (role `admin`).
 * - `metrics`        Prometheus: the `metrics.token` bearer token (api/metrics-routes.ts).
 *
 * A route that declares nothing fails at registration (`onRoute` throws, so `ready()` and
 * the gateway's start fail). A kind whose checker no plugin provided is refused (deny by
 * default). Checkers are provided by the plugins that hold the credentials: the staff and
 * store-IT checkers by buildApi, kiosk ones by the kiosk plugin, the phone one by the
 * phone plugin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

export const ACCESS_KINDS = ['public', 'kiosk-screen', 'kiosk-session', 'phone', 'staff', 'store-it', 'metrics'] as const;
export type Access = (typeof ACCESS_KINDS)[number];

/** Why a request was refused; sent as `{error, message}` with `status`. */
export interface AccessDenied {
  status: 401 | 403 | 404;
  error: string;
  message: string;
}

/** Grants (returns undefined, after recording who asks on the request) or refuses. */
export type AccessChecker = (req: FastifyRequest) => AccessDenied | undefined;

export interface AccessControl {
  /** Sets the checker for a kind (one per kind; a second call replaces it). */
  provide(kind: Exclude<Access, 'public'>, check: AccessChecker): void;
  /** Every route registered so far with its declared access (for tests and docs). */
  readonly routes: ReadonlyArray<{ method: string; url: string; access: Access }>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route (gateway/api/access.ts). */
    access?: Access;
  }
  interface FastifyInstance {
    trouwAccess: AccessControl;
  }
}

export const isAccess = (v: unknown): v is Access => typeof v === 'string' && (ACCESS_KINDS as readonly string[]).includes(v);

const deny = (reply: FastifyReply, d: AccessDenied) => reply.status(d.status).send({ error: d.error, message: d.message });

/**
 * Installs the access decision on the root instance. Call it before any route is registered
 * (buildApi does); route plugins call `requireAccessControl(app)` first.
 */
export function installAccessControl(app: FastifyInstance): AccessControl {
  const checkers = new Map<Access, AccessChecker>();
  const routes: { method: string; url: string; access: Access }[] = [];
  const control: AccessControl = {
    provide: (kind, check) => void checkers.set(kind, check),
    routes,
  };
  app.decorate('trouwAccess', control);

  app.addHook('onRoute', (route: RouteOptions) => {
    const access: unknown = route.config?.access;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!isAccess(access)) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no access: set config.access to one of ${ACCESS_KINDS.join(', ')} (docs/security.md)`);
    }
    for (const method of methods) routes.push({ method, url: route.url, access });
  });

  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config?.access;
    if (access === undefined) {
      // Only the not-found handler has no declared access (onRoute refuses any other).
      if (req.is404) return;
      return deny(reply, { status: 403, error: 'forbidden', message: 'no access declared' });
    }
    if (access === 'public') return;
    const check = checkers.get(access);
    if (!check) return deny(reply, { status: 401, error: 'unauthorized', message: `${access} access is not available on this gateway` });
    const denied = check(req);
    if (denied) return deny(reply, denied);
  });
  return control;
}

/** Route plugins call this first: their routes are never served without the access decision. */
export function requireAccessControl(app: FastifyInstance): AccessControl {
  if (!app.hasDecorator('trouwAccess')) throw new Error('access control is not installed: build the API with buildApi (gateway/api/build-api.ts)');
  return app.trouwAccess;
}

/** The bearer token of a request, or undefined. */
export function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return undefined;
  const t = h.slice(7).trim();
  return t === '' ? undefined : t;
}
