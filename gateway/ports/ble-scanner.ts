/**
 * BLE scanners (DESIGN.md §3, issue 4): one HCI controller per scanner, each named and bound
 * to a zone in config (`presence.scanners`). Adverts in, nothing else out.
 *
 * Contract:
 * - `start(listener)` returns at once; controllers come up in the background. A scanner whose
 *   controller is missing, unplugged, or stops answering (port closed, noble `poweredOff`, no
 *   `poweredOn` within the start timeout) is `down` in `health()` with the reason, is retried
 *   with exponential back-off and jitter, and comes back by itself when the controller does.
 *   Adverts heard before a failure are delivered; none are invented or replayed after it.
 * - An `Advert` is a plain object: no vendor type, no MAC address (addresses never leave the
 *   adapter, DESIGN.md §9), no advertisement fields other than the manufacturer data. An
 *   adapter may drop adverts whose manufacturer data starts with none of the accepted
 *   prefixes (`ScannerOptions.accept`) before they reach the gateway's main process; adverts
 *   with no manufacturer data or an unknown RSSI (127) are always dropped.
 * - `at` is the gateway clock's time of reception (epoch ms), `rssi` the controller's report
 *   in dBm as heard (no calibration applied).
 * - Adverts are delivered in batches, in order per scanner, from the event loop (never
 *   synchronously inside `start`). A listener that throws is logged and does not stop the
 *   scanners.
 * - Memory stays flat however many distinct (rotating) addresses pass: the adapter forgets a
 *   device as soon as its advert is delivered.
 * - `stop()` stops scanning, releases the controllers and resolves when they are released.
 *   Idempotent. No advert is delivered after it resolves.
 */
import type { DeviceHealth } from './health';

export interface Advert {
  /** The configured scanner name. */
  readonly scanner: string;
  /** dBm, as the controller reported it (-127…20). */
  readonly rssi: number;
  /** The advert's manufacturer-specific data (AD type 0xFF), company id first. */
  readonly manufacturerData: Uint8Array;
  /** Gateway clock, epoch ms. */
  readonly at: number;
}

export type AdvertListener = (batch: readonly Advert[]) => void;

export interface BleScanners {
  start(listener: AdvertListener): void;
  stop(): Promise<void>;
  /** One entry per configured scanner: `kind: 'ble-scanner'`, `detail` names zone and port. */
  health(): DeviceHealth[];
}

/** How a scanner reaches its controller. */
export type ScannerTransport =
  /** H4 over a serial port (UART/USB-CDC dongle, or a pty to firmware-sim's emulator). */
  | { readonly kind: 'uart'; readonly path: string; readonly baudRate: number }
  /** The kernel's HCI socket (`hciN`), where the machine has a Bluetooth family. */
  | { readonly kind: 'hci'; readonly deviceId: number };

export interface ScannerSpec {
  readonly name: string;
  readonly zone: string;
  readonly transport: ScannerTransport;
}
