import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * Server-sent events on a hijacked Fastify reply, shared by the kiosk, phone and store-page
 * streams. `x-accel-buffering: no` keeps a reverse proxy (nginx) from holding events back; the
 * comment ping keeps an idle stream open through proxies and NAT timeouts and lets the client
 * notice a dead connection.
 */
export interface EventStream {
  readonly raw: ServerResponse;
  /** Stops the ping; the caller ends the response (or the client closed it). */
  stop(): void;
}

export const openEventStream = (reply: FastifyReply, opts: { hello: boolean; pingMs?: number }): EventStream => {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  // The client reconnects after 2 s; `hello` tells it the stream is up before any data.
  raw.write(opts.hello ? 'retry: 2000\nevent: hello\ndata: {}\n\n' : 'retry: 2000\n\n');
  const ping = setInterval(() => raw.write(': ping\n\n'), opts.pingMs ?? 15_000);
  ping.unref();
  return { raw, stop: () => clearInterval(ping) };
};
