/**
 * BleScanners over noble's real HCI code (DESIGN.md §3): one worker process per controller
 * (scanner-worker.ts), supervised here. A worker that fails (port missing or closed, noble
 * `poweredOff`, no answer at start) exits; its scanner goes `down` with the reason and a new
 * worker is started after an exponential back-off with jitter. See ports/ble-scanner.ts for
 * the contract.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Advert, AdvertListener, BleScanners, ScannerSpec } from '../../ports/ble-scanner';
import type { Clock } from '../../ports/clock';
import type { DeviceState } from '../../ports/health';
import { backoffDelay } from '../backoff';
import { WORKER_CONFIG_ENV, type ParentToWorker, type WorkerConfig, type WorkerStats, type WorkerToParent } from './worker-protocol';

export interface NobleScannersOptions {
  scanners: readonly ScannerSpec[];
  /** Hex prefixes of manufacturer data the workers pass on (others never leave the worker). */
  accept: readonly string[];
  clock: Clock;
  logger: Logger;
  retryMinMs?: number;
  retryMaxMs?: number;
  startTimeoutMs?: number;
  batchMs?: number;
  batchMax?: number;
  statsIntervalMs?: number;
  /** Health detail says so when a scanning controller has reported nothing for this long. */
  quietAfterMs?: number;
  random?: () => number;
  /** Extra Node flags for the workers (tests: `--expose-gc`). */
  workerExecArgv?: readonly string[];
  /** Tests only: leave noble's maps alone, to show what pruning saves. */
  pruneNobleMaps?: boolean;
  /** Tests only: read adverts through noble's discover events instead of the worker's direct reader. */
  advertPath?: 'direct' | 'noble';
  /** Benchmarks only: read the UART through serialport (as before issue 18) instead of the tty handle. */
  uartRead?: 'tty' | 'serialport';
}

/** Plain JavaScript: runs without the TypeScript loader (see its header). */
export const SCANNER_WORKER = fileURLToPath(new URL('./scanner-worker.mjs', import.meta.url));

/** Variables that pick noble's HCI driver; set per worker, never inherited. */
const DRIVER_ENV = [
  'BLUETOOTH_HCI_SOCKET_UART_PORT',
  'BLUETOOTH_HCI_SOCKET_UART_BAUDRATE',
  'BLUETOOTH_HCI_SOCKET_FORCE_UART',
  'BLUETOOTH_HCI_SOCKET_FORCE_USB',
  'NOBLE_HCI_DEVICE_ID',
  'HCI_CHANNEL_USER',
  'NOBLE_WEBSOCKET',
  'NOBLE_DISTRIBUTED',
];

export function workerEnv(spec: ScannerSpec, cfg: WorkerConfig, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of DRIVER_ENV) delete env[k];
  delete env.DEBUG; // noble's debug output would print addresses
  if (spec.transport.kind === 'uart') {
    env.BLUETOOTH_HCI_SOCKET_UART_PORT = spec.transport.path;
    env.BLUETOOTH_HCI_SOCKET_UART_BAUDRATE = String(spec.transport.baudRate);
  } else {
    env.NOBLE_HCI_DEVICE_ID = String(spec.transport.deviceId);
  }
  env[WORKER_CONFIG_ENV] = JSON.stringify(cfg);
  return env;
}

export interface ScannerStatus {
  name: string;
  zone: string;
  state: DeviceState;
  since: number;
  lastError?: string;
  lastAdvertAt?: number;
  adverts: number;
  restarts: number;
  worker?: WorkerStats;
  workerPid?: number;
}

class ScannerRunner {
  state: DeviceState = 'stopped';
  since: number;
  lastError: string | undefined;
  lastAdvertAt: number | undefined;
  adverts = 0;
  restarts = 0;
  stats: WorkerStats | undefined;
  private child: ChildProcess | null = null;
  private failure: string | undefined;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = '';
  private statsWaiters: Array<() => void> = [];

  constructor(
    readonly spec: ScannerSpec,
    private readonly o: Required<Omit<NobleScannersOptions, 'scanners' | 'random' | 'workerExecArgv' | 'pruneNobleMaps' | 'advertPath' | 'uartRead'>> &
      Pick<NobleScannersOptions, 'random' | 'workerExecArgv' | 'pruneNobleMaps' | 'advertPath' | 'uartRead'>,
    private readonly deliver: (batch: Advert[]) => void,
  ) {
    this.since = o.clock.now();
  }

  private set(state: DeviceState, error?: string): void {
    if (state !== this.state) this.since = this.o.clock.now();
    this.state = state;
    if (error !== undefined) this.lastError = error;
  }

