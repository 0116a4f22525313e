/** The demo store's embedded defaults: members (each with a linked card), lanes, card readers and earning rules. */
import { DEMO_CARD_KEY, DEMO_KIOSK, kioskReaderName, laneReaderName, memberCardToken } from './card-taps';

const FIRST = [
  'Sanne',
  'Daan',
  'Emma',
  'Lucas',
  'Julia',
  'Sem',
  'Tess',
  'Milan',
  'Fleur',
  'Noah',
  'Lotte',
  'Finn',
  'Anouk',
  'Bram',
  'Isa',
  'Jesse',
  'Roos',
  'Thijs',
  'Eva',
  'Ruben',
];
const LAST = [
  'de Vries',
  'Jansen',
  'Bakker',
  'Visser',
  'Smit',
  'Meijer',
  'de Boer',
  'Mulder',
  'de Groot',
  'Bos',
  'Vos',
  'Peters',
  'Hendriks',
  'van Dijk',
  'Dekker',
  'Brouwer',
  'de Wit',
  'Dijkstra',
  'Smits',
  'de Graaf',
];

export const demoMembers = FIRST.map((first, i) => ({
  number: `NL-${String(100_001 + i)}`,
  name: `${first} ${LAST[i]}`,
  // The member's card (card-taps.ts), linked by its token: never a card number in config.
  cards: [memberCardToken(i)],
}));

export function demoConfig(opts: { dataDir: string; lanePorts: number[]; httpPort: number }) {
  const laneIds = opts.lanePorts.map((_, i) => `lane-${i + 1}`);
  return {
    store: { id: 'demo-store', gateway: 'gw-1', timeZone: 'Europe/Amsterdam' },
    database: { path: `${opts.dataDir}/gateway.db` },
    http: { host: '127.0.0.1', port: opts.httpPort },
    log: { level: 'info' },
    // TCP lanes, so the demo needs no serial driver or socat; a store uses `transport: serial`.
    lanes: opts.lanePorts.map((port, i) => ({ id: laneIds[i], transport: 'tcp', mode: 'listen', host: '127.0.0.1', port })),
    till: { reconnectMinMs: 200, reconnectMaxMs: 2000 },
    loyalty: {
      pointsPerEuro: 1,
      rounding: 'floor',
      minimumSpendCents: 100,
      expiryMonths: 12,
      multipliers: [{ category: 'produce', factor: 2 }],
      exclusions: { categories: ['tobacco', 'gift-card'], skus: [] },
      promotions: [],
    },
    // Rewards a member can buy with points at the kiosk; the till accepts each voucher once.
    program: {
      rewards: [
        { id: 'coffee', name: 'Gratis koffie', points: 25, valueCents: 250 },
        { id: 'five-off', name: '€5 korting', points: 100, valueCents: 500 },
        { id: 'tote', name: 'Boodschappentas', points: 250 },
      ],
    },
    members: demoMembers,
    // One in-process card reader per till (main.ts); a store binds its PC/SC readers the same way.
    cards: {
      key: DEMO_CARD_KEY,
      readers: [
        ...laneIds.map((id) => ({ match: laneReaderName(id), place: `lane:${id}` })),
        // The member kiosk (issue 7): a tap here shows the member at <gateway>/kiosk/?kiosk=k1.
        { match: kioskReaderName(DEMO_KIOSK), place: `kiosk:${DEMO_KIOSK}` },
      ],
      // Every simulated tap is a new presentation (nobody leaves a card lying on the reader).
      debounceMs: 0,
    },
  };
}
