/**
 * Cards in the demo store (issue 3). Each seed member carries one card: an OV-chipkaart, a
 * bank card, an OV-pas or a store card (MIFARE 1K). The demo config links it at start by its
 * token, computed here with the demo's fixed key exactly as the gateway computes it, so no
 * card number is ever in the config. Other shoppers now and then tap a card the store does
 * not know, a random-UID card, or pull a card off before it was read.
 *
 * The readers are the gateway's in-process ones (no pcscd needed), one per till, running the
 * same tap pipeline as the PC/SC adapter: ATR, UID read or the EMV flow, token, debounce.
 */
import { createHash } from 'node:crypto';
import { createInProcessCardReaders, type InProcessCardReaders } from '../../gateway/adapters/nfc/in-process-card-readers';
import type { Logger } from '../../gateway/adapters/logging/create-logger';
import type { CardsConfig } from '../../gateway/config/cards-schema';
import type { CardKind } from '../../gateway/core/identity/kinds';
import { cardToken } from '../../gateway/core/identity/token';
import { CARDS, MASTERCARD_AID, VISA_AID } from '../cards/catalogue';
import { emvCard } from '../cards/emv-card';
import { inProcessTransmit } from '../cards/in-process';
import { ascii, hex } from '../cards/tlv-build';
import { STORAGE_NAME, storageCard, type VirtualCard } from '../cards/virtual-card';
import type { ExchangeResult } from '../till/sim-till';

/** The demo's card key: fixed so the seed tokens match; a demo value, not a secret. */
export const DEMO_CARD_KEY = createHash('sha256').update('trouw demo store card key (not a real key)').digest('hex');

export const laneReaderName = (lane: string) => `Demo till reader ${lane}`;
/** The member kiosk's reader (issue 7), bound to `kiosk:<id>` in the demo config. */
export const kioskReaderName = (kiosk: string) => `Demo kiosk reader ${kiosk}`;
export const DEMO_KIOSK = 'k1';

interface DemoCard {
  /** What the shopper taps, as the view names it (never its number). */
  name: string;
  kind: CardKind;
  identifier: Uint8Array;
  make(): VirtualCard;
}

