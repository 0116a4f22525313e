/**
 * What the simulated till sells. Tobacco and gift cards are in the catalogue on purpose:
 * the default earning rules exclude both, so a random sale exercises exclusions.
 */
import type { SaleLine } from '../../gateway/core/till/messages';
import type { Rng } from './prng';

export interface Item {
  sku: string;
  category: string;
  priceCents: number;
}

export const CATALOGUE: readonly Item[] = [
  { sku: '8710398500012', category: 'dairy', priceCents: 129 },
  { sku: '8710398500029', category: 'dairy', priceCents: 349 },
  { sku: '8712100325953', category: 'bakery', priceCents: 259 },
  { sku: '8712100325960', category: 'bakery', priceCents: 99 },
  { sku: '2000000000015', category: 'produce', priceCents: 189 },
  { sku: '2000000000022', category: 'produce', priceCents: 315 },
  { sku: '8711000530085', category: 'coffee', priceCents: 699 },
  { sku: '5449000000996', category: 'drinks', priceCents: 219 },
  { sku: '8710447281023', category: 'household', priceCents: 449 },
  { sku: '8718951209011', category: 'personal-care', priceCents: 379 },
  { sku: '5410228203582', category: 'beer-wine', priceCents: 1099 },
  { sku: '8711700930123', category: 'tobacco', priceCents: 970 },
  { sku: '8711700930130', category: 'tobacco', priceCents: 1240 },
  { sku: '9990000000257', category: 'gift-card', priceCents: 2500 },
  { sku: '9990000000500', category: 'gift-card', priceCents: 5000 },
];

export function randomLines(rng: Rng, maxLines = 6): SaleLine[] {
  const n = rng.int(1, maxLines);
  const lines: SaleLine[] = [];
  for (let i = 0; i < n; i++) {
    const item = rng.pick(CATALOGUE);
    const qty = item.category === 'gift-card' ? 1 : rng.int(1, 3);
    lines.push({ sku: item.sku, category: item.category, qty, amountCents: item.priceCents * qty });
  }
  return lines;
}

export const totalCents = (lines: readonly { amountCents: number }[]) => lines.reduce((s, l) => s + l.amountCents, 0);
