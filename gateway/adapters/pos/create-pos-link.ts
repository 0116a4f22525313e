/**
 * Picks the PosLink for a configured lane (STYLE.md §7: the serial adapter loads the native
 * `serialport` module only when it first opens a port).
 */
import type { LaneConfig } from '../../config/schema';
import type { Clock } from '../../ports/clock';
import type { PosLink } from '../../ports/pos-link';
import type { PosLinkOptions } from './link-runner';
import type { LinkLogger, Timers } from './link-types';
import { SerialPosLink } from './serial-pos-link';
import { TcpPosLink } from './tcp-pos-link';

export interface PosLinkDeps extends Partial<Omit<PosLinkOptions, 'lane' | 'logger' | 'clock'>> {
  logger: LinkLogger;
  clock: Clock;
  timers?: Timers;
}

export function createPosLink(lane: LaneConfig, deps: PosLinkDeps): PosLink {
  const opts: PosLinkOptions = { ...deps, lane: lane.id };
  switch (lane.transport) {
    case 'serial':
      return new SerialPosLink({ ...opts, path: lane.path, baudRate: lane.baudRate });
    case 'tcp':
      return new TcpPosLink({ ...opts, mode: lane.mode, host: lane.host, port: lane.port });
  }
}
