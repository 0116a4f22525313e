/**
 * Health is per device (STYLE.md §12): store IT must see which lane, reader, scanner or
 * broker is down, since when and why. Subsystems added later (cards, BLE, sync) add entries.
 */
import type { LinkHealth } from './pos-link';

export type DeviceState = 'up' | 'down' | 'connecting' | 'stopped' | 'disabled';

export interface DeviceHealth {
  name: string;
  kind: string;
  state: DeviceState;
  since?: number;
  detail?: string;
}

export interface GatewayHealth {
  status: 'ok' | 'degraded' | 'down';
  /** Needed devices (config `health.needed`) that are not up: why the status is `down`. */
  neededDown?: string[];
  store: string;
  gateway: string;
  startedAt: number;
  database: DeviceHealth;
  lanes: LinkHealth[];
  devices: DeviceHealth[];
}
