/**
 * The till's end of the wire: opens the serial port or TCP connection on demand and reopens
 * it after a drop, one LinkEngine per connection, the SEQ carried across reconnects (a resend
 * must not repeat the SEQ and CRC the gateway saw last, or it is dropped as a duplicate).
 * Request frames go out through the fault injector.
 */
import type { Clock } from '../../gateway/ports/clock';
import type { Connection, Connector } from '../../gateway/adapters/pos/connection';
import { LinkEngine } from '../../gateway/adapters/pos/link-engine';
import type { LinkCounters, LinkLogger, Timers } from '../../gateway/adapters/pos/link-types';
import { SerialConnector, type BaudRate } from '../../gateway/adapters/pos/serial-pos-link';
import { TcpDialConnector } from '../../gateway/adapters/pos/tcp-pos-link';
import { faultyTransmit, type FaultKind } from './faults';
import type { Rng } from './prng';

export type TillTransport = { kind: 'serial'; path: string; baudRate?: BaudRate } | { kind: 'tcp'; host: string; port: number };

export interface TillLineOptions {
  transport: TillTransport;
  counters: LinkCounters;
  clock: Clock;
  timers: Timers;
  logger: LinkLogger;
  rng: Rng;
  /** The fault for the next first transmission of a frame (null: none). */
  nextFault: () => FaultKind | null;
  onLateReply: (body: string) => void;
  ackTimeoutMs?: number;
  maxRetries?: number;
  interByteGapMs?: number;
}

export class TillLine {
  private readonly connector: Connector;
  private conn: Connection | null = null;
  private current: LinkEngine | null = null;
  private nextSeq = 0;

  constructor(private readonly opts: TillLineOptions) {
    const t = opts.transport;
    this.connector = t.kind === 'serial' ? new SerialConnector(t.path, t.baudRate) : new TcpDialConnector(t.host, t.port);
  }

  /** The engine of the open connection, opening one first if need be (rejects if it cannot). */
  async engine(): Promise<LinkEngine> {
    if (this.current && !this.current.isClosed) return this.current;
    const conn = await this.connector.connect();
    const o = this.opts;
    const engine = new LinkEngine(conn.stream, {
      firstSeq: this.nextSeq,
      counters: o.counters,
      clock: o.clock,
      timers: o.timers,
      logger: o.logger,
      onLateReply: o.onLateReply,
      ...(o.ackTimeoutMs !== undefined && { ackTimeoutMs: o.ackTimeoutMs }),
      ...(o.maxRetries !== undefined && { maxRetries: o.maxRetries }),
      ...(o.interByteGapMs !== undefined && { interByteGapMs: o.interByteGapMs }),
      transmit: faultyTransmit(
        o.nextFault,
        {
          write: (bytes) => void conn.stream.write(bytes),
          // Let the partial frame leave the port before the line goes dead.
          drop: () => this.sleep(20).then(() => conn.close()),
          stall: () => this.sleep((o.interByteGapMs ?? 100) * 1.5 + 30),
        },
        o.rng,
      ),
    });
    conn.onLost(() => {
      this.nextSeq = engine.nextSeq;
      engine.close();
      void conn.close();
      if (this.conn === conn) {
        this.conn = null;
        this.current = null;
      }
    });
    this.conn = conn;
    this.current = engine;
    return engine;
  }

  async close(): Promise<void> {
    this.current?.close();
    await this.conn?.close();
    this.conn = null;
    this.current = null;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.opts.timers.setTimeout(resolve, Math.max(0, ms)));
  }
}
