import type { GatewayConfig } from '../config/schema';
import type { DeviceHealth, GatewayHealth } from '../ports/health';
import type { LinkHealth } from '../ports/pos-link';

/**
 * Overall status: `down` when the ledger is unusable (nothing can be awarded), `degraded`
 * when any configured device is not up, else `ok`.
 */
export function summariseHealth(input: {
  config: Readonly<GatewayConfig>;
  startedAt: number;
  database: DeviceHealth;
  lanes: LinkHealth[];
  devices?: DeviceHealth[];
}): GatewayHealth {
  const devices = input.devices ?? [];
  const anyDown = input.lanes.some((l) => l.state !== 'up') || devices.some((d) => d.state !== 'up' && d.state !== 'disabled');
  return {
    status: input.database.state !== 'up' ? 'down' : anyDown ? 'degraded' : 'ok',
    store: input.config.store.id,
    gateway: input.config.store.gateway,
    startedAt: input.startedAt,
    database: input.database,
    lanes: input.lanes,
    devices,
  };
}
