/**
 * The store page for store IT (issue 16; docs/operations.md):
 *   GET /store/            the page (store-page/), public files under a strict CSP; it asks
 *                          for the store-IT token and keeps it in the tab (sessionStorage)
 *   GET /api/store/view    the view as JSON (access `store-it`)
 *   GET /api/store/live    the same, pushed as server-sent events while it changes
 *                          (`store-it`: the page reads it with fetch + Authorization, so the
 *                          token is never in a URL or a log line)
 */
import { openEventStream } from './event-stream';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAccessControl } from './access';
import { KIOSK_CSP } from './kiosk-routes';
import type { StoreLive } from '../app/store-page/store-live';

export interface StorePageRoutesOptions {
  live: StoreLive;
  /** The page's files (default: store-page/ in the checkout). */
  pageDir?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const storePageRoutes: FastifyPluginAsyncTypebox<StorePageRoutesOptions> = async (app, o) => {
  requireAccessControl(app);
  const dir = o.pageDir ?? fileURLToPath(new URL('../../store-page/', import.meta.url));
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type && /^[a-z0-9-]+\.[a-z0-9]+$/.test(name)) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  const streams = new Set<() => void>();

  app.get('/store', { config: { access: 'public' } }, async (_req, reply) => reply.redirect('/store/'));
  app.get('/store/:file', { config: { access: 'public' }, schema: { params: Type.Object({ file: Type.String({ maxLength: 64 }) }) } }, async (req, reply) => {
    const name = req.params.file || 'index.html';
    const f = files.get(name);
    if (!f) return reply.status(404).send({ error: 'not-found', message: 'no such file' });
    reply.header('content-type', f.type).header('cache-control', 'no-cache');
    if (name.endsWith('.html')) reply.header('content-security-policy', KIOSK_CSP).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    return reply.send(f.body);
  });

  app.get('/api/store/view', { config: { access: 'store-it' } }, async (_req, reply) => reply.header('cache-control', 'no-store').send(o.live.view()));

  app.get('/api/store/live', { config: { access: 'store-it' } }, async (req, reply) => {
    const stream = openEventStream(reply, { hello: false });
    const unsubscribe = o.live.subscribe((json) => reply.raw.write(`event: view\ndata: ${json}\n\n`));
    const end = () => {
      stream.stop();
      unsubscribe();
      streams.delete(close);
    };
    const close = () => {
      end();
      reply.raw.end();
    };
    streams.add(close);
    req.raw.on('close', end);
  });
  // An event stream never ends by itself: close them so the server can.
  app.addHook('preClose', async () => {
    for (const close of [...streams]) close();
  });
};
