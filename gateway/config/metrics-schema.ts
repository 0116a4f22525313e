/**
 * `metrics` (issue 16): the Prometheus endpoint. `/metrics` on the main listener needs the
 * bearer token (Prometheus `authorization: { credentials_file: … }`); with `listen` it is
 * served on its own address instead (a management VLAN, or loopback for a local agent),
 * token-checked there only when a token is set. Neither set: no /metrics (refused, 401).
 */
import { Type, type Static } from '@sinclair/typebox';

export const MetricsConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Bearer token Prometheus sends; at least 16 characters. */
    token: Type.Optional(Type.String({ minLength: 16, description: 'a bearer token of at least 16 characters' })),
    /** The same, read from a file (trimmed); wins over `token`. */
    tokenFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Serve /metrics on this address only (port 0: any free port, for tests). */
    listen: Type.Optional(
      Type.Object(
        {
          host: Type.String({ default: '127.0.0.1' }),
          port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Request-time buckets (seconds) of the till and ledger histograms. */
    buckets: Type.Array(Type.Number({ exclusiveMinimum: 0 }), {
      minItems: 1,
      default: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
  },
  { additionalProperties: false, default: {} },
);
export type MetricsConfig = Static<typeof MetricsConfig>;

const Rect = Type.Object({ x0: Type.Number(), y0: Type.Number(), x1: Type.Number(), y1: Type.Number() }, { additionalProperties: false });
const Spot = Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false });

/**
 * `floorPlan` (issue 16): where zones and devices are, for the store page (metres, origin at
 * the top left). Optional: without it the page lays the zones out in a grid and lists the
 * devices beside them. Devices are keyed by scanner name, `lane:<id>` (a till link; its
 * card reader sits beside it), `kiosk:<id>` (a kiosk's reader) or `reader:<place>`.
 */
export const FloorPlanConfig = Type.Object(
  {
    width: Type.Number({ exclusiveMinimum: 0, default: 30 }),
    depth: Type.Number({ exclusiveMinimum: 0, default: 20 }),
    zones: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Rect, { default: {} }),
    devices: Type.Record(Type.String({ minLength: 1, maxLength: 80 }), Spot, { default: {} }),
  },
  { additionalProperties: false, default: {} },
);
export type FloorPlanConfig = Static<typeof FloorPlanConfig>;
