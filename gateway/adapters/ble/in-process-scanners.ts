/**
 * BleScanners fed in-process (ports/ble-scanner.ts): the demo's simulated store and unit
 * tests push adverts directly, and may take a scanner down and up. Same contract as the
 * noble adapter: batches delivered from the event loop, nothing after `stop()`.
 */
import type { Advert, AdvertListener, BleScanners, ScannerSpec } from '../../ports/ble-scanner';
import type { Logger } from 'pino';
import type { Clock } from '../../ports/clock';
import type { DeviceState } from '../../ports/health';

export interface InProcessBleScanners extends BleScanners {
  /** Queues adverts; delivered together on the next tick. `at` defaults to the clock. */
  push(...adverts: Array<Omit<Advert, 'at'> & { at?: number }>): void;
  /** Marks a scanner down (with a reason) or up again, as a controller would come and go. */
  setState(scanner: string, state: 'up' | 'down', detail?: string): void;
}

/** `logger` hears a listener that throws (the contract: logged, the scanners go on). */
export function createInProcessScanners(specs: readonly ScannerSpec[], clock: Clock, logger?: Pick<Logger, 'error'>): InProcessBleScanners {
  const state = new Map<string, { state: DeviceState; since: number; detail?: string }>(specs.map((s) => [s.name, { state: 'stopped', since: clock.now() }]));
  let listener: AdvertListener | null = null;
  let queue: Advert[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (!listener || batch.length === 0) return;
    try {
      listener(batch);
    } catch (e) {
      logger?.error({ err: e }, 'advert listener failed');
    }
  };

  return {
    start(l) {
      listener = l;
      for (const s of state.values()) Object.assign(s, { state: 'up', since: clock.now() });
    },
    async stop() {
      listener = null;
      queue = [];
      for (const s of state.values()) Object.assign(s, { state: 'stopped', since: clock.now() });
    },
    health: () =>
      specs.map((spec) => {
        const s = state.get(spec.name)!;
        return {
          name: spec.name,
          kind: 'ble-scanner',
          state: s.state,
          since: s.since,
          detail: `zone ${spec.zone}, simulated${s.detail ? `: ${s.detail}` : ''}`,
        };
      }),
    push(...adverts) {
      if (!listener) return;
      for (const a of adverts) {
        if (state.get(a.scanner)?.state !== 'up') continue; // a scanner that is down hears nothing
        queue.push({ scanner: a.scanner, rssi: a.rssi, manufacturerData: a.manufacturerData, at: a.at ?? clock.now() });
      }
      if (!scheduled && queue.length > 0) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    setState(scanner, up, detail) {
      const s = state.get(scanner);
      if (!s || s.state === 'stopped') return;
      const next: DeviceState = up === 'up' ? 'up' : 'down';
      if (s.state !== next) Object.assign(s, { state: next, since: clock.now() });
      s.detail = up === 'down' ? detail : undefined;
    },
  };
}
