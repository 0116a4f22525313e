/**
 * Store-IT endpoint for presence (issue 4; DESIGN.md §9: access `store-it`):
 *   GET /api/presence/occupancy   members, tags and anonymous devices per zone right now,
 *                                 each scanner's state, and with a radio map how well
 *                                 devices fit it lately (median best misfit, dB).
 * Counts only: no member number, token or address is ever in the answer.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAccessControl } from './access';
import type { OccupancyView } from '../app/presence/presence-service';

export interface PresenceRoutesOptions {
  occupancy: () => OccupancyView;
}

const Problem = Type.Object({ error: Type.String(), message: Type.String() });
const Count = Type.Integer({ minimum: 0 });
const Occupancy = Type.Object({
  at: Type.String(),
  zones: Type.Array(Type.Object({ zone: Type.String(), label: Type.Optional(Type.String()), members: Count, tags: Count, anonymous: Count })),
  scanners: Type.Array(
    Type.Object({
      name: Type.String(),
      kind: Type.String(),
      state: Type.String(),
      since: Type.Optional(Type.Number()),
      detail: Type.Optional(Type.String()),
    }),
  ),
  radioMap: Type.Union([Type.Object({ points: Count, medianMisfitDb: Type.Union([Type.Number(), Type.Null()]) }), Type.Null()]),
});

export const presenceRoutes: FastifyPluginAsyncTypebox<PresenceRoutesOptions> = async (app, o) => {
  requireAccessControl(app);
  app.get('/api/presence/occupancy', { config: { access: 'store-it' }, schema: { response: { 200: Occupancy, 401: Problem, 403: Problem } } }, async () =>
    o.occupancy(),
  );
};
