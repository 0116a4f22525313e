import type { GatewayConfig } from '../config/schema';
import type { DeviceHealth, GatewayHealth } from '../ports/health';
import type { LinkHealth } from '../ports/pos-link';

/**
 * Overall status: `down` when the ledger is unusable (nothing can be awarded) or a device
 * the config names as needed (`health.needed`, every lane by default) is not up; `degraded`
 * when any other configured device is not up; else `ok`. `down` is a 503 on /healthz.
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
  const needed = new Set(input.config.health.needed);
  const neededDown = [
    ...input.lanes.filter((l) => l.state !== 'up' && (needed.has('lanes') || needed.has(`lane:${l.lane}`))).map((l) => `lane:${l.lane}`),
    ...devices.filter((d) => d.state !== 'up' && d.state !== 'disabled' && (needed.has(d.name) || needed.has(`kind:${d.kind}`))).map((d) => d.name),
  ];
  return {
    status: input.database.state !== 'up' || neededDown.length > 0 ? 'down' : anyDown ? 'degraded' : 'ok',
    ...(neededDown.length > 0 && { neededDown }),
    store: input.config.store.id,
    gateway: input.config.store.gateway,
    startedAt: input.startedAt,
    database: input.database,
    lanes: input.lanes,
    devices,
  };
}
