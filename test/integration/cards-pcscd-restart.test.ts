/**
 * The PC/SC service going away and coming back (issue 3, "Reader loss"): the adapter never
 * hangs or spins, reports the subsystem down, and recovers without a restart.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createNfcCardReaders } from '../../gateway/adapters/nfc/nfc-card-readers';
import { cardToken } from '../../gateway/core/identity/token';
import type { CardReaders, CardTap } from '../../gateway/ports/card-reader';
import { CARDS, UIDS } from '../../firmware-sim/cards/catalogue';
import { tapCard, VPCD_BASE_PORT } from '../../firmware-sim/cards/vpcd';
import { startPcscd, waitFor, waitVpcdIdle, type PcscdHandle } from '../support/pcscd';

const KEY = Buffer.alloc(32, 0x21);
let pcscd: PcscdHandle;
let readers: CardReaders | undefined;
const taps: CardTap[] = [];

function adapter(socket: string): CardReaders {
  const r = createNfcCardReaders({
    config: {
      readers: [{ match: 'Virtual PCD 00 00', place: 'lane:l1' }],
      staff: [],
      debounceMs: 0,
      readTimeoutMs: 2500,
      retryMinMs: 100,
      retryMaxMs: 800,
      pcscdSocket: socket,
    },
    cardKey: KEY,
    log: createLogger({ level: 'info' }, new Writable({ write: (_c, _e, cb) => cb() })),
  });
  r.onTap((t) => taps.push(t));
  return r;
}

const readerUp = (r: CardReaders) => r.health().some((h) => h.name === 'Virtual PCD 00 00' && h.state === 'up');

async function tapOnce(): Promise<CardTap> {
  const from = taps.length;
  const card = await tapCard(CARDS['ov-chipkaart'](), { reader: 0 });
  try {
    await waitFor('a tap', () => taps.length > from, 15_000, 10);
    return taps[from]!;
  } finally {
    await card.remove();
    await waitVpcdIdle(VPCD_BASE_PORT);
    await new Promise((r) => setTimeout(r, 500)); // one pcscd poll period (see cards-stack.test.ts)
  }
}

beforeAll(async () => {
  pcscd = await startPcscd();
});

afterAll(async () => {
  await readers?.stop();
  await pcscd?.stop();
});

describe('pcscd lost and back', () => {
  it('pcscd stopped mid-run: down, readers gone, then up again and reading without a restart', async () => {
    readers = adapter(pcscd.socket);
    readers.start();
    await waitFor('reader up', () => readerUp(readers!), 30_000);
    const before = await tapOnce();
    expect(before).toMatchObject({ outcome: 'identified', token: cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart) });

    await pcscd.stop();
    await waitFor('subsystem down', () => readers!.health()[0]!.state === 'down', 15_000);
    expect(readers.health()[0]!.detail).toMatch(/PC\/SC service lost|pcscd not running/);
    expect(readers.health()).toContainEqual(expect.objectContaining({ name: 'reader for lane:l1', state: 'down' }));
    await expect(tapCard(CARDS['ov-chipkaart'](), { reader: 0, connectTimeoutMs: 500 })).rejects.toThrow();

    // While pcscd is away the adapter only probes its socket: the process stays idle.
    const cpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 1500));
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(500);

    await pcscd.start();
    await waitFor('reader up again', () => readers!.health()[0]!.state === 'up' && readerUp(readers!), 30_000);
    const after = await tapOnce();
    expect(after).toMatchObject({ outcome: 'identified', token: before.outcome === 'identified' ? before.token : 'x' });
    await readers.stop();
    readers = undefined;
  });

  it('started while pcscd is absent: down without spinning, up when pcscd appears', async () => {
    await pcscd.stop();
    readers = adapter(pcscd.socket);
    const cpu = process.cpuUsage();
    readers.start();
    await waitFor('down', () => readers!.health()[0]!.state === 'down', 10_000);
    expect(readers.health()[0]!.detail).toContain('pcscd not running');
    await new Promise((r) => setTimeout(r, 1000));
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(500);
    await pcscd.start();
    await waitFor('reader up', () => readerUp(readers!), 30_000);
    expect(await tapOnce()).toMatchObject({ outcome: 'identified', kind: 'ov-chipkaart' });
  });
});
