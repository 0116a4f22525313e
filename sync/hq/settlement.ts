/**
 * HQ settlement of one member (issue 6, "Offline redemption, safely"; docs/loyalty.md), pure.
 *
 * Every store reports its points events; HQ replays them for a member in event order (event
 * time, then source, then id — the same order whatever order they were delivered in) over one
 * account `{balance, debt}`:
 * - an earning (sale points, a bonus, a positive adjustment, a cancelled voucher) pays off the
 *   debt first, the rest is balance;
 * - a spend (points tender, a voucher issued, a negative adjustment) or a reversal (refund,
 *   void) takes what the balance has; what it lacks becomes debt. That is where two stores
 *   offline at once spent the same points: the second spend, in event order, leaves a debt;
 * - an expiry takes at most the balance and never makes debt (expiry never takes spent points).
 * Every event becomes one line, also one that changed nothing: no entry is dropped. The same
 * event (source, id) twice counts once.
 */
import { PointsExpired, PointsSpent, VoucherIssued } from '../schemas/loyalty-events';
import { SaleRefunded, SaleVoided } from '../schemas/till-events';

export type SettlementKind = 'earn' | 'spend' | 'reversal' | 'expiry';

export interface PointsEvent {
  source: string;
  id: string;
  store: string;
  type: string;
  timeMs: number;
  /** Signed change the store reported. */
  delta: number;
}

export interface SettlementLine {
  source: string;
  id: string;
  store: string;
  type: string;
  timeMs: number;
  kind: SettlementKind;
  delta: number;
  /** Points moved to / taken from the balance. */
  applied: number;
  /** Debt this line added (a spend beyond the balance) or paid off (negative). */
  debtDelta: number;
  balance: number;
  debt: number;
}

export interface Settlement {
  balance: number;
  debt: number;
  /** Epoch ms of the newest event counted (0: none). */
  asOf: number;
  lines: SettlementLine[];
  /** The stores whose events were counted. */
  stores: string[];
}

const SPENDS = new Set([PointsSpent.type, VoucherIssued.type]);
const REVERSALS = new Set([SaleRefunded.type, SaleVoided.type]);
const EXPIRY = PointsExpired.type;

export function kindOf(type: string, delta: number): SettlementKind {
  if (type === EXPIRY) return 'expiry';
  if (delta >= 0) return 'earn';
  if (REVERSALS.has(type)) return 'reversal';
  if (SPENDS.has(type)) return 'spend';
  return 'spend';
}

/** Event order: time, then source, then id. */
export function compareEvents(a: Pick<PointsEvent, 'timeMs' | 'source' | 'id'>, b: Pick<PointsEvent, 'timeMs' | 'source' | 'id'>): number {
  if (a.timeMs !== b.timeMs) return a.timeMs - b.timeMs;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function settle(events: readonly PointsEvent[]): Settlement {
  const seen = new Set<string>();
  const unique: PointsEvent[] = [];
  for (const e of events) {
    if (!Number.isSafeInteger(e.delta)) throw new RangeError(`event ${e.source}/${e.id}: points ${e.delta} not an integer`);
    const k = `${e.source}\u0000${e.id}`;
    if (seen.has(k)) continue;
    seen.add(k);
    unique.push(e);
  }
  unique.sort(compareEvents);
  let balance = 0;
  let debt = 0;
  const lines: SettlementLine[] = [];
  const stores = new Set<string>();
  for (const e of unique) {
    stores.add(e.store);
    const kind = kindOf(e.type, e.delta);
    let applied: number;
    let debtDelta = 0;
    if (e.delta >= 0) {
      const pay = Math.min(debt, e.delta);
      debt -= pay;
      debtDelta = pay > 0 ? -pay : 0;
      applied = e.delta - pay;
      balance += applied;
    } else {
      const want = -e.delta;
      const taken = Math.min(balance, want);
      balance -= taken;
      applied = taken > 0 ? -taken : 0;
      if (kind !== 'expiry') {
        debtDelta = want - taken;
        debt += debtDelta;
      }
    }
    lines.push({ source: e.source, id: e.id, store: e.store, type: e.type, timeMs: e.timeMs, kind, delta: e.delta, applied, debtDelta, balance, debt });
  }
  return { balance, debt, asOf: unique.length ? unique[unique.length - 1]!.timeMs : 0, lines, stores: [...stores].sort() };
}
