/**
 * Shoppers at the member kiosk (issue 7): every 20-40 s someone walks up to the kiosk and taps
 * a card on its in-process reader (bound to `kiosk:k1`), mostly a member's own card, now and
 * then a card the store does not know (the kiosk then offers to join). The kiosk page, open
 * in a browser at the URL the demo prints, shows each tap as the gateway pushes it.
 */
import type { DemoCards } from './card-taps';
import { createRng } from '../till/prng';

export interface KioskVisit {
  at: number;
  /** The member's name, or undefined for a card the store does not know. */
  member: string | undefined;
  card: string;
}

export interface KioskVisitorOptions {
  tapper: Pick<DemoCards, 'tapKiosk'>;
  members: readonly { number: string; name: string }[];
  seed: number;
  minGapMs: number;
  maxGapMs: number;
  /** The first visitor comes this soon, so a short run shows one. */
  firstAfterMs: number;
  /** Share of visitors with a card the store does not know (default 0.2). */
  unknownShare?: number;
  /** Members worth showing (e.g. those with points by now); a visitor is one of them when there are any. */
  likely?: () => readonly string[];
  isRunning: () => boolean;
  onVisit: (v: KioskVisit) => void;
}

/** Sleeps `ms`, waking early when the demo stops. */
async function nap(ms: number, isRunning: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (isRunning() && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())));
}

export async function runKioskVisitors(o: KioskVisitorOptions): Promise<void> {
  const rng = createRng(o.seed);
  await nap(o.firstAfterMs, o.isRunning);
  while (o.isRunning()) {
    const known = !rng.chance(o.unknownShare ?? 0.2);
    const likely = new Set(o.likely?.() ?? []);
    const pool = o.members.filter((x) => likely.has(x.number));
    const m = known ? rng.pick(pool.length > 0 ? pool : o.members) : undefined;
    try {
      const card = await o.tapper.tapKiosk(m?.number);
      o.onVisit({ at: Date.now(), member: m?.name, card });
    } catch {
      // A tap the reader could not finish: the shopper walks away, the next one comes.
    }
    await nap(rng.int(o.minGapMs, o.maxGapMs), o.isRunning);
  }
}
