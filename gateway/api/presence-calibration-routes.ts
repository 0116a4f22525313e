/**
 * Store-IT endpoints to record a calibration walk (docs/presence.md, "Radio map"); all need
 * access `store-it`, like /api/presence/occupancy:
 *   POST   /api/presence/calibration            {tag}          start, with a configured tag as the reference beacon
 *   PUT    /api/presence/calibration/zone       {zone|null}    the zone being walked now (null: between zones, a pause)
 *   GET    /api/presence/calibration                           status: tag, zone, rows per zone and scanner, elapsed
 *   GET    /api/presence/calibration/survey.csv                the rows (time_ms,scanner,rssi,zone)
 *   POST   /api/presence/calibration/finish     {apply?}       build, check, write the map; apply: use it now
 *   DELETE /api/presence/calibration                           discard
 * Only the reference tag's reports are ever recorded (app/presence/presence-calibration.ts).
 */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAccessControl } from './access';
import type { CalibrationError, CalibrationErrorCode, CalibrationRecorder } from '../app/presence/presence-calibration';
import type { FinishError, Finished } from '../app/presence/presence-calibration-map';

export interface PresenceCalibrationRoutesOptions {
  recorder: CalibrationRecorder;
  finish: (apply: boolean) => { ok: true; value: Finished } | { ok: false; error: FinishError };
  /** False when presence is off (no scanners): nothing could be recorded. */
  active: boolean;
}

const Problem = Type.Object({ error: Type.String(), message: Type.String(), missingZones: Type.Optional(Type.Array(Type.String())) });
const Count = Type.Integer({ minimum: 0 });
const Status = Type.Object({
  tag: Type.String(),
  zone: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String(),
  elapsedMs: Count,
  expiresInMs: Count,
  rows: Count,
  maxRows: Count,
  full: Type.Boolean(),
  rowsPerZone: Type.Record(Type.String(), Count),
  unlabelledRows: Count,
  rowsPerScanner: Type.Record(Type.String(), Count),
});
const StartBody = Type.Object({ tag: Type.String({ minLength: 1, maxLength: 64, description: 'a presence.tags id' }) }, { additionalProperties: false });
const ZoneBody = Type.Object(
  { zone: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], { description: 'a zone id, or null between zones' }) },
  { additionalProperties: false },
);
const FinishBody = Type.Object({ apply: Type.Optional(Type.Boolean({ description: 'use the map now (default false)' })) }, { additionalProperties: false });
const FinishedBody = Type.Object({
  file: Type.String(),
  configured: Type.Boolean(),
  applied: Type.Boolean(),
  points: Count,
  pointsPerZone: Type.Record(Type.String(), Count),
  scanners: Type.Array(Type.String()),
  rows: Count,
  used: Count,
  note: Type.String(),
});
const Ended = Type.Object({ discarded: Type.Boolean(), tag: Type.String(), rows: Count });

const STATUS: Record<CalibrationErrorCode | FinishError['error'], number> = {
  'unknown-tag': 400,
  'unknown-zone': 400,
  'no-calibration': 404,
  'calibration-running': 409,
  'calibration-full': 409,
  'radio-map-incomplete': 422,
  'radio-map-invalid': 422,
  'radio-map-not-written': 500,
};
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 500: Problem };
const refuse = (reply: FastifyReply, e: CalibrationError | FinishError) => reply.status(STATUS[e.error]).send(e);

export const presenceCalibrationRoutes: FastifyPluginAsyncTypebox<PresenceCalibrationRoutesOptions> = async (app, o) => {
  // Every route is store IT's, declared on the route (access.ts), never tested on the URL text.
  requireAccessControl(app);
  const config = { access: 'store-it' } as const;

  app.post('/api/presence/calibration', { config, schema: { body: StartBody, response: { 201: Status, ...errors } } }, async (req, reply) => {
    if (!o.active)
      return reply.status(409).send({ error: 'presence-off', message: 'presence is off (presence.enabled, presence.scanners): nothing can be recorded' });
    const r = o.recorder.start(req.body.tag);
    return r.ok ? reply.status(201).send(r.value) : refuse(reply, r.error);
  });

  app.put('/api/presence/calibration/zone', { config, schema: { body: ZoneBody, response: { 200: Status, ...errors } } }, async (req, reply) => {
    const r = o.recorder.setZone(req.body.zone);
    return r.ok ? r.value : refuse(reply, r.error);
  });

  app.get('/api/presence/calibration', { config, schema: { response: { 200: Status, ...errors } } }, async (_req, reply) => {
    const r = o.recorder.status();
    return r.ok ? r.value : refuse(reply, r.error);
  });

  app.get('/api/presence/calibration/survey.csv', { config, schema: { response: errors } }, async (_req, reply) => {
    const r = o.recorder.csv();
    if (!r.ok) return refuse(reply, r.error);
    return (
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="survey.csv"')
        // A stream has no JSON schema: the 200 is left undeclared, so its type is not inferred.
        .send(Readable.from(r.value) as never)
    );
  });

  app.post(
    '/api/presence/calibration/finish',
    {
      config,
      schema: { body: FinishBody, response: { 200: FinishedBody, ...errors } },
      // `curl -X POST …/finish` without a body means the defaults.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req, reply) => {
      const r = o.finish(req.body?.apply ?? false);
      return r.ok ? r.value : refuse(reply, r.error);
    },
  );

  app.delete('/api/presence/calibration', { config, schema: { response: { 200: Ended, ...errors } } }, async (_req, reply) => {
    const r = o.recorder.end('discarded');
    return r.ok ? { discarded: true, ...r.value } : refuse(reply, r.error);
  });
};
