/**
 * The nfc-pcsc adapter against a fake nfc-pcsc (same events and methods), with simulated
 * cards behind the fake readers. The real stack is in test/integration/cards-*.test.ts.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { createNfcCardReaders } from '../../gateway/adapters/nfc/nfc-card-readers';
import type { PcscContext, PcscLibrary, PcscReader } from '../../gateway/adapters/nfc/pcsc-library';
import type { PcscdProbe } from '../../gateway/adapters/nfc/pcscd-probe';
import type { CardReaders, CardTap } from '../../gateway/ports/card-reader';
import { cardToken } from '../../gateway/core/identity/token';
import { CARDS, TEST_BANK_PAN, UIDS } from '../../firmware-sim/cards/catalogue';
import type { VirtualCard } from '../../firmware-sim/cards/virtual-card';

const KEY = new Uint8Array(32).fill(5);

class FakeReader extends EventEmitter {
  autoProcessing = true;
  card: VirtualCard | undefined;
  closed = false;
  readonly reader = { close: () => void (this.closed = true) };
  constructor(readonly name: string) {
    super();
  }
  async transmit(data: Buffer): Promise<Buffer> {
    const c = this.card;
    if (!c) throw new Error('No card or connection available.');
    const a = c.respond(Uint8Array.from(data));
    if (a === 'remove') {
      this.card = undefined;
      setImmediate(() => this.emit('card.off', {}));
      throw new Error('An error occurred while transmitting.');
    }
    if (a === 'silent') return new Promise(() => {});
    return Buffer.from(a);
  }
  present(card: VirtualCard) {
    card.powerOn?.();
    this.card = card;
    this.emit('card', { atr: Buffer.from(card.atr) });
  }
  remove() {
    this.card = undefined;
    this.emit('card.off', {});
  }
}

class FakeContext extends EventEmitter {
  closed = false;
  close() {
    this.closed = true;
  }
  addReader(name: string) {
    const r = new FakeReader(name);
    this.emit('reader', r as unknown as PcscReader);
    return r;
  }
}

function setup(o: { probe?: () => Promise<PcscdProbe>; load?: () => Promise<PcscLibrary>; readTimeoutMs?: number } = {}) {
  const contexts: FakeContext[] = [];
  const lines: string[] = [];
  const log = createLogger(
    { level: 'trace' },
    new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    }),
  );
  let probes = 0;
  const readers = createNfcCardReaders({
    config: {
      readers: [
        { match: 'Lane Reader*', place: 'lane:l1' },
        { match: 'Kiosk Reader', place: 'kiosk:k1' },
      ],
      staff: [{ token: cardToken(KEY, 'desfire', UIDS.desfire), role: 'supervisor' }],
      debounceMs: 1000,
      readTimeoutMs: o.readTimeoutMs ?? 2000,
      retryMinMs: 20,
      retryMaxMs: 80,
      pcscdSocket: '/nonexistent/pcscd.comm',
    },
    cardKey: KEY,
    log,
    loadLibrary:
      o.load ??
      (async () => ({
        createContext: () => {
          const c = new FakeContext();
          contexts.push(c);
          return c as unknown as PcscContext;
        },
      })),
    probe: async () => {
      probes++;
      return o.probe ? o.probe() : { ok: true };
    },
  });
  const taps: CardTap[] = [];
  readers.onTap((t) => taps.push(t));
  return { readers, contexts, taps, lines, probes: () => probes };
}

async function until(what: string, check: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let current: CardReaders | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

describe('nfc-pcsc adapter (fake library)', () => {
  it('reports disabled when nfc-pcsc is not installed, and never probes', async () => {
    const s = setup({ load: () => Promise.reject(new Error("Cannot find package 'nfc-pcsc'")) });
    current = s.readers;
    s.readers.start();
    await until('disabled', () => s.readers.health()[0]!.state === 'disabled');
    expect(s.readers.health()[0]!.detail).toMatch(/^disabled: nfc-pcsc not installed/);
    expect(s.probes()).toBe(0);
    expect(
      s.readers
        .health()
        .filter((h) => h.kind === 'card-reader')
        .every((h) => h.state === 'disabled'),
    ).toBe(true);
  });

  it('without pcscd: down with the reason, no PC/SC context, retries with back-off, comes up when pcscd appears', async () => {
    let pcscd = false;
    const s = setup({ probe: async () => (pcscd ? { ok: true } : { ok: false, why: 'pcscd not running (/run/pcscd/pcscd.comm missing)' }) });
    current = s.readers;
    s.readers.start();
    await until('three probes', () => s.probes() >= 3);
    expect(s.readers.health()[0]).toMatchObject({ state: 'down', detail: 'pcscd not running (/run/pcscd/pcscd.comm missing)' });
    expect(s.contexts).toHaveLength(0);
    pcscd = true;
    await until('up', () => s.readers.health()[0]!.state === 'up');
    expect(s.contexts).toHaveLength(1);
  });

  it('binds readers to places, reads cards, marks staff, debounces', async () => {
    const s = setup();
    current = s.readers;
    s.readers.start();
    await until('context', () => s.contexts.length === 1);
    const lane = s.contexts[0]!.addReader('Lane Reader 1');
    expect(lane.autoProcessing).toBe(false);
    expect(lane.listenerCount('error')).toBeGreaterThan(0);
    const health = s.readers.health();
    expect(health).toContainEqual(expect.objectContaining({ name: 'Lane Reader 1', kind: 'card-reader', state: 'up', detail: 'lane:l1' }));
    expect(health).toContainEqual(expect.objectContaining({ name: 'reader for kiosk:k1', state: 'down', detail: 'no reader matching "Kiosk Reader"' }));

    lane.present(CARDS['ov-chipkaart']());
    await until('tap', () => s.taps.length === 1);
    expect(s.taps[0]).toMatchObject({
      reader: 'Lane Reader 1',
      place: { type: 'lane', id: 'l1' },
      outcome: 'identified',
      kind: 'ov-chipkaart',
      token: cardToken(KEY, 'ov-chipkaart', UIDS.ovChipkaart),
    });
    lane.remove();
    lane.present(CARDS['ov-chipkaart']()); // back within the window: the same tap
    lane.remove();
    lane.present(CARDS.desfire());
    await until('staff tap', () => s.taps.length === 2);
    expect(s.taps[1]).toMatchObject({ kind: 'desfire', staff: { role: 'supervisor' } });
    expect(s.taps).toHaveLength(2);
  });

  it('a card pulled off mid-read gives `removed` and no identity; the next tap works', async () => {
    const s = setup();
    current = s.readers;
    s.readers.start();
    await until('context', () => s.contexts.length === 1);
    const r = s.contexts[0]!.addReader('Kiosk Reader');
    r.present(CARDS['removed-mid-read']());
    await until('tap', () => s.taps.length === 1);
    expect(s.taps[0]).toMatchObject({ outcome: 'rejected', reason: 'removed', kind: 'emv', place: { type: 'kiosk', id: 'k1' } });
    r.present(CARDS['bank-card']());
    await until('second tap', () => s.taps.length === 2);
    expect(s.taps[1]).toMatchObject({ outcome: 'identified', kind: 'emv', token: cardToken(KEY, 'emv', Buffer.from(TEST_BANK_PAN)) });
  });

  it('a card that stops answering gives `timeout`', async () => {
    const s = setup({ readTimeoutMs: 150 });
    current = s.readers;
    s.readers.start();
    await until('context', () => s.contexts.length === 1);
    s.contexts[0]!.addReader('Kiosk Reader').present(CARDS.silent());
    await until('tap', () => s.taps.length === 1);
    expect(s.taps[0]).toMatchObject({ outcome: 'rejected', reason: 'timeout' });
  });

  it('PC/SC context lost: readers dropped, down, reconnects by itself', async () => {
    const s = setup();
    current = s.readers;
    s.readers.start();
    await until('context', () => s.contexts.length === 1);
    const r = s.contexts[0]!.addReader('Lane Reader 1');
    s.contexts[0]!.emit('error', new Error('SCardGetStatusChange error: RPC transport error.(0x80100013)'));
    expect(s.readers.health()[0]).toMatchObject({ state: 'down', detail: expect.stringContaining('RPC transport error') });
    expect(s.readers.health().some((h) => h.name === 'Lane Reader 1')).toBe(false);
    expect(s.contexts[0]!.closed).toBe(true);
    expect(r.closed).toBe(true);
    await until('second context', () => s.contexts.length === 2);
    expect(s.readers.health()[0]!.state).toBe('up');
    s.contexts[1]!.addReader('Lane Reader 1').present(CARDS.ultralight());
    await until('tap', () => s.taps.length === 1);
  });

  it('a reader unplugged is dropped; its binding shows down', async () => {
    const s = setup();
    current = s.readers;
    s.readers.start();
    await until('context', () => s.contexts.length === 1);
    const r = s.contexts[0]!.addReader('Lane Reader 1');
    r.emit('error', new Error('Command cancelled'));
    r.emit('end');
    expect(s.readers.health()).toContainEqual(expect.objectContaining({ name: 'reader for lane:l1', state: 'down' }));
  });

  it('logs carry no card number, track 2 or token', async () => {
    const s = setup();
    current = s.readers;
    s.readers.start();
    await until('context', () => s.contexts.length === 1);
    const r = s.contexts[0]!.addReader('Lane Reader 1');
    for (const name of ['bank-card', 'bank-card-chained', 'ov-chipkaart'] as const) {
      r.present(CARDS[name]());
      r.remove();
      await new Promise((res) => setTimeout(res, 20));
    }
    await until('taps', () => s.taps.length >= 2);
    const text = s.lines.join('');
    expect(text).toContain('card tap');
    expect(text).not.toContain(TEST_BANK_PAN);
    expect(text).not.toMatch(/4761739001010119|47617390|d2812/i);
    for (const t of s.taps) if (t.outcome === 'identified') expect(text).not.toContain(t.token);
  });

  it('stop() closes readers and the context, and no tap comes after', async () => {
    const s = setup();
    s.readers.start();
    await until('context', () => s.contexts.length === 1);
    const r = s.contexts[0]!.addReader('Lane Reader 1');
    await s.readers.stop();
    expect(r.closed).toBe(true);
    expect(s.contexts[0]!.closed).toBe(true);
    expect(s.readers.health()[0]!.state).toBe('stopped');
    r.card = CARDS['classic-1k']();
    r.emit('card', { atr: Buffer.from(r.card.atr) });
    await new Promise((res) => setTimeout(res, 30));
    expect(s.taps).toHaveLength(0);
    await s.readers.stop(); // idempotent
  });
});
