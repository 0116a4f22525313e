/** A till service on a real temp-file database, with a settable clock and a fake card reader. */
import type { EarningRulesConfig } from '../../gateway/config/schema';
import type { TillResponse } from '../../gateway/core/till/messages';
import { createMembersService } from '../../gateway/app/members/members';
import { createTillService, type TillServiceDeps } from '../../gateway/app/till/till-service';
import type { CardTap, CardTapSource } from '../../gateway/ports/card-taps';
import { defaultRules, openTempDb, STORE, testClock } from './sqlite-helpers';

export class FakeTaps implements CardTapSource {
  private taps = new Map<string, CardTap>();
  tap(lane: string, tap: CardTap) {
    this.taps.set(lane, tap);
  }
  takeTap(lane: string): CardTap | undefined {
    const t = this.taps.get(lane);
    this.taps.delete(lane);
    return t;
  }
}

export function makeTill(opts: { rules?: Partial<EarningRulesConfig>; deps?: Partial<TillServiceDeps> } = {}) {
  const t = openTempDb();
  const clock = testClock();
  const taps = new FakeTaps();
  const faults: unknown[] = [];
  const till = createTillService({
    db: t.db,
    rules: defaultRules(opts.rules),
    store: STORE,
    clock,
    cardTaps: taps,
    onFault: (e) => faults.push(e),
    ...opts.deps,
  });
  const members = createMembersService({ db: t.db, clock });
  let n = 0;
  const nextId = () => `T${String(++n).padStart(6, '0')}`;
  /** Sends a request object (v and id filled in when missing); returns raw text and parsed answer. */
  const sendRaw = (req: Record<string, unknown>, lane = 'lane-1') => till.handleText(JSON.stringify({ v: 1, id: nextId(), ...req }), { lane });
  const send = <T extends TillResponse['type']>(req: Record<string, unknown>, lane = 'lane-1') =>
    JSON.parse(sendRaw(req, lane)) as Extract<TillResponse, { type: T }> & { type: string };
  const count = (table: string, where = '1') => (t.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
  const member = (number: string) => members.findByNumber(number)!;
  return { ...t, clock, taps, faults, till, members, send, sendRaw, nextId, count, member };
}
export type TestTill = ReturnType<typeof makeTill>;

export const line = (amountCents: number, category = 'food', sku = `sku-${category}`, qty = 1) => ({ sku, category, qty, amountCents });
export const sale = (receipt: string, lines: ReturnType<typeof line>[], member?: string, extra: Record<string, unknown> = {}) => ({
  type: 'sale',
  receipt,
  ...(member ? { member } : {}),
  lines,
  tenders: [{ kind: 'card', amountCents: lines.reduce((a, l) => a + l.amountCents, 0) }],
  ...extra,
});
