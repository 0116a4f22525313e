/**
 * Cards over the real stack: virtual card → vpcd (TCP) → pcscd → nfc-pcsc → the adapter.
 * pcscd is started by the test (test/support/pcscd.ts). Waits poll for readiness; timings
 * are generous for a 2-core machine.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createNfcCardReaders } from '../../gateway/adapters/nfc/nfc-card-readers';
import { cardToken } from '../../gateway/core/identity/token';
import type { CardKind } from '../../gateway/core/identity/kinds';
import type { CardReaders, CardTap } from '../../gateway/ports/card-reader';
import { CARDS, TEST_BANK_EXPIRY, TEST_BANK_PAN, TEST_OVPAS_PAN, TEST_PAR, UIDS, type CardName } from '../../firmware-sim/cards/catalogue';
import { track2 } from '../../firmware-sim/cards/emv-card';
import { tapCard, vpcdReaderName, VPCD_BASE_PORT } from '../../firmware-sim/cards/vpcd';
import { startPcscd, waitFor, waitVpcdIdle, type PcscdHandle } from '../support/pcscd';

const KEY = Buffer.alloc(32, 0x5c);
const PCSCD_POLL_MS = 500;
const logLines: string[] = [];
let pcscd: PcscdHandle;
let readers: CardReaders;
const taps: (CardTap & { seenAt: number })[] = [];
const latency: Record<string, number[]> = {};

beforeAll(async () => {
  pcscd = await startPcscd();
  const log = createLogger(
    { level: 'trace' },
    new Writable({
      write(c, _e, cb) {
        logLines.push(String(c));
        cb();
      },
    }),
  );
  readers = createNfcCardReaders({
    config: {
      readers: [
        { match: 'Virtual PCD 00 00', place: 'lane:l1' },
        { match: 'Virtual PCD 00 01', place: 'kiosk:k1' },
      ],
      staff: [],
      debounceMs: 0,
      readTimeoutMs: 2500,
      retryMinMs: 200,
      retryMaxMs: 1000,
      pcscdSocket: pcscd.socket,
    },
    cardKey: KEY,
    log,
  });
  readers.onTap((t) => taps.push({ ...t, seenAt: performance.now() }));
  readers.start();
  await waitFor('both vpcd readers up', () => readers.health().filter((h) => h.kind === 'card-reader' && h.state === 'up').length === 2, 30_000);
});

afterAll(async () => {
  await readers?.stop();
  await pcscd?.stop();
  const summary = Object.entries(latency).map(([k, v]) => {
    const s = [...v].sort((a, b) => a - b);
    return `${k}: n=${s.length} median ${s[Math.floor(s.length / 2)]!.toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms`;
  });
  console.log(`connect → tap over vpcd/pcscd:\n  ${summary.join('\n  ')}`);
});

/** Taps a card, waits for its tap event, removes it and waits until vpcd has let it go. */
async function tap(name: CardName, opts: { reader?: number; holdMs?: number } = {}): Promise<CardTap> {
  const reader = opts.reader ?? 0;
  const readerName = vpcdReaderName(reader);
  const from = taps.length;
  const card = await tapCard(CARDS[name](), { reader });
  try {
    await waitFor(`a tap of ${name} on ${readerName}`, () => taps.slice(from).some((t) => t.reader === readerName), 15_000, 10);
    const t = taps.slice(from).find((x) => x.reader === readerName)!;
    (latency[t.outcome === 'identified' && t.kind === 'emv' ? 'emv' : t.outcome === 'identified' ? 'uid' : 'rejected'] ??= []).push(
      t.seenAt - card.connectedAt,
    );
    if (opts.holdMs) await new Promise((r) => setTimeout(r, opts.holdMs));
    return t;
  } finally {
    await card.remove();
    await waitVpcdIdle(VPCD_BASE_PORT + reader);
    // When vpcd drops a card in the middle of a command (the card left mid-read), it accepts
    // the next one at its very next presence poll, and pcscd never sees the reader empty: a
    // card tapped that fast would look like the old one still lying there. One poll period
    // (pcscd polls vpcd every 0.4 s) lets pcscd register the removal, as a real hand would.
    await new Promise((r) => setTimeout(r, PCSCD_POLL_MS));
  }
}

