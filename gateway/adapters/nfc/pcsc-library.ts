/**
 * The slice of nfc-pcsc (0.8) the adapter uses, typed here so its types stop at the adapter
 * (STYLE.md §4). nfc-pcsc ships no type definitions; these match dist/NFC.js and
 * dist/Reader.js. Loaded lazily: it is an optional dependency with a native part
 * (@pokusew/pcsclite), absent where libpcsclite-dev was missing at install time.
 */
import type { EventEmitter } from 'node:events';

export interface PcscCard {
  /** The ATR as the reader reports it. */
  atr?: Buffer;
}

export interface PcscReader extends EventEmitter {
  readonly name: string;
  /** false: nfc-pcsc connects and emits `card` without reading anything itself. */
  autoProcessing: boolean;
  transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
  /** The pcsclite CardReader underneath; `close()` ends its status thread. */
  readonly reader: { close(): void };
  on(event: 'card', listener: (card: PcscCard) => void): this;
  on(event: 'card.off', listener: (card: PcscCard) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'end', listener: () => void): this;
}

export interface PcscContext extends EventEmitter {
  on(event: 'reader', listener: (reader: PcscReader) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  close(): void;
}

export interface PcscLibrary {
  /** Starts a PC/SC context. Blocks (spinning) while pcscd is absent: probe first. */
  createContext(): PcscContext;
}

// A variable specifier keeps tsc from resolving the optional module at build time.
const MODULE = 'nfc-pcsc';

/** Loads nfc-pcsc; rejects when it is not installed (or its native part failed to build). */
export async function loadNfcPcsc(): Promise<PcscLibrary> {
  const mod = (await import(MODULE)) as { NFC?: unknown; default?: { NFC?: unknown } };
  const NFC = (mod.NFC ?? mod.default?.NFC) as (new (logger?: unknown) => PcscContext) | undefined;
  if (typeof NFC !== 'function') throw new Error('nfc-pcsc: no NFC export');
  // No logger argument: nfc-pcsc then logs nothing (its debug logger prints full APDUs).
  return { createContext: () => new NFC() };
}
