/**
 * Time is injected (STYLE.md §3). The core never reads the system clock: it receives `now`
 * (epoch milliseconds) from whoever calls it. Adapters and services take a Clock.
 */
export interface Clock {
  /** Wall-clock time in epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations; unrelated to wall time. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
