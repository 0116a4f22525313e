/**
 * What every card-reader implementation does with a card once it can talk to it: identify
 * it (core/identity) within a time limit, debounce, mark staff passes, log without card
 * data, and hand the tap to the listeners. Shared by the PC/SC adapter and the in-process one.
 */
import { randomBytes } from 'node:crypto';
import type { Transmit } from '../../core/identity/apdu';
import { createTapDebouncer } from '../../core/identity/debounce';
import { identifyCard, type CardIdentity, type IdentifyFailure } from '../../core/identity/identify';
import { bindingFor, type Place, type ReaderBinding } from '../../core/identity/places';
import { staffEntryFor, type StaffEntry } from '../../core/identity/token';
import type { Result } from '../../core/result';
import type { Clock } from '../../ports/clock';
import type { CardTap, TapListener } from '../../ports/card-reader';
import type { Logger } from '../logging/create-logger';

export interface TapPipelineOptions {
  cardKey: Uint8Array;
  readers: readonly ReaderBinding[];
  staff: readonly StaffEntry[];
  debounceMs: number;
  readTimeoutMs: number;
  clock: Clock;
  log: Logger;
}

export interface TapPipeline {
  placeOf(reader: string): Place | undefined;
  /**
   * Reads the card now in `reader` and delivers exactly one tap, unless it repeats the last
   * one (debounced) or the pipeline was closed meanwhile. Resolves with what was delivered.
   */
  read(reader: string, atr: Uint8Array, transmit: Transmit): Promise<CardTap | undefined>;
  onTap(listener: TapListener): () => void;
  forget(reader: string): void;
  /** Stop delivering taps (reads in flight finish silently). */
  close(): void;
}

type Outcome = Result<CardIdentity, IdentifyFailure>;

export function createTapPipeline(o: TapPipelineOptions): TapPipeline {
  const listeners = new Set<TapListener>();
  const debouncer = createTapDebouncer(o.debounceMs);
  let closed = false;

  function emit(tap: CardTap) {
    for (const l of [...listeners]) {
      try {
        l(tap);
      } catch (e) {
        o.log.error({ err: (e as Error).message, reader: tap.reader }, 'card tap listener failed');
      }
    }
  }

  async function read(reader: string, atr: Uint8Array, transmit: Transmit): Promise<CardTap | undefined> {
    const started = o.clock.monotonic();
    let ioMs = 0;
    const timed: Transmit = async (command) => {
      const t = o.clock.monotonic();
      try {
        return await transmit(command);
      } finally {
        ioMs += o.clock.monotonic() - t;
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Outcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: { reason: 'timeout', detail: `no outcome within ${o.readTimeoutMs} ms`, apdus: 0 } }),
        o.readTimeoutMs,
      );
    });
    let result: Outcome;
    try {
      result = await Promise.race([
        identifyCard({ atr, transmit: timed, cardKey: o.cardKey, nowMs: o.clock.now(), unpredictableNumber: randomBytes(4) }),
        timeout,
      ]);
    } catch (e) {
      // identifyCard does not throw on card data; a throw here is a fault of ours.
      o.log.error({ err: (e as Error).message, reader }, 'card read fault');
      result = { ok: false, error: { reason: 'read-failed', detail: 'internal error', apdus: 0 } };
    } finally {
      clearTimeout(timer);
    }
    const round = (ms: number) => Math.round(ms * 10) / 10;
    const readMs = round(o.clock.monotonic() - started);
    const place = placeOf(reader);
    const base = { reader, place, at: o.clock.now(), readMs, ioMs: round(Math.min(ioMs, readMs)) };
    let tap: CardTap;
    let key: string | undefined;
    if (result.ok) {
      const staff = staffEntryFor(result.value.token, o.staff);
      tap = {
        ...base,
        outcome: 'identified',
        kind: result.value.kind,
        token: result.value.token,
        ...(staff ? { staff: { role: staff.role, ...(staff.label ? { label: staff.label } : {}) } } : {}),
      };
      key = `id:${result.value.token}`;
    } else {
      const f = result.error;
      tap = { ...base, outcome: 'rejected', kind: f.kind, reason: f.reason, detail: f.detail };
      // An interrupted read is never "the same tap" as the next attempt.
      key = f.reason === 'removed' || f.reason === 'timeout' ? undefined : `no:${f.reason}:${f.kind ?? '-'}`;
    }
    const fields = {
      reader,
      place: place ? `${place.type}:${place.id}` : undefined,
      kind: tap.kind,
      outcome: tap.outcome,
      ...(tap.outcome === 'rejected' ? { reason: tap.reason, detail: tap.detail } : {}),
      ...(tap.outcome === 'identified' && tap.staff ? { staffRole: tap.staff.role } : {}),
      readMs,
      ioMs: base.ioMs,
    };
    if (closed) return undefined;
    if (key !== undefined && !debouncer.accept(reader, key, o.clock.now())) {
      o.log.debug(fields, 'card tap repeated: debounced');
      return undefined;
    }
    o.log.info(fields, 'card tap');
    emit(tap);
    return tap;
  }

  function placeOf(reader: string): Place | undefined {
    return bindingFor(reader, o.readers)?.place;
  }

  return {
    placeOf,
    read,
    onTap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    forget: (reader) => debouncer.forget(reader),
    close() {
      closed = true;
      listeners.clear();
    },
  };
}
