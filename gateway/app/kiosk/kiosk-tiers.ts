/**
 * The kiosk's tier picture from the loyalty program (issue 6): the same tier the till
 * answers, the next tier's name and how many qualifying points are still needed.
 */
import type { Db } from '../../adapters/sqlite/open-database';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import type { Clock } from '../../ports/clock';
import type { KioskTiers } from './kiosk-view';
import { createMemberProgram } from '../loyalty/member-program';

export function kioskTiersFrom(deps: { db: Db; clock: Clock; timeZone: string; program: ProgramConfig }): KioskTiers {
  const program = createMemberProgram(deps);
  return (member) => {
    const status = program.tierStatus(member.number);
    if (!status) return { name: deps.program.tiers.levels[0]?.name ?? 'standard', progress: 1 };
    if (!status.next) return { name: status.tier.name, progress: 1 };
    const target = status.qualifying + status.next.needed;
    return {
      name: status.tier.name,
      next: { name: status.next.name, pointsToGo: status.next.needed },
      progress: target > 0 ? Math.min(1, status.qualifying / target) : 1,
    };
  };
}
