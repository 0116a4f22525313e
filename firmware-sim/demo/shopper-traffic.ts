/**
 * Drives one simulated till like a busy lane: mostly sales (some announced with an
 * `identify` first: a card tapped at the till's reader, or the member number typed), now and
 * then a basket preview, a refund of an earlier sale or a void.
 */
import type { SaleRequest } from '../../gateway/core/till/messages';
import type { DemoCards } from './card-taps';
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
  /** The card reader at this till; without it shoppers only give their member number. */
  cards?: { tapper: DemoCards; lane: string };
}

/** The sale as rung for whoever the card named (or for nobody). */
function forMember(sale: SaleRequest, member: string | undefined): SaleRequest {
  const { member: _given, ...rest } = sale;
  return member ? { ...rest, member } : rest;
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
      let sale = o.till.requests.sale();
      if (o.cards && rng.chance(sale.member ? 0.6 : 0.5)) {
        // A card on the reader before paying; the till asks whom it names and rings the sale for them.
        const tapped = await o.cards.tapper.tap(o.cards.lane, sale.member);
        const r = await o.till.identify({ card: true });
        o.cards.tapper.answered(r);
        o.onActivity({ kind: 'card', outcome: `${tapped}: ${outcome(r)}` });
        const named = r.ok && r.value.type === 'identify.ok' ? r.value.member?.number : undefined;
        if (named !== sale.member) sale = forMember(sale, named);
      } else if (sale.member && rng.chance(0.5)) {
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