  start(): void {
    if (this.stopping) return;
    this.failure = undefined;
    this.stderrTail = '';
    this.set('connecting');
    const cfg: WorkerConfig = {
      scanner: this.spec.name,
      transport: this.spec.transport,
      accept: [...this.o.accept],
      batchMs: this.o.batchMs,
      batchMax: this.o.batchMax,
      startTimeoutMs: this.o.startTimeoutMs,
      statsIntervalMs: this.o.statsIntervalMs,
      prune: this.o.pruneNobleMaps !== false,
      ...(this.o.advertPath && { advertPath: this.o.advertPath }),
      ...(this.o.uartRead && { uartRead: this.o.uartRead }),
    };
    let child: ChildProcess;
    try {
      child = fork(SCANNER_WORKER, [], {
        env: workerEnv(this.spec, cfg),
        execArgv: [...(this.o.workerExecArgv ?? [])],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
    } catch (e) {
      this.onExit(null, `cannot start worker: ${(e as Error).message}`);
      return;
    }
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    child.on('message', (m: WorkerToParent) => this.onMessage(m));
    child.on('error', (e) => (this.failure ??= `worker: ${e.message}`));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.onExit(code, signal ? `worker killed (${signal})` : `worker exited (${code})`);
        resolve();
      }),
    );
  }

  private onMessage(m: WorkerToParent): void {
    switch (m.t) {
      case 'adverts': {
        const now = this.o.clock.now();
        const batch: Advert[] = new Array(m.rssi.length);
        for (let i = 0; i < m.rssi.length; i++) {
          batch[i] = { scanner: this.spec.name, rssi: m.rssi[i]!, manufacturerData: Buffer.from(m.data[i]!, 'hex'), at: now - m.age[i]! };
        }
        this.adverts += batch.length;
        this.lastAdvertAt = now;
        if (!this.stopping) this.deliver(batch);
        return;
      }
      case 'state':
        if (m.state === 'scanning') {
          if (this.state !== 'up') this.o.logger.info({ scanner: this.spec.name, zone: this.spec.zone }, 'ble scanner up');
          this.attempt = 0;
          this.set('up');
        }
        return;
      case 'failed':
        this.failure = m.reason;
        return;
      case 'stats': {
        const { t: _t, ...stats } = m;
        this.stats = stats;
        for (const w of this.statsWaiters.splice(0)) w();
        return;
      }
    }
  }

  private onExit(code: number | null, fallback: string): void {
    this.child = null;
    for (const w of this.statsWaiters.splice(0)) w();
    if (this.stopping) {
      this.set('stopped');
      return;
    }
    const stderr = this.stderrTail.trim().split('\n').filter(Boolean).pop();
    const reason = this.failure ?? (stderr ? `${fallback}: ${stderr.slice(0, 200)}` : fallback);
    const wasUp = this.state === 'up';
    this.set('down', reason);
    this.attempt++;
    this.restarts++;
    const delay = backoffDelay(this.attempt, { minMs: this.o.retryMinMs, maxMs: this.o.retryMaxMs, random: this.o.random });
    (wasUp ? this.o.logger.warn : this.o.logger.debug).call(this.o.logger, { scanner: this.spec.name, reason, retryInMs: delay, code }, 'ble scanner down');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start();
    }, delay);
  }

  /** Asks the worker for fresh stats (with a GC first when `gc`); resolves when they arrive. */
  async refreshStats(gc = false): Promise<WorkerStats | undefined> {
    const child = this.child;
    if (!child?.connected) return this.stats;
    const got = new Promise<void>((resolve) => this.statsWaiters.push(resolve));
    child.send({ t: gc ? 'gc' : 'stats' } satisfies ParentToWorker);
    await Promise.race([got, new Promise((r) => setTimeout(r, 2000))]);
    return this.stats;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const child = this.child;
    if (child) {
      if (child.connected) child.send({ t: 'stop' } satisfies ParentToWorker);
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(killer);
    }
    this.set('stopped');
  }
}

export interface NobleBleScanners extends BleScanners {
  /** Per-scanner detail (adverts, restarts, the worker's memory and noble map sizes). */
  status(): ScannerStatus[];
  /** Fresh worker stats (optionally after a GC in the worker, when it runs with --expose-gc). */
  workerStats(gc?: boolean): Promise<Array<WorkerStats | undefined>>;
  /** Worker process ids (for CPU measurements). */
  workerPids(): number[];
}

export function createNobleScanners(opts: NobleScannersOptions): NobleBleScanners {
  const o = {
    retryMinMs: 500,
    retryMaxMs: 30_000,
    startTimeoutMs: 15_000,
    batchMs: 20,
    batchMax: 256,
    statsIntervalMs: 10_000,
    quietAfterMs: 60_000,
    ...opts,
  };
  let listener: AdvertListener | null = null;
  const deliver = (batch: Advert[]) => {
    try {
      listener?.(batch);
    } catch (e) {
      o.logger.error({ err: e }, 'advert listener failed');
    }
  };
  const runners = opts.scanners.map((s) => new ScannerRunner(s, o, deliver));
  let stopped: Promise<void> | undefined;

  const detailOf = (r: ScannerRunner): string => {
    const t = r.spec.transport;
    const where = `zone ${r.spec.zone}, ${t.kind === 'uart' ? t.path : `hci${t.deviceId}`}`;
    if (r.state === 'down') return `${where}: ${r.lastError ?? 'down'}`;
    if (r.state === 'up') {
      const quiet = r.lastAdvertAt === undefined ? o.clock.now() - r.since : o.clock.now() - r.lastAdvertAt;
      if (quiet > o.quietAfterMs) return `${where}: no BLE advertisements recorded in over ${o.quietAfterMs} ms`;
    }
    return where;
  };

  return {
    start(l) {
      if (listener) throw new Error('BLE scanners already started');
      listener = l;
      for (const r of runners) r.start();
    },
    stop: () =>
      (stopped ??= (async () => {
        await Promise.all(runners.map((r) => r.stop()));
        listener = null;
      })()),
    health: () => runners.map((r) => ({ name: r.spec.name, kind: 'ble-scanner', state: r.state, since: r.since, detail: detailOf(r) })),
    status: () =>
      runners.map((r) => ({
        name: r.spec.name,
        zone: r.spec.zone,
        state: r.state,
        since: r.since,
        adverts: r.adverts,
        restarts: r.restarts,
        ...(r.lastError !== undefined && { lastError: r.lastError }),
        ...(r.lastAdvertAt !== undefined && { lastAdvertAt: r.lastAdvertAt }),
        ...(r.stats && { worker: r.stats }),
        ...(r.pid !== undefined && { workerPid: r.pid }),
      })),
    workerStats: (gc = false) => Promise.all(runners.map((r) => r.refreshStats(gc))),
    workerPids: () => runners.map((r) => r.pid).filter((p): p is number => p !== undefined),
  };
}
