/**
 * Store-IT endpoint for presence (issue 4; DESIGN.md §9: it needs a token):
 *   GET /api/presence/occupancy   members, tags and anonymous devices per zone right now,
 *                                 each scanner's state, and with a radio map how well
 *                                 devices fit it lately (median best misfit, dB).
 * Counts only: no member number, token or address is ever in the answer.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { OccupancyView } from '../app/presence/presence-service';

export interface PresenceRoutesOptions {
  occupancy: () => OccupancyView;
  /**
   * True when the `Authorization` header may see store-IT data (wire it to the staff
   * sessions' verify, or compare with `http.adminToken`). Without it every request is refused.
   */
  authorize?: (authorization: string | undefined) => boolean;
}

const Problem = Type.Object({ error: Type.String(), message: Type.String() });
const Count = Type.Integer({ minimum: 0 });
const Occupancy = Type.Object({
  at: Type.String(),
  zones: Type.Array(Type.Object({ zone: Type.String(), label: Type.Optional(Type.String()), members: Count, tags: Count, anonymous: Count })),
  scanners: Type.Array(Type.Object({
    name: Type.String(), kind: Type.String(), state: Type.String(), since: Type.Optional(Type.Number()), detail: Type.Optional(Type.String()),
  })),
  radioMap: Type.Union([
    Type.Object({ points: Count, medianMisfitDb: Type.Union([Type.Number(), Type.Null()]) }),
    Type.Null(),
  ]),
});

export const presenceRoutes: FastifyPluginAsync<PresenceRoutesOptions> = async (app, o) => {
  app.get('/api/presence/occupancy', { schema: { response: { 200: Occupancy, 401: Problem } } }, async (req, reply) => {
    if (!o.authorize?.(req.headers.authorization)) {
      return reply.status(401).send({ error: 'unauthorized', message: 'a store-IT token is required' });
    }
    return o.occupancy();
  });
};
