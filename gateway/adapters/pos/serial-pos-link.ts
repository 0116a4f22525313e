/**
 * A till on a serial port (8N1), through `serialport`. The native module is loaded on the
 * first open, not at import (STYLE.md §7), so a TCP-only gateway never loads it.
 *
 * A missing path fails the open; an unplugged adapter closes the port with
 * `{ disconnected: true }`; an I/O error shows as 'error'. All three end the connection,
 * and the link reopens the same path with back-off until it is back.
 *
 * One hang-up serialport misses: when the far side of a pty (or a gadget tty) goes away
 * while a read is in flight, read() returns 0 and @serialport/bindings-cpp 13 retries it
 * forever (unix-read.js) without reporting a disconnect. A watchdog therefore checks every
 * `watchMs` that the path still names the device that was opened (same inode and rdev);
 * if not, the port is closed and counts as unplugged.
 */
import { stat } from 'node:fs/promises';
import type { SerialPort } from 'serialport';
import { errorMessage, type Connection, type Connector } from './connection';
import { ConnectedPosLink, type PosLinkOptions } from './link-runner';

export type BaudRate = 9600 | 19200 | 38400 | 57600 | 115200;

export class SerialConnector implements Connector {
  readonly transport = 'serial' as const;
  readonly waitsForPeer = false;

  constructor(
    private readonly path: string,
    private readonly baudRate: BaudRate = 115200,
    private readonly watchMs = 500,
  ) {}

  endpoint(): string {
    return this.path;
  }

  async connect(): Promise<Connection> {
    const { SerialPort: Port } = await import('serialport');
    const port = new Port({ path: this.path, baudRate: this.baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
    let lost: ((reason: string) => void) | null = null;
    let lostReason: string | null = null;
    const loseWith = (reason: string) => {
      if (lostReason !== null) return;
      lostReason = reason;
      lost?.(reason);
    };
    // Without a listener an 'error' event would crash the process.
    port.on('error', (e: Error) => {
      loseWith(`serial I/O error: ${e.message}`);
      if (port.isOpen) port.close(() => undefined);
    });
    await new Promise<void>((resolve, reject) =>
      port.open((e) => (e ? reject(new Error(`cannot open ${this.path}: ${errorMessage(e).replace(/^Error: /, '')}`)) : resolve())),
    );
    const opened = await stat(this.path).catch(() => null);
    const watch = setInterval(() => {
      void stat(this.path)
        .then(
          (now) => opened && (now.ino !== opened.ino || now.rdev !== opened.rdev),
          () => true,
        )
        .then((gone) => {
          if (!gone || lostReason !== null) return;
          loseWith(`${this.path} unplugged (device gone)`);
          if (port.isOpen) port.close(() => undefined);
        });
    }, this.watchMs);
    watch.unref();
    port.on('close', (e?: Error & { disconnected?: boolean }) => {
      clearInterval(watch);
      loseWith(e?.disconnected ? `${this.path} unplugged` : `${this.path} closed`);
    });
    return {
      stream: port,
      onLost: (listener) => {
        lost = listener;
        if (lostReason !== null) listener(lostReason);
      },
      close: () => closePort(port),
    };
  }

  async shutdown(): Promise<void> {}
}

function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}

export interface SerialPosLinkOptions extends PosLinkOptions {
  path: string;
  baudRate?: BaudRate;
  /** How often the device behind the path is checked (default 500 ms). */
  watchMs?: number;
}

export class SerialPosLink extends ConnectedPosLink {
  constructor(opts: SerialPosLinkOptions) {
    super(new SerialConnector(opts.path, opts.baudRate, opts.watchMs), opts);
  }
}
