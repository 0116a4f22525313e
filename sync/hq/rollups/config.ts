/** What the HQ rollups need to know that the events do not say (docs/hq-insights.md). */
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
