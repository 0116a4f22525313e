/**
 * CardReaders over nfc-pcsc and pcscd (DESIGN.md §5, §10; contract in ports/card-reader.ts).
 *
 * Life cycle of the PC/SC side:
 *   load nfc-pcsc lazily ── absent ──▶ disabled ("nfc-pcsc not installed"), for good
 *        │
 *   probe pcscd's socket ── absent ──▶ down, retry with back-off (no `new NFC()` before:
 *        │                             it spins the main thread without pcscd)
 *   new NFC(), listen for `reader` and `error` at once ──▶ up
 *        │
 *   `error` on the context (pcscd stopped: "RPC transport error") ──▶ close it, down, retry
 * Each reader: `autoProcessing = false` (nfc-pcsc only connects and emits `card`), an
 * `error` handler (closing a reader emits "Command cancelled"), `end` when it goes away.
 */
import type { Clock } from '../../ports/clock';
import { systemClock } from '../../ports/clock';
import type { CardReaders, TapListener } from '../../ports/card-reader';
import type { DeviceHealth, DeviceState } from '../../ports/health';
import type { CardsConfig } from '../../config/cards-schema';
import { formatPlace, readerMatches } from '../../core/identity/places';
import type { Logger } from '../logging/create-logger';
import { loadNfcPcsc, type PcscContext, type PcscLibrary, type PcscReader } from './pcsc-library';
import { probePcscd, type PcscdProbe } from './pcscd-probe';
import { createTapPipeline } from './tap-pipeline';

export interface NfcCardReadersOptions {
  config: Pick<CardsConfig, 'readers' | 'staff' | 'debounceMs' | 'readTimeoutMs' | 'retryMinMs' | 'retryMaxMs' | 'pcscdSocket'>;
  /** From loadCardKey(); at least 32 bytes. */
  cardKey: Uint8Array;
  log: Logger;
  clock?: Clock;
  /** Seams for tests: how nfc-pcsc is loaded and how pcscd is probed. */
  loadLibrary?: () => Promise<PcscLibrary>;
  probe?: (socketPath: string) => Promise<PcscdProbe>;
}

/** Longest response we accept to one APDU: 256 data bytes and the status word. */
const MAX_RESPONSE = 258;

interface ReaderEntry {
  readonly reader: PcscReader;
  readonly since: number;
  /** Bumped on every card in and out: a read belongs to one presentation. */
  presentation: number;
}

