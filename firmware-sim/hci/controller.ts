/**
 * An HCI controller emulator (DESIGN.md §3): it plays a BLE dongle at the far end of a serial
 * line (a socat pty pair in tests), answers the commands noble's HCI layer sends, and streams
 * LE Advertising Reports, one per event, while the host has scanning enabled.
 *
 * Replies follow the command table in DESIGN.md §3; anything else gets Command Complete with
 * status 0x01 (unknown command). The Reset reply is exactly `04 0E 04 01 03 0C 00`: the
 * UART driver matches those bytes before it lets any other traffic through.
 */
import { EventEmitter } from 'node:events';
import { H4CommandReader, advertisingReport, commandComplete, wireTimeMs, type AdvertisingReport, type HciCommand } from './h4';

export const Op = {
  SET_EVENT_MASK: 0x0c01,
  RESET: 0x0c03,
  READ_LE_HOST_SUPPORTED: 0x0c6c,
  WRITE_LE_HOST_SUPPORTED: 0x0c6d,
  READ_LOCAL_VERSION: 0x1001,
  READ_BUFFER_SIZE: 0x1005,
  READ_BD_ADDR: 0x1009,
  LE_SET_EVENT_MASK: 0x2001,
  LE_READ_BUFFER_SIZE: 0x2002,
  LE_READ_LOCAL_FEATURES: 0x2003,
  LE_SET_SCAN_PARAMETERS: 0x200b,
  LE_SET_SCAN_ENABLE: 0x200c,
} as const;

/** The byte stream to the host: a serialport, a socket, or an in-process pipe. */
export interface ByteLine {
  write(chunk: Buffer): boolean;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  once(event: 'drain', fn: () => void): unknown;
}

export interface ControllerOptions {
  /** BD_ADDR as printed, e.g. `00:1A:7D:DA:71:01`. */
  address?: string;
  /**
   * Simulate the wire: hold reports back so they leave no faster than this baud rate (8N1)
   * allows. A pty moves bytes at memory speed whatever the baud rate, so without this an
   * emulator can report far more than a real UART controller could.
   */
  paceBaud?: number;
  /** Reports queued while the line is busy before new ones are dropped (a controller's buffer). */
  maxQueuedReports?: number;
}

export interface ControllerCounters {
  commands: number;
  unknownCommands: number;
  resets: number;
  reportsSent: number;
  /** Reports offered while the host was not scanning. */
  reportsNotScanning: number;
  /** Reports dropped because the queue was full (host or wire too slow). */
  reportsOverflow: number;
  bytesSent: number;
}

/** Emits `scan` (enabled: boolean) and `command` (HciCommand). */
export class HciControllerEmulator extends EventEmitter {
  private readonly reader = new H4CommandReader();
  private scanEnabled = false;
  private readonly queue: Buffer[] = [];
  private flushing = false;
  private paceTimer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly counters: ControllerCounters = {
    commands: 0,
    unknownCommands: 0,
    resets: 0,
    reportsSent: 0,
    reportsNotScanning: 0,
    reportsOverflow: 0,
    bytesSent: 0,
  };
  private readonly address: Buffer;
  private readonly maxQueued: number;

  constructor(
    private readonly line: ByteLine,
    private readonly opts: ControllerOptions = {},
  ) {
    super();
    const addr = (opts.address ?? '00:1A:7D:DA:71:01').split(':').map((p) => parseInt(p, 16));
    this.address = Buffer.from(addr.reverse()); // BD_ADDR is little-endian on the wire
    this.maxQueued = opts.maxQueuedReports ?? 4096;
    line.on('data', (chunk) => {
      for (const cmd of this.reader.push(chunk)) this.handle(cmd);
    });
  }

  /** True while the host has LE scanning enabled. */
  get scanning(): boolean {
    return this.scanEnabled;
  }

