/**
 * Owns the till lanes: one PosLink per configured lane, all feeding the same till service.
 * Shutdown stops every lane in parallel; each finishes and answers its request in hand.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/schema';
import type { Clock } from '../../ports/clock';
import type { LinkHealth, PosLink, TillBodyHandler } from '../../ports/pos-link';
import { createPosLink } from '../../adapters/pos/create-pos-link';

export interface Lanes {
  start(handler: TillBodyHandler): void;
  stop(): Promise<void>;
  health(): LinkHealth[];
}

export function createLanes(config: Readonly<GatewayConfig>, deps: { logger: Logger; clock: Clock }): Lanes {
  const links: PosLink[] = config.lanes.map((lane) =>
    createPosLink(lane, {
      // The link adds `lane` to its own log lines.
      logger: deps.logger,
      clock: deps.clock,
      reconnectMinMs: config.till.reconnectMinMs,
      reconnectMaxMs: config.till.reconnectMaxMs,
    }),
  );
  return {
    start: (handler) => links.forEach((l) => l.start(handler)),
    stop: async () => {
      await Promise.all(links.map((l) => l.stop()));
    },
    health: () => links.map((l) => l.health()),
  };
}
