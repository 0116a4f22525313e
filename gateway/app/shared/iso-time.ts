/** Epoch ms as RFC 3339 UTC, the form every event and answer carries. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();