  /** Reports waiting for the line. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Offers one advert as heard by this controller. Returns false when it was not sent: the
   * host is not scanning, or the queue is full. RSSI 127 (unknown) is sent as is.
   */
  report(r: AdvertisingReport): boolean {
    if (this.closed) return false;
    if (!this.scanEnabled) {
      this.counters.reportsNotScanning++;
      return false;
    }
    if (this.queue.length >= this.maxQueued) {
      this.counters.reportsOverflow++;
      return false;
    }
    this.queue.push(advertisingReport(r));
    this.flush();
    return true;
  }

  /** Resolves when the report queue is empty (for load generators). */
  async drained(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) await new Promise((r) => setTimeout(r, 2));
  }

  close(): void {
    this.closed = true;
    this.scanEnabled = false;
    this.queue.length = 0;
    if (this.paceTimer) clearTimeout(this.paceTimer);
  }

  private send(b: Buffer): boolean {
    this.counters.bytesSent += b.length;
    return this.line.write(b);
  }

  private flush(): void {
    if (this.flushing || this.closed) return;
    this.flushing = true;
    const pace = this.opts.paceBaud;
    if (!pace) {
      // As fast as the line drains.
      while (this.queue.length > 0) {
        const b = this.queue.shift()!;
        this.counters.reportsSent++;
        if (!this.send(b)) {
          this.line.once('drain', () => {
            this.flushing = false;
            this.flush();
          });
          return;
        }
      }
      this.flushing = false;
      return;
    }
    // Paced: send what the wire could have carried since the last send, then wait.
    const b = this.queue.shift()!;
    this.counters.reportsSent++;
    this.send(b);
    this.paceTimer = setTimeout(
      () => {
        this.flushing = false;
        this.paceTimer = null;
        if (this.queue.length > 0) this.flush();
      },
      wireTimeMs(b.length, pace),
    );
  }

  private handle(cmd: HciCommand): void {
    this.counters.commands++;
    this.emit('command', cmd);
    const { opcode, params } = cmd;
    switch (opcode) {
      case Op.RESET:
        this.counters.resets++;
        this.scanEnabled = false;
        this.queue.length = 0;
        this.send(commandComplete(opcode, 0)); // exactly 04 0E 04 01 03 0C 00
        this.emit('scan', false);
        return;
      case Op.SET_EVENT_MASK:
      case Op.LE_SET_EVENT_MASK:
      case Op.WRITE_LE_HOST_SUPPORTED:
      case Op.LE_SET_SCAN_PARAMETERS:
        this.send(commandComplete(opcode, 0));
        return;
      case Op.LE_READ_LOCAL_FEATURES:
        this.send(commandComplete(opcode, 0, Buffer.from('0100000000000000', 'hex'))); // LE encryption only
        return;
      case Op.READ_LOCAL_VERSION:
        // HCI 5.0 (0x09), revision 0, LMP 5.0, manufacturer 0x05F1 (Linux Foundation), subversion 0.
        this.send(commandComplete(opcode, 0, Buffer.from('09000009f1050000', 'hex')));
        return;
      case Op.READ_BD_ADDR:
        this.send(commandComplete(opcode, 0, this.address));
        return;
      case Op.READ_LE_HOST_SUPPORTED:
        this.send(commandComplete(opcode, 0, Buffer.from('0100', 'hex')));
        return;
      case Op.LE_READ_BUFFER_SIZE:
        this.send(commandComplete(opcode, 0, Buffer.from('fb0008', 'hex')));
        return;
      case Op.READ_BUFFER_SIZE:
        this.send(commandComplete(opcode, 0, Buffer.from('fd033f08000100', 'hex'))); // acl 1021×8, sco 63×1
        return;
      case Op.LE_SET_SCAN_ENABLE: {
        const enable = params[0] === 1;
        this.send(commandComplete(opcode, 0));
        if (enable !== this.scanEnabled) {
          this.scanEnabled = enable;
          if (!enable) this.queue.length = 0;
          this.emit('scan', enable);
        }
        return;
      }
      default:
        this.counters.unknownCommands++;
        this.send(commandComplete(opcode, 0x01));
    }
  }
}
