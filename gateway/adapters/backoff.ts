/**
 * Reconnect delays: exponential from `minMs` to `maxMs`, with "equal jitter" (half fixed,
 * half random) so lanes that lost their ports together, or stores that lost the broker together, do
 * not retry in lockstep. Shared by the till links, the BLE scanners and the MQTT link.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Uniform in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Delay before retry number `attempt` (1 = the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const max = Math.max(opts.minMs, opts.maxMs);
  const base = Math.min(max, opts.minMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  const r = (opts.random ?? Math.random)();
  return Math.round(base / 2 + (base / 2) * r);
}
