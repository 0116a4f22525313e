/**
 * HQ read API (fastify; built here, listened on by the CLI; tested with inject, STYLE.md §9):
 *   GET /health
 *   GET /v1/events?store&gateway&type&member&from&to&limit&after   events by store/type/time
 *   GET /v1/members/:member/points                                 a member's points across stores
 *   GET /v1/stores                                                 per gateway: status, last seen, lag
 *   GET /v1/dead-letters?reason&limit
 *   /dashboard/ and /v1/insights/…, /v1/segments/…                  insights (dashboard/routes.ts)
 * A bearer token is required when `token` is set (not for /health and the dashboard's own
 * static files, which hold no data). 5xx details are logged, not returned.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../gateway/ports/clock';
import type { HqStore } from './store';
import { DEFAULT_ROLLUP_CONFIG, type RollupConfig } from './rollups/config';
import { createInsights } from './rollups/insights';
import { dashboardRoutes, type DashboardOptions } from './dashboard/routes';

export interface HqApiOptions {
  store: HqStore;
  /** The insights dashboard (default on, with the default rollup config); false: off. */
  insights?: RollupConfig | false;
  /** Publishing RFM segments to stores as offer audiences (needs a broker link). */
  publishSegment?: DashboardOptions['publishSegment'];
  token?: string;
  logger?: Logger;
  clock?: Clock;
}

const EventsQuery = Type.Object(
  {
    store: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    gateway: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    member: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /** Event time, RFC 3339 or epoch ms; [from, to). */
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    /** The `next` cursor of the previous page. */
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
  },
  { additionalProperties: false },
);
type EventsQuery = Static<typeof EventsQuery>;

const DeadQuery = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 40 })), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
  { additionalProperties: false },
);

const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() });

function parseTime(s: string | undefined): number | undefined | null {
  if (s === undefined) return undefined;
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  return Number.isFinite(n) ? n : null;
}

const encodeCursor = (c: { timeMs: number; source: string; id: string }) => Buffer.from(JSON.stringify([c.timeMs, c.source, c.id])).toString('base64url');
function decodeCursor(s: string): { timeMs: number; source: string; id: string } | undefined {
  try {
    const [timeMs, source, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    if (typeof timeMs === 'number' && typeof source === 'string' && typeof id === 'string') return { timeMs, source, id };
  } catch {
    // fall through
  }
  return undefined;
}

export async function buildHqApi(o: HqApiOptions): Promise<FastifyInstance> {
  const clock = o.clock ?? systemClock;
  const app = Fastify({
    loggerInstance: o.logger?.child({ component: 'hq-api' }) as FastifyBaseLogger | undefined,
    disableRequestLogging: true,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
  });

  app.setErrorHandler((e: { statusCode?: number; code?: string; message: string; validation?: unknown }, req, reply) => {
    const status = e.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err: e }, 'hq api error');
      return reply.status(500).send({ code: 'internal', message: 'internal error' });
    }
    return reply.status(status).send({ code: e.validation ? 'bad-request' : (e.code ?? 'error'), message: e.message });
  });

  if (o.token) {
    const want = Buffer.from(`Bearer ${o.token}`);
    app.addHook('onRequest', async (req, reply) => {
      // By the route matched, not the raw URL: /dashboard/../v1/events is not a dashboard file.
      const route = req.routeOptions.url ?? '';
      if (route === '/health' || route === '/dashboard' || route.startsWith('/dashboard/')) return;
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== want.length || !timingSafeEqual(got, want)) {
        return reply.status(401).send({ code: 'unauthorized', message: 'bearer token required' });
      }
    });
  }

  app.get('/health', { schema: { response: { 200: Type.Object({ status: Type.String(), storage: Type.String() }) } } }, async () => ({
    status: 'ok',
    storage: o.store.kind,
  }));

  app.get('/v1/events', { schema: { querystring: EventsQuery, response: { 400: ErrorBody } } }, async (req, reply) => {
    const q = req.query as EventsQuery;
    const fromMs = parseTime(q.from);
    const toMs = parseTime(q.to);
    if (fromMs === null || toMs === null) return reply.status(400).send({ code: 'bad-request', message: 'from/to: RFC 3339 time or epoch ms' });
    const after = q.after ? decodeCursor(q.after) : undefined;
    if (q.after && !after) return reply.status(400).send({ code: 'bad-request', message: 'after: not a cursor from this API' });
    const events = await o.store.queryEvents({
      limit: q.limit,
      ...(q.store ? { store: q.store } : {}),
      ...(q.gateway ? { gateway: q.gateway } : {}),
      ...(q.type ? { type: q.type } : {}),
      ...(q.member ? { member: q.member } : {}),
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
      ...(after ? { after } : {}),
    });
    const last = events[events.length - 1];
    return { events, next: events.length === q.limit && last ? encodeCursor(last) : null };
  });

  app.get(
    '/v1/members/:member/points',
    { schema: { params: Type.Object({ member: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' }) }) } },
    async (req) => o.store.memberPoints((req.params as { member: string }).member),
  );

  app.get('/v1/stores', async () => {
    const now = clock.now();
    const gateways = await o.store.gateways();
    return {
      now,
      gateways: gateways.map((g) => ({ ...g, silentForMs: g.lastSeenAt === null ? null : Math.max(0, now - g.lastSeenAt) })),
    };
  });

  app.get('/v1/dead-letters', { schema: { querystring: DeadQuery } }, async (req) => {
    const q = req.query as Static<typeof DeadQuery>;
    return { deadLetters: await o.store.deadLetters({ limit: q.limit, ...(q.reason ? { reason: q.reason } : {}) }) };
  });

  if (o.insights !== false) {
    const insights = createInsights(o.store, o.insights ?? DEFAULT_ROLLUP_CONFIG);
    await app.register(dashboardRoutes, { insights, now: () => clock.now(), ...(o.publishSegment ? { publishSegment: o.publishSegment } : {}) });
  }

  return app;
}
