/**
 * Line faults the simulated till can put on its own request frames, to exercise the gateway's
 * receiver. Each applies to the first transmission of a frame only: the resends are clean,
 * as on a real line where noise is occasional, so every fault must be survived.
 *
 *  bitflip     one bit flipped anywhere in the frame (STX, header, body, ETX or CRC)
 *  truncate    only the first part of the frame is sent
 *  garbage     random bytes (any value, STX and control bytes included) before the frame
 *  duplicate   the frame sent twice back to back (same SEQ)
 *  gap         the frame stalls mid-way for longer than the inter-byte gap
 *  disconnect  part of the frame, then the port or socket is closed (the till reconnects)
 */
import type { Transmit } from '../../gateway/adapters/pos/link-types';
import type { Rng } from './prng';

export const FAULT_KINDS = ['bitflip', 'truncate', 'garbage', 'duplicate', 'gap', 'disconnect'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultWire {
  write(bytes: Uint8Array): void;
  /** Close the connection (for `disconnect`). */
  drop(): Promise<void>;
  /** Stall long enough for the receiver's inter-byte gap to run out. */
  stall(): Promise<void>;
}

/** Put `frame` on the wire with `fault` (none: as is). */
export async function transmitWithFault(frame: Uint8Array, fault: FaultKind | null, wire: FaultWire, rng: Rng): Promise<void> {
  const cut = () => rng.int(1, frame.length - 1);
  switch (fault) {
    case null:
      return wire.write(frame);
    case 'bitflip': {
      const bad = Uint8Array.from(frame);
      const at = rng.int(0, bad.length - 1);
      bad[at] = bad[at]! ^ (1 << rng.int(0, 7));
      return wire.write(bad);
    }
    case 'truncate':
      return wire.write(frame.subarray(0, cut()));
    case 'garbage': {
      const junk = Uint8Array.from({ length: rng.int(1, 24) }, () => rng.int(0, 255));
      return wire.write(concat(junk, frame));
    }
    case 'duplicate':
      return wire.write(concat(frame, frame));
    case 'gap': {
      const at = cut();
      wire.write(frame.subarray(0, at));
      await wire.stall();
      return wire.write(frame.subarray(at));
    }
    case 'disconnect':
      wire.write(frame.subarray(0, cut()));
      return wire.drop();
  }
}

/**
 * A Transmit for the link engine that takes its fault for each first transmission from
 * `next()` (a per-request choice, or a random one).
 */
export function faultyTransmit(next: () => FaultKind | null, wire: FaultWire, rng: Rng): Transmit {
  return (frame, { attempt }) => transmitWithFault(frame, attempt === 0 ? next() : null, wire, rng);
}

/** Random faults: each frame gets one with probability `rate`, of a kind drawn from `kinds`. */
export function randomFaults(rng: Rng, rate: number, kinds: readonly FaultKind[] = FAULT_KINDS): () => FaultKind | null {
  return () => (kinds.length > 0 && rng.chance(rate) ? rng.pick(kinds) : null);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