export function createNfcCardReaders(opts: NfcCardReadersOptions): CardReaders {
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const cfg = opts.config;
  const pipeline = createTapPipeline({
    cardKey: opts.cardKey,
    readers: cfg.readers,
    staff: cfg.staff,
    debounceMs: cfg.debounceMs,
    readTimeoutMs: cfg.readTimeoutMs,
    clock,
    log,
  });
  const load = opts.loadLibrary ?? loadNfcPcsc;
  const probe = opts.probe ?? ((p: string) => probePcscd(p));

  let subsystem: { state: DeviceState; since: number; detail?: string } = { state: 'stopped', since: clock.now() };
  let library: PcscLibrary | undefined;
  let context: PcscContext | undefined;
  const readers = new Map<string, ReaderEntry>();
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let running = false;
  let started = false;

  function setState(state: DeviceState, detail?: string) {
    if (subsystem.state === state && subsystem.detail === detail) return;
    const changed = subsystem.state !== state;
    subsystem = { state, since: changed ? clock.now() : subsystem.since, ...(detail !== undefined ? { detail } : {}) };
    if (changed) (state === 'down' ? log.warn : log.info).call(log, { state, detail }, 'card readers: PC/SC %s', state);
  }

  function scheduleRetry() {
    if (!running) return;
    const delay = Math.min(cfg.retryMaxMs, cfg.retryMinMs * 2 ** Math.min(attempt, 16));
    attempt++;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void connect(), delay);
  }

  async function connect(): Promise<void> {
    if (!running || context) return;
    if (!library) {
      try {
        library = await load();
      } catch {
        setState('disabled', 'disabled: nfc-pcsc not installed (apt-get install libpcsclite-dev, then npm ci)');
        return;
      }
    }
    const p = await probe(cfg.pcscdSocket);
    if (!running || context) return;
    if (!p.ok) {
      setState('down', p.why);
      scheduleRetry();
      return;
    }
    let ctx: PcscContext;
    try {
      ctx = library.createContext();
    } catch (e) {
      setState('down', `PC/SC: ${(e as Error).message}`);
      scheduleRetry();
      return;
    }
    context = ctx;
    // Both listeners right away: readers are announced on the next tick.
    ctx.on('reader', (r) => addReader(ctx, r));
    ctx.on('error', (e) => lost(ctx, e));
    attempt = 0;
    setState('up', 'pcscd connected');
  }

  function lost(ctx: PcscContext, e: Error) {
    if (ctx !== context) return;
    log.warn({ err: e.message }, 'card readers: PC/SC context lost');
    teardown();
    setState('down', `PC/SC service lost: ${e.message}`);
    attempt = 0;
    scheduleRetry();
  }

  function teardown() {
    for (const [name, entry] of readers) {
      dropReader(name, entry);
      try {
        entry.reader.reader.close();
      } catch {
        // already ended with the service
      }
    }
    const ctx = context;
    context = undefined;
    try {
      ctx?.close();
    } catch {
      // the monitoring thread is already gone when pcscd died
    }
  }

  function dropReader(name: string, entry: ReaderEntry) {
    if (readers.get(name) !== entry) return;
    readers.delete(name);
    pipeline.forget(name);
    log.info({ reader: name }, 'card reader gone');
  }

  function addReader(ctx: PcscContext, r: PcscReader) {
    const name = r.name;
    r.autoProcessing = false;
    r.on('error', (e) => log.warn({ reader: name, err: e.message }, 'card reader error'));
    if (ctx !== context || !running) {
      try {
        r.reader.close();
      } catch {
        // ignore
      }
      return;
    }
    const entry: ReaderEntry = { reader: r, since: clock.now(), presentation: 0 };
    readers.set(name, entry);
    const place = pipeline.placeOf(name);
    log.info({ reader: name, place: place ? formatPlace(place) : undefined }, 'card reader up');
    r.on('end', () => dropReader(name, entry));
    r.on('card.off', () => {
      entry.presentation++;
    });
    r.on('card', (card) => {
      const presentation = ++entry.presentation;
      const atr = card.atr ? Uint8Array.from(card.atr) : new Uint8Array(0);
      const transmit = async (command: Uint8Array): Promise<Uint8Array> => {
        // A command for a card that has left (or been replaced) must not reach the next one.
        if (entry.presentation !== presentation || readers.get(name) !== entry) throw new Error('card gone');
        return r.transmit(Buffer.from(command), MAX_RESPONSE);
      };
      void pipeline.read(name, atr, transmit);
    });
  }

  function health(): DeviceHealth[] {
    const out: DeviceHealth[] = [
      { name: 'card-readers', kind: 'pcsc', state: subsystem.state, since: subsystem.since, ...(subsystem.detail ? { detail: subsystem.detail } : {}) },
    ];
    for (const [name, e] of readers) {
      const place = pipeline.placeOf(name);
      out.push({ name, kind: 'card-reader', state: 'up', since: e.since, detail: place ? formatPlace(place) : 'not bound to a place' });
    }
    for (const b of cfg.readers) {
      if ([...readers.keys()].some((n) => readerMatches(n, b.match))) continue;
      out.push({
        name: `reader for ${b.place}`,
        kind: 'card-reader',
        state: subsystem.state === 'disabled' ? 'disabled' : 'down',
        since: subsystem.since,
        detail: `no reader matching "${b.match}"`,
      });
    }
    return out;
  }

  return {
    start() {
      if (started) return;
      started = true;
      running = true;
      setState('connecting', 'starting');
      void connect();
    },
    async stop() {
      if (!running) return;
      running = false;
      clearTimeout(retryTimer);
      teardown();
      pipeline.close();
      setState('stopped');
    },
    onTap(listener: TapListener) {
      return pipeline.onTap(listener);
    },
    health,
  };
}
