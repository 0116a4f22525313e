/**
 * Messages between the gateway and a scanner worker (one child process per controller; see
 * docs/presence.md "Why one process per controller"). The worker's configuration travels in
 * its environment (`TROUW_BLE_WORKER`), together with the variables that choose noble's HCI
 * driver, because those are read when noble is loaded.
 */
import type { ScannerTransport } from '../../ports/ble-scanner';

export const WORKER_CONFIG_ENV = 'TROUW_BLE_WORKER';

export interface WorkerConfig {
  scanner: string;
  transport: ScannerTransport;
  /** Lower-case hex prefixes of manufacturer data to pass on; empty passes all. */
  accept: string[];
  /** Adverts are sent in batches: at most this old (ms)… */
  batchMs: number;
  /** …or this many, whichever comes first. */
  batchMax: number;
  /** No scanning within this long after start: the controller is not answering. */
  startTimeoutMs: number;
  /** How often the worker reports its counters and memory. */
  statsIntervalMs: number;
  /** Forget each device in noble's maps after its advert (default true; false only to measure the trap). */
  prune?: boolean;
  /**
   * How adverts are read (default 'direct': LE Advertising Reports are parsed in the worker
   * before noble sees them, see scanner-worker.mjs; 'noble': noble's own discover events,
   * the slower path, kept as the control for tests and as the fallback).
   */
  advertPath?: 'direct' | 'noble';
  /** How the UART is read (default 'tty': libuv's tty handle; 'serialport': its thread-pool reads). See scanner-worker.mjs. */
  uartRead?: 'tty' | 'serialport';
}

/** Batch of adverts as parallel arrays (cheap to serialise). `age` = ms before the batch was sent. */
export interface AdvertBatchMessage {
  t: 'adverts';
  rssi: number[];
  /** Manufacturer data, hex. */
  data: string[];
  age: number[];
}

export interface WorkerStats {
  /** Adverts reported by noble / passed on / dropped (no data, RSSI unknown, not accepted). */
  heard: number;
  passed: number;
  dropped: number;
  /** Sizes of noble's per-device maps (stay 0: noble never hears of a device on the direct path, and the worker prunes on noble's). */
  peripherals: number;
  discoveries: number;
  bindingAddresses: number;
  heapUsed: number;
  rss: number;
}

export type WorkerToParent =
  { t: 'state'; state: 'starting' | 'poweredOn' | 'scanning' } | AdvertBatchMessage | { t: 'failed'; reason: string } | ({ t: 'stats' } & WorkerStats);

export type ParentToWorker = { t: 'stop' } | { t: 'stats' } | { t: 'gc' };
