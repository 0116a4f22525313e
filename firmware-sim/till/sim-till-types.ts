/** Options and results of SimTill (sim-till.ts). */
import type { TillResponse } from '../../gateway/core/till/messages';
import type { Result } from '../../gateway/core/result';
import type { Clock } from '../../gateway/ports/clock';
import type { LinkLogger, Timers } from '../../gateway/adapters/pos/link-types';
import type { FaultKind } from './faults';
import type { TillTransport } from './till-line';

export interface SimTillOptions {
  transport: TillTransport;
  /** Journal file (JSONL); pending requests in it are picked up again. */
  journal: string;
  lane?: string;
  receiptPrefix?: string;
  /** Member numbers for random sales; none given: sales without a member. */
  members?: readonly string[];
  /** Share of random sales with a member (default 0.7). */
  memberRate?: number;
  seed?: number;
  /** Random faults on request frames: each gets one with probability `rate`. */
  faults?: { rate: number; kinds?: readonly FaultKind[] };
  failOpenMs?: number;
  ackTimeoutMs?: number;
  maxRetries?: number;
  interByteGapMs?: number;
  clock?: Clock;
  timers?: Timers;
  logger?: LinkLogger;
}

export interface FailedOpen {
  code: 'timeout' | 'link-down' | 'gateway-error';
  message: string;
  /** Will be resent (sales, refunds and voids). */
  pending: boolean;
}
export type ExchangeResult = Result<TillResponse, FailedOpen>;
