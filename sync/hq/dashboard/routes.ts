/**
 * The HQ insights dashboard and its data (issue 17), on the HQ API process:
 *   GET /dashboard/                               the page (static; no data in it)
 *   GET /dashboard/app.js, /dashboard/app.css     its script and style
 *   GET /dashboard/vendor/chart.umd.min.js        Chart.js, from node_modules (no CDN)
 *   GET /v1/insights/:view?store&from&to          a view: its charts and tables
 *   GET /v1/insights/:view/charts/:chart          one chart's data (JSON)
 *   GET /v1/insights/:view/tables/:table.csv      one table (CSV)
 *   GET /v1/segments/:segment/members             an RFM segment's members
 *   POST /v1/segments/:segment/publish            publish it to stores as an offer audience
 * The page's files are public; every /v1 route needs the API's bearer token (api.ts), which
 * the page asks for once and keeps in sessionStorage.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { VIEW_IDS, RFM_SEGMENTS, type Insights, type InsightFilter, type Table, type ViewId } from '../rollups/insights';

const here = import.meta.dirname;
const file = (name: string) => readFileSync(join(here, name));
// chart.js's package exports name no UMD file: found next to its main entry (dist/).
const chartJs = () => readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'));

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Filter = Type.Object(
  { store: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), from: Type.Optional(Day), to: Type.Optional(Day) },
  { additionalProperties: false },
);
type Filter = Static<typeof Filter>;
const ViewParam = Type.Union(VIEW_IDS.map((v) => Type.Literal(v)));
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' });
const Segment = Type.Union(RFM_SEGMENTS.map((s) => Type.Literal(s)));

/** RFC 4180; a cell starting with = + - @ is prefixed with ' so a spreadsheet does not run it. */
export function toCsv(t: Table): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@]/.test(s)) s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export interface DashboardOptions {
  insights: Insights;
  now: () => number;
  /** Sends a segment's members to stores (publish-segment.ts); absent: publishing is off. */
  publishSegment?: (segment: string, members: string[], stores: string[] | undefined) => Promise<{ stores: string[]; members: number }>;
}

export async function dashboardRoutes(app: FastifyInstance, o: DashboardOptions): Promise<void> {
  const page = file('index.html');
  const js = file('app.js');
  const css = file('app.css');
  let vendor: Buffer | undefined;
  app.get('/dashboard', async (_req, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page));
  app.get('/dashboard/app.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(js));
  app.get('/dashboard/app.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(css));
  app.get('/dashboard/vendor/chart.umd.min.js', async (_req, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'max-age=86400')
      .send((vendor ??= chartJs())),
  );

  const filter = (q: Filter): InsightFilter => ({ store: q.store, from: q.from, to: q.to, now: o.now() });
  const load = (view: ViewId, q: Filter) => o.insights.view(view, filter(q));

  app.get('/v1/insights/:view', { schema: { params: Type.Object({ view: ViewParam }), querystring: Filter } }, async (req) =>
    load((req.params as { view: ViewId }).view, req.query as Filter),
  );
  app.get('/v1/insights/:view/charts/:chart', { schema: { params: Type.Object({ view: ViewParam, chart: Id }), querystring: Filter } }, async (req, reply) => {
    const p = req.params as { view: ViewId; chart: string };
    const chart = (await load(p.view, req.query as Filter)).charts.find((c) => c.id === p.chart);
    if (!chart) return reply.status(404).send({ code: 'not-found', message: `no chart ${p.chart} in ${p.view}` });
    return chart;
  });
  app.get(
    '/v1/insights/:view/tables/:table',
    { schema: { params: Type.Object({ view: ViewParam, table: Type.String({ pattern: '^[a-z0-9-]+\\.csv$', maxLength: 68 }) }), querystring: Filter } },
    async (req, reply) => {
      const p = req.params as { view: ViewId; table: string };
      const id = p.table.replace(/\.csv$/, '');
      const table = (await load(p.view, req.query as Filter)).tables.find((t) => t.id === id);
      if (!table) return reply.status(404).send({ code: 'not-found', message: `no table ${id} in ${p.view}` });
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="trouw-${p.view}-${id}.csv"`).send(toCsv(table));
    },
  );
  app.get('/v1/segments/:segment/members', { schema: { params: Type.Object({ segment: Segment }) } }, async (req) => {
    const segment = (req.params as { segment: string }).segment;
    const members = await o.insights.segmentMembers(segment, o.now());
    return { segment, members };
  });
  app.post(
    '/v1/segments/:segment/publish',
    {
      schema: {
        params: Type.Object({ segment: Segment }),
        body: Type.Object(
          { stores: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      if (!o.publishSegment) return reply.status(503).send({ code: 'unavailable', message: 'this HQ API has no broker link: segments cannot be published' });
      const segment = (req.params as { segment: string }).segment;
      const members = await o.insights.segmentMembers(segment, o.now());
      const r = await o.publishSegment(segment, members, (req.body as { stores?: string[] } | undefined)?.stores);
      return { segment, audience: `hq-${segment}`, ...r };
    },
  );
}
