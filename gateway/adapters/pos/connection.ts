/**
 * What a PosLink transport provides: a way to get a connected byte stream (open a serial
 * port, dial or accept a TCP till), and a way to give it back. The runner (link-runner.ts)
 * owns the state, the back-off and the protocol engine; connectors only move bytes.
 */
import type { ByteStream } from './link-types';

export interface Connection {
  readonly stream: ByteStream;
  /** Called once when the transport goes away by itself (unplugged, peer closed, I/O error). */
  onLost(listener: (reason: string) => void): void;
  /** Close it; resolves when closed. Idempotent. */
  close(): Promise<void>;
}

export interface Connector {
  readonly transport: 'serial' | 'tcp';
  /** The serial path or host:port, for health and logs. */
  endpoint(): string;
  /**
   * True when `connect()` waits for the till to come to us (TCP listen): then a lost
   * connection is followed by a new wait at once, not by a back-off delay.
   */
  readonly waitsForPeer: boolean;
  /** Open one connection. Rejects (with a message fit for health) when it cannot. */
  connect(): Promise<Connection>;
  /** Release everything (a listening socket, a pending connect). Idempotent. */
  shutdown(): Promise<void>;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
