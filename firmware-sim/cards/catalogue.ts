/**
 * The named test cards: the same names in tests, the CLI and the store simulator. The card
 * numbers are public test values (Luhn-valid, from test ranges); tests assert they never
 * reach a log, a database or an outbox payload.
 */
import { emvCard } from './emv-card';
import { garbageCard, gpoRefusedCard, removedMidReadCard, shortAnswerCard, silentCard, uidErrorCard, unsupportedStorageCard } from './misbehaving';
import { hex } from './tlv-build';
import { STORAGE_NAME, desfireCard, randomUidCard, storageCard, type VirtualCard } from './virtual-card';

export const TEST_BANK_PAN = '4761739001010119';
export const TEST_BANK_EXPIRY = '2812';
export const TEST_PAR = 'Q1J4AwSWD4Jvz3G3iMN7Wv3Qkjqbj';
export const TEST_OVPAS_PAN = '5413330089600010';

export const UIDS = {
  ovChipkaart: hex('2A3B4C5D'),
  classic1k: hex('A1B2C3D4'),
  ultralight: hex('04112233445566'),
  desfire: hex('04D1E2F3A4B580'),
} as const;

export const VISA_AID = hex('A0000000031010');
export const MASTERCARD_AID = hex('A0000000041010');

const bank = { pan: TEST_BANK_PAN, expiry: TEST_BANK_EXPIRY, aid: VISA_AID, appLabel: 'VISA DEBIT' };

export const CARDS = {
  'ov-chipkaart': () => storageCard('ov-chipkaart', STORAGE_NAME.classic4k, UIDS.ovChipkaart),
  'classic-1k': () => storageCard('classic-1k', STORAGE_NAME.classic1k, UIDS.classic1k),
  ultralight: () => storageCard('ultralight', STORAGE_NAME.ultralight, UIDS.ultralight),
  desfire: () => desfireCard('desfire', UIDS.desfire),
  'bank-card': () => emvCard({ label: 'bank-card', ...bank, track2InGpo: true }),
  'bank-card-par': () => emvCard({ label: 'bank-card-par', ...bank, par: TEST_PAR, gpoFormat: 1 }),
  /** Same account as bank-card, but with 61xx chaining and 6Cxx on READ RECORD. */
  'bank-card-chained': () => emvCard({ label: 'bank-card-chained', ...bank, getResponse: true, wrongLe: true }),
  'ov-pas': () =>
    emvCard({
      label: 'ov-pas',
      pan: TEST_OVPAS_PAN,
      expiry: '2905',
      aid: MASTERCARD_AID,
      appLabel: 'OV-pas',
      historical: hex('80318065B0850300EF120FFF829000'),
      gpoFormat: 1,
    }),
  'random-uid': () => randomUidCard(),
  garbage: () => garbageCard(),
  'short-answer': () => shortAnswerCard(),
  'uid-error': () => uidErrorCard(),
  'mifare-plus': () => unsupportedStorageCard(),
  'gpo-refused': () => gpoRefusedCard(bank),
  silent: () => silentCard(bank),
  'removed-mid-read': () => removedMidReadCard(bank),
} satisfies Record<string, () => VirtualCard>;

export type CardName = keyof typeof CARDS;

export function isCardName(s: string): s is CardName {
  return Object.hasOwn(CARDS, s);
}
