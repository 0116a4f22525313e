/**
 * Picks the BLE scanner adapter by config (STYLE.md §7): `noble` forks one worker per
 * controller (noble and its native socket load only in the workers); `simulated` takes
 * adverts pushed in-process (the demo). Nothing native is loaded in this process either way.
 */
import type { Logger } from 'pino';
import type { BleScanners, ScannerSpec } from '../../ports/ble-scanner';
import type { Clock } from '../../ports/clock';
import { createInProcessScanners, type InProcessBleScanners } from './in-process-scanners';
import { createNobleScanners, type NobleBleScanners } from './noble-scanners';

export interface BleScannersConfig {
  driver: 'noble' | 'simulated';
  scanners: readonly ScannerSpec[];
  accept: readonly string[];
  retryMinMs: number;
  retryMaxMs: number;
  startTimeoutMs: number;
}

export function createBleScanners(
  cfg: BleScannersConfig,
  deps: { clock: Clock; logger: Logger },
): (BleScanners & { kind: 'noble'; noble: NobleBleScanners }) | (BleScanners & { kind: 'simulated'; sim: InProcessBleScanners }) {
  if (cfg.driver === 'simulated') {
    const sim = createInProcessScanners(cfg.scanners, deps.clock, deps.logger);
    return { ...sim, kind: 'simulated', sim };
  }
  const noble = createNobleScanners({
    scanners: cfg.scanners,
    accept: cfg.accept,
    clock: deps.clock,
    logger: deps.logger,
    retryMinMs: cfg.retryMinMs,
    retryMaxMs: cfg.retryMaxMs,
    startTimeoutMs: cfg.startTimeoutMs,
  });
  return { ...noble, kind: 'noble', noble };
}
