/**
 * A stand-in for the gateway's till service in link tests: answers every message type with a
 * plausible response and counts how often each request id reached it. Like the real service
 * it replays the stored answer for an id it has seen, so `applied` holds each id once.
 */
import type { TillRequest, TillResponse } from '../../gateway/core/till/messages';
import type { TillBodyHandler } from '../../gateway/ports/pos-link';

export interface StubTillService {
  handler: TillBodyHandler;
  /** Handler calls per request id. */
  calls: Map<string, number>;
  /** Request ids in the order first applied. */
  applied: string[];
  /** Requests by id, as first received. */
  requests: Map<string, TillRequest>;
}

const member = (number: string) => ({ number, name: 'Test Member', balance: 120, tier: 'silver' });

export function answer(req: TillRequest): TillResponse {
  const base = { v: 1 as const, id: req.id };
  switch (req.type) {
    case 'hello':
      return { ...base, type: 'hello.ok', store: 'test-store', gateway: 'gw-test', lane: req.lane ?? 'lane-1', time: new Date(0).toISOString() };
    case 'ping':
      return { ...base, type: 'ping.ok' };
    case 'identify':
      return { ...base, type: 'identify.ok', member: req.member ? member(req.member) : null, ...(req.member ? {} : { reason: 'no-tap' as const }) };
    case 'basket':
      return { ...base, type: 'basket.ok', member: req.member ? member(req.member) : null, pointsPreview: req.lines.length, offers: [] };
    case 'sale':
      return {
        ...base,
        type: 'sale.ok',
        receipt: req.receipt,
        member: req.member ? member(req.member) : null,
        pointsAwarded: req.member ? 5 : 0,
        ...(req.member ? {} : { reason: 'no-member' as const }),
      };
    case 'refund':
      return { ...base, type: 'refund.ok', receipt: req.receipt, member: null, pointsReversed: 0, deficit: 0 };
    case 'void':
      return { ...base, type: 'void.ok', receipt: req.receipt, member: null, pointsReversed: 0, deficit: 0 };
    case 'redeem':
      return { ...base, type: 'redeem.ok', ok: false, voucher: req.voucher, reward: null, member: null, reason: 'unknown-voucher' };
    case 'end-of-day':
      return { ...base, type: 'end-of-day.ok', date: req.date ?? '2026-01-01', sales: 0, refunds: 0, pointsAwarded: 0, pointsReversed: 0 };
    case 'staff-session':
      return { ...base, type: 'error', code: 'no-staff-pass', message: 'no staff pass' };
  }
}

export function stubTillService(): StubTillService {
  const calls = new Map<string, number>();
  const applied: string[] = [];
  const requests = new Map<string, TillRequest>();
  const stored = new Map<string, string>();
  const handler: TillBodyHandler = async (body) => {
    const req = JSON.parse(body) as TillRequest;
    calls.set(req.id, (calls.get(req.id) ?? 0) + 1);
    const replay = stored.get(req.id);
    if (replay) return replay;
    applied.push(req.id);
    requests.set(req.id, req);
    const out = JSON.stringify(answer(req));
    stored.set(req.id, out);
    return out;
  };
  return { handler, calls, applied, requests };
}