const expected: [CardName, CardKind, () => string][] = [
  ['ov-chipkaart', 'ov-chipkaart', () => cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart)],
  ['classic-1k', 'mifare-classic-1k', () => cardToken(KEY, 'mifare-classic-1k', UIDS.classic1k)],
  ['ultralight', 'ultralight', () => cardToken(KEY, 'ultralight', UIDS.ultralight)],
  ['desfire', 'desfire', () => cardToken(KEY, 'desfire', UIDS.desfire)],
  ['bank-card', 'emv', () => cardToken(KEY, 'emv', Buffer.from(TEST_BANK_PAN))],
  ['bank-card-par', 'emv', () => cardToken(KEY, 'emv', Buffer.from(TEST_PAR))],
  ['bank-card-chained', 'emv', () => cardToken(KEY, 'emv', Buffer.from(TEST_BANK_PAN))],
  ['ov-pas', 'emv', () => cardToken(KEY, 'emv', Buffer.from(TEST_OVPAS_PAN))],
];

describe('cards over vpcd → pcscd → nfc-pcsc', () => {
  it.each(expected)('%s → %s with a stable token', async (name, kind, token) => {
    const first = await tap(name);
    const second = await tap(name);
    expect(first).toMatchObject({ outcome: 'identified', kind, token: token(), place: { type: 'lane', id: 'l1' } });
    expect(second).toMatchObject({ outcome: 'identified', kind, token: token() });
  });

  it('a random-UID card is never an identity', async () => {
    for (let i = 0; i < 2; i++) {
      const t = await tap('random-uid');
      expect(t).toMatchObject({ outcome: 'rejected', reason: 'random-id', kind: 'mifare-classic-1k' });
      expect(t).not.toHaveProperty('token');
    }
  });

  it.each<[CardName, object]>([
    ['garbage', { reason: 'read-failed' }],
    ['short-answer', { reason: 'read-failed' }],
    ['uid-error', { reason: 'read-failed', kind: 'ov-chipkaart' }],
    ['mifare-plus', { reason: 'unsupported-card' }],
    ['gpo-refused', { reason: 'read-failed', kind: 'emv' }],
    ['removed-mid-read', { reason: 'removed', kind: 'emv' }],
  ])('misbehaving card %s → %o, and the next tap works', async (name, outcome) => {
    expect(await tap(name)).toMatchObject({ outcome: 'rejected', ...outcome });
    expect(await tap('classic-1k')).toMatchObject({ outcome: 'identified', kind: 'mifare-classic-1k' });
  });

  it('a card that stops answering → timeout; the reader recovers once it is removed', async () => {
    expect(await tap('silent')).toMatchObject({ outcome: 'rejected', reason: 'timeout' });
    expect(await tap('bank-card')).toMatchObject({ outcome: 'identified', kind: 'emv' });
  });

  it('a card held on the reader is one tap', async () => {
    const from = taps.length;
    await tap('ultralight', { holdMs: 2500 });
    expect(taps.slice(from)).toHaveLength(1);
  });

  it('two readers at once, each at its place', async () => {
    const [a, b] = await Promise.all([tap('ov-chipkaart', { reader: 0 }), tap('bank-card-par', { reader: 1 })]);
    expect(a).toMatchObject({ reader: 'Virtual PCD 00 00', place: { type: 'lane', id: 'l1' }, kind: 'ov-chipkaart' });
    expect(b).toMatchObject({ reader: 'Virtual PCD 00 01', place: { type: 'kiosk', id: 'k1' }, kind: 'emv' });
  });

  it('health lists the subsystem and both readers with their places', () => {
    const h = readers.health();
    expect(h[0]).toMatchObject({ name: 'card-readers', kind: 'pcsc', state: 'up' });
    expect(h).toContainEqual(expect.objectContaining({ name: 'Virtual PCD 00 00', state: 'up', detail: 'lane:l1' }));
    expect(h).toContainEqual(expect.objectContaining({ name: 'Virtual PCD 00 01', state: 'up', detail: 'kiosk:k1' }));
  });

  it('no PAN, track 2 or token in the logs of the whole run', () => {
    const text = logLines.join('');
    expect(text).toContain('card tap');
    const t2 = Buffer.from(track2(TEST_BANK_PAN, TEST_BANK_EXPIRY));
    const forbidden = [
      TEST_BANK_PAN,
      TEST_OVPAS_PAN,
      TEST_PAR,
      t2.toString('hex'),
      t2.toString('hex').toUpperCase(),
      t2.toString('base64'),
      Buffer.from(TEST_BANK_PAN).toString('hex'),
      Buffer.from(TEST_BANK_PAN, 'hex').toString('base64'),
      TEST_BANK_PAN.slice(0, 12),
    ];
    for (const f of forbidden) expect(text, `log contains ${f}`).not.toContain(f);
    for (const t of taps) if (t.outcome === 'identified') expect(text).not.toContain(t.token);
  });
});
