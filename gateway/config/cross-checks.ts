/** Rules a JSON Schema cannot say: uniqueness, ordering between fields, a real time zone. */
import type { GatewayConfig } from './schema';
import type { ConfigProblem } from './explain';
import { programProblems } from './loyalty-program-schema';
import { offersProblems } from './offers-schema';
import { presenceCrossChecks } from './presence-schema';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function crossChecks(c: GatewayConfig): ConfigProblem | undefined {
  if (!isTimeZone(c.store.timeZone)) {
    return { key: 'store.timeZone', value: c.store.timeZone, expected: 'an IANA time zone such as "Europe/Amsterdam"' };
  }
  const seen = new Set<string>();
  for (const [i, lane] of c.lanes.entries()) {
    if (seen.has(lane.id)) return { key: `lanes.${i}.id`, value: lane.id, expected: 'a lane id not used by another lane' };
    seen.add(lane.id);
  }
  const endpoints = new Set<string>();
  for (const [i, lane] of c.lanes.entries()) {
    const ep = lane.transport === 'serial' ? lane.path : `${lane.mode}:${lane.host}:${lane.port}`;
    if (endpoints.has(ep)) return { key: `lanes.${i}`, value: ep, expected: 'a port not used by another lane' };
    endpoints.add(ep);
  }
  if (c.till.reconnectMinMs > c.till.reconnectMaxMs) {
    return { key: 'till.reconnectMinMs', value: c.till.reconnectMinMs, expected: `<= till.reconnectMaxMs (${c.till.reconnectMaxMs})` };
  }
  for (const [i, p] of c.loyalty.promotions.entries()) {
    if (p.from > p.to) return { key: `loyalty.promotions.${i}.to`, value: p.to, expected: `a date on or after "from" (${p.from})` };
  }
  const numbers = new Set<string>();
  for (const [i, m] of c.members.entries()) {
    if (numbers.has(m.number)) return { key: `members.${i}.number`, value: m.number, expected: 'a member number not used twice' };
    numbers.add(m.number);
  }
  return presenceCrossChecks(c.presence) ?? programProblems(c.program)[0] ?? offersProblems(c.offers)[0];
}
