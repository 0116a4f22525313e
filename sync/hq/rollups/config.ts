/**
 * What the HQ rollups need to know that the events do not say (docs/hq-insights.md), and the
 * HQ insights config that sets it: a YAML/JSON file (`--insights-config`, or
 * TROUW_HQ_INSIGHTS_CONFIG), checked here, at the boundary, before any event is rolled up.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, describeProblems } from '../../schemas/check';

export interface RollupConfig {
  /** Days, hours and months are the stores' local ones (one zone for the chain). */
  timeZone: string;
  /** What a point is worth to the programme, in euro cents (liability in euro). */
  centsPerPoint: number;
  /** Days after assignment (sent or held back) in which a member's visits and spend count for uplift. */
  upliftWindowDays: number;
  /** Cells with fewer distinct members than this are suppressed (movement). */
  k: number;
}

export const DEFAULT_ROLLUP_CONFIG: RollupConfig = { timeZone: 'Europe/Amsterdam', centsPerPoint: 1, upliftWindowDays: 7, k: 5 };

/**
 * The file's shape. Every field optional (the defaults above). No holdout share: the gateway
 * draws the control group, so the share is an offer setting in the store config
 * (`offers.*.holdout`, 0–0.5, checked by gateway/config/offers-schema.ts) and arrives in
 * every held-back event; HQ has nothing to set.
 */
export const InsightsConfigSchema = Type.Object(
  {
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Euro per point, as the programme states it (0.01 = one cent). */
    euroPerPoint: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
    upliftWindowDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 })),
    /** k-anonymity: below 2 nothing would be suppressed. */
    k: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type InsightsConfigFile = Static<typeof InsightsConfigSchema>;

/** The config from a parsed file (null/undefined: defaults); throws with every problem named. */
export function parseRollupConfig(raw: unknown): RollupConfig {
  if (raw === null || raw === undefined) return { ...DEFAULT_ROLLUP_CONFIG };
  const r = check(InsightsConfigSchema, raw);
  if (!r.ok) throw new Error(`insights config: ${describeProblems(r.problems)}`);
  const c = r.value;
  if (c.timeZone !== undefined && !validTimeZone(c.timeZone)) throw new Error(`insights config: /timeZone: unknown time zone ${c.timeZone}`);
  return {
    timeZone: c.timeZone ?? DEFAULT_ROLLUP_CONFIG.timeZone,
    // Cents, kept as a number: 0.0125 €/point is 1.25 cents.
    centsPerPoint: c.euroPerPoint !== undefined ? Math.round(c.euroPerPoint * 100 * 1e6) / 1e6 : DEFAULT_ROLLUP_CONFIG.centsPerPoint,
    upliftWindowDays: c.upliftWindowDays ?? DEFAULT_ROLLUP_CONFIG.upliftWindowDays,
    k: c.k ?? DEFAULT_ROLLUP_CONFIG.k,
  };
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
