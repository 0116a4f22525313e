/**
 * Publishes an HQ segment to stores as an offer audience (issue 17): one `set-segment`
 * command per gateway (all that HQ knows, or those of the stores named), tag `hq-<segment>`.
 * The gateway answers with trouw.command.applied.v1 (tagged, untagged, skipped).
 */
import type { BrokerLink } from '../gateway/broker-link';
import { sendCommand } from './control';
import type { HqStore } from './store';

export function createSegmentPublisher(link: () => Promise<BrokerLink>, store: HqStore) {
  return async (segment: string, members: string[], stores: string[] | undefined) => {
    const only = stores ? new Set(stores) : undefined;
    const targets = (await store.gateways()).filter((g) => !only || only.has(g.store));
    const l = await link();
    for (const g of targets) {
      const r = await sendCommand(l, { store: g.store, gateway: g.gateway }, 'set-segment', { segment: `hq-${segment}`, members });
      if (!r.ok) throw new Error(r.error);
    }
    return { stores: [...new Set(targets.map((g) => g.store))], members: members.length };
  };
}