/** A test-range PAN with a valid Luhn check digit. */
function luhnPan(prefix: string, n: number): string {
  const body = `${prefix}${String(n).padStart(15 - prefix.length, '0')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

function bankCard(name: string, pan: string, mastercard = false): DemoCard {
  return {
    name,
    kind: 'emv',
    identifier: ascii(pan),
    make: () =>
      mastercard
        ? emvCard({
            label: name,
            pan,
            expiry: '2905',
            aid: MASTERCARD_AID,
            appLabel: 'OV-pas',
            historical: hex('80318065B0850300EF120FFF829000'),
            gpoFormat: 1,
          })
        : emvCard({ label: name, pan, expiry: '2812', aid: VISA_AID, appLabel: 'VISA DEBIT', track2InGpo: true }),
  };
}

function uidCard(name: string, kind: 'ov-chipkaart' | 'mifare-classic-1k', uid: Uint8Array): DemoCard {
  const code = kind === 'ov-chipkaart' ? STORAGE_NAME.classic4k : STORAGE_NAME.classic1k;
  return { name, kind, identifier: uid, make: () => storageCard(name, code, uid) };
}

/** The card of the seed member at `index` (deterministic: the same card every run). */
export function memberCard(index: number): DemoCard {
  switch (index % 4) {
    case 0:
      return uidCard('OV-chipkaart', 'ov-chipkaart', Uint8Array.from([0x2a, 0x3b, 0x40, index]));
    case 1:
      return bankCard('bank card', luhnPan('476173', 900 + index));
    case 2:
      return bankCard('OV-pas', luhnPan('541333', 700 + index), true);
    default:
      return uidCard('store card', 'mifare-classic-1k', Uint8Array.from([0x04, 0xd3, 0x5a, 0x10, 0x20, 0x30, index]));
  }
}

export const memberCardToken = (index: number, keyHex = DEMO_CARD_KEY) => {
  const c = memberCard(index);
  return cardToken(Buffer.from(keyHex, 'hex'), c.kind, c.identifier);
};

/** Cards no member has linked, in the order strangers tap them (so a short run shows each). */
const STRANGERS: (() => { name: string; card: VirtualCard })[] = [
  () => ({ name: 'random-UID card', card: CARDS['random-uid']() }),
  () => ({ name: 'unknown bank card', card: bankCard('unknown bank card', luhnPan('476173', 500)).make() }),
  () => ({ name: 'unknown OV-chipkaart', card: uidCard('unknown OV-chipkaart', 'ov-chipkaart', Uint8Array.from([0x2a, 0x3b, 0x99, 0x01])).make() }),
  () => ({ name: 'random-UID card', card: CARDS['random-uid']() }),
  () => ({ name: 'unknown bank card', card: bankCard('unknown bank card', luhnPan('476173', 501)).make() }),
  () => ({ name: 'card pulled off too soon', card: CARDS['removed-mid-read']() }),
];

export interface CardStats {
  taps: number;
  found: number;
  unknown: number;
  randomId: number;
  unreadable: number;
}

export interface DemoCards {
  readonly readers: InProcessCardReaders;
  readonly stats: Readonly<CardStats>;
  /**
   * A card tapped at `lane`'s reader: the member's own card, or, for a shopper who is no
   * member, a stranger's card. Resolves with what was tapped once the gateway has the tap.
   */
  tap(lane: string, member: string | undefined): Promise<string>;
  /**
   * A card tapped at the kiosk's reader: `member`'s own card, or (undefined) a card the
   * store does not know, which the kiosk offers to join. Resolves with what was tapped.
   */
  tapKiosk(member: string | undefined): Promise<string>;
  /** Counts the till's identify answer to a tap. */
  answered(r: ExchangeResult): void;
}

export function createDemoCards(o: {
  cards: CardsConfig;
  lanes: readonly string[];
  kiosks?: readonly string[];
  members: readonly string[];
  log: Logger;
}): DemoCards {
  const readers = createInProcessCardReaders({
    config: o.cards,
    cardKey: Buffer.from(o.cards.key ?? DEMO_CARD_KEY, 'hex'),
    log: o.log,
    readers: [...o.lanes.map(laneReaderName), ...(o.kiosks ?? []).map(kioskReaderName)],
  });
  const stats: CardStats = { taps: 0, found: 0, unknown: 0, randomId: 0, unreadable: 0 };

  let strangers = 0;
  let kioskStrangers = 0;
  function pickCard(member: string | undefined): { name: string; card: VirtualCard } {
    const index = member === undefined ? -1 : o.members.indexOf(member);
    if (index < 0) return STRANGERS[strangers++ % STRANGERS.length]!();
    const c = memberCard(index);
    return { name: c.name, card: c.make() };
  }

  return {
    readers,
    stats,
    async tap(lane, member) {
      const { name, card } = pickCard(member);
      stats.taps++;
      await readers.present(laneReaderName(lane), { atr: card.atr, transmit: inProcessTransmit(card) });
      return name;
    },
    async tapKiosk(member) {
      const index = member === undefined ? -1 : o.members.indexOf(member);
      let name: string;
      let card: VirtualCard;
      if (index >= 0) {
        const c = memberCard(index);
        name = c.name;
        card = c.make();
      } else {
        // A card nobody has linked yet (a fresh one each time, so each can join).
        kioskStrangers++;
        name = 'unknown OV-chipkaart';
        card = uidCard(name, 'ov-chipkaart', Uint8Array.from([0x2a, 0x3c, (kioskStrangers >> 8) & 0xff, kioskStrangers & 0xff])).make();
      }
      await readers.present(kioskReaderName(DEMO_KIOSK), { atr: card.atr, transmit: inProcessTransmit(card) });
      return name;
    },
    answered(r) {
      if (!r.ok || r.value.type !== 'identify.ok') return;
      if (r.value.member) stats.found++;
      else if (r.value.reason === 'unknown-card') stats.unknown++;
      else if (r.value.reason === 'random-id') stats.randomId++;
      else stats.unreadable++;
    },
  };
}
