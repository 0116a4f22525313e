/**
 * Reconnect delay: exponential from `minMs` to `maxMs`, with "equal jitter" (half fixed, half
 * random), so a thousand stores that lost the broker together do not return in lockstep.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Injected for tests; default Math.random. */
  random?: () => number;
}

export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const max = Math.max(o.minMs, o.maxMs);
  const ceiling = Math.min(max, o.minMs * 2 ** Math.min(attempt, 30));
  const r = (o.random ?? Math.random)();
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}
