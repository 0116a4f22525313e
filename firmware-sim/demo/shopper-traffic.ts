/**
 * Drives one simulated till like a busy lane: mostly sales (some announced with an
 * `identify` first), now and then a basket preview, a refund of an earlier sale or a void.
 */
import type { SaleRequest } from '../../gateway/core/till/messages';
import type { SimTill, ExchangeResult } from '../till/sim-till';
import { createRng } from '../till/prng';

export interface TillActivity {
  kind: string;
  receipt?: string;
  outcome: string;
}

export interface TrafficOptions {
  till: SimTill;
  seed: number;
  /** Pause between customers, ms. */
  minGapMs: number;
  maxGapMs: number;
  onActivity: (a: TillActivity) => void;
  isRunning: () => boolean;
}

const outcome = (r: ExchangeResult): string => {
  if (!r.ok) return r.error.pending ? `failed open (${r.error.code}), will resend` : `failed open (${r.error.code})`;
  const res = r.value;
  switch (res.type) {
    case 'sale.ok':
      return res.member ? `+${res.pointsAwarded} pts → ${res.member.balance}` : `no loyalty (${res.reason ?? 'no member'})`;
    case 'refund.ok':
    case 'void.ok':
      return `-${res.pointsReversed} pts${res.deficit ? `, deficit ${res.deficit}` : ''}`;
    case 'identify.ok':
      return res.member ? `found ${res.member.name}` : `not found (${res.reason})`;
    case 'basket.ok':
      return `preview ${res.pointsPreview} pts`;
    case 'error':
      return `error ${res.code}`;
    default:
      return res.type;
  }
};

export async function runTraffic(o: TrafficOptions): Promise<void> {
  const rng = createRng(o.seed);
  const recent: SaleRequest[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  while (o.isRunning()) {
    const roll = rng.next();
    if (roll < 0.08 && recent.length) {
      const original = recent.splice(rng.int(0, recent.length - 1), 1)[0]!;
      const line = original.lines[rng.int(0, original.lines.length - 1)]!;
      const refund = o.till.requests.refund(original, [{ sku: line.sku, qty: line.qty, amountCents: line.amountCents }]);
      o.onActivity({ kind: 'refund', receipt: original.receipt, outcome: outcome(await o.till.send(refund)) });
    } else if (roll < 0.11 && recent.length) {
      const original = recent.pop()!;
      o.onActivity({ kind: 'void', receipt: original.receipt, outcome: outcome(await o.till.voidSale(original.receipt)) });
    } else {
      const sale = o.till.requests.sale();
      if (sale.member && rng.chance(0.5)) {
        o.onActivity({ kind: 'identify', outcome: outcome(await o.till.identify({ member: sale.member })) });
      }
      if (rng.chance(0.15)) o.onActivity({ kind: 'basket', outcome: outcome(await o.till.basket(sale.lines, sale.member)) });
      const result = await o.till.send(sale);
      o.onActivity({ kind: 'sale', receipt: sale.receipt, outcome: outcome(result) });
      if (result.ok && sale.member) recent.push(sale);
      if (recent.length > 20) recent.shift();
    }
    await sleep(rng.int(o.minGapMs, o.maxGapMs));
  }
}
