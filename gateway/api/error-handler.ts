import type { FastifyError, FastifyInstance } from 'fastify';

/** Validation errors say what is wrong; 5xx details stay in the log, never in the answer. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.status(status).send({ error: 'internal', message: 'internal error' });
    }
    return reply.status(status).send({ error: error.code ?? 'bad-request', message: error.message });
  });
}
