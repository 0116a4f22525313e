/**
 * The emulator on one end of a serial line (a pty from `socat pty,raw,echo=0,... pty,...`):
 * the gateway's scanner opens the other end as if it were a UART dongle.
 */
import { HciControllerEmulator, type ControllerOptions } from './controller';

export interface SerialController {
  readonly controller: HciControllerEmulator;
  readonly path: string;
  /** Resolves when the port is closed. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the line goes away by itself (socat killed: the cable pulled). */
  readonly gone: Promise<void>;
}

export async function openSerialController(path: string, opts: ControllerOptions & { baudRate?: number } = {}): Promise<SerialController> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate: opts.baudRate ?? 1_000_000, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const controller = new HciControllerEmulator(port, opts);
  let closing = false;
  const gone = new Promise<void>((resolve) => port.once('close', () => resolve()));
  // A line that dies under us (EIO when socat exits) closes the port; nothing to report.
  port.on('error', () => undefined);
  void gone.then(() => controller.close());
  return {
    controller,
    path,
    gone,
    close: async () => {
      controller.close();
      if (closing || !port.isOpen) return;
      closing = true;
      await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
