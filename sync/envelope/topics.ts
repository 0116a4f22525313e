/**
 * MQTT topic layout (DESIGN.md §8). Every topic is versioned (`trouw/v1`) and names the store
 * and the gateway, so the broker's ACL can confine a store's credentials to its own subtree.
 *
 *   trouw/v1/{store}/{gateway}/evt/{type}   up     CloudEvents, QoS 1
 *   trouw/v1/{store}/{gateway}/status       up     retained `online`; will `offline`
 *   trouw/v1/{store}/{gateway}/cfg          down   retained, versioned store config
 *   trouw/v1/{store}/{gateway}/cmd/{name}   down   commands, QoS 1
 *   trouw/v1/{store}/{gateway}/ack          down   HQ's end-to-end acknowledgements, QoS 1
 */
export const TOPIC_ROOT = 'trouw/v1';

/** Store and gateway ids: the same pattern as the gateway config (no `/`, `+`, `#`). */
export const SEGMENT_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
const segment = new RegExp(SEGMENT_PATTERN);
/** Event types: `trouw.{noun}.{verb}.v{n}` (DESIGN.md §8). */
export const EVENT_TYPE_PATTERN = '^trouw\\.[a-z][a-z0-9-]*\\.[a-z][a-z0-9-]*\\.v[1-9][0-9]*$';
const eventType = new RegExp(EVENT_TYPE_PATTERN);
/** Command names: `erase-member`, `adjust-points`, ... */
export const COMMAND_NAME_PATTERN = '^[a-z][a-z0-9-]{0,63}$';
const commandName = new RegExp(COMMAND_NAME_PATTERN);

export interface GatewayAddress {
  store: string;
  gateway: string;
}

export const isSegment = (s: string): boolean => segment.test(s);
export const isEventType = (s: string): boolean => eventType.test(s);
export const isCommandName = (s: string): boolean => commandName.test(s);

function base(a: GatewayAddress): string {
  if (!isSegment(a.store)) throw new TypeError(`invalid store id for a topic: ${JSON.stringify(a.store)}`);
  if (!isSegment(a.gateway)) throw new TypeError(`invalid gateway id for a topic: ${JSON.stringify(a.gateway)}`);
  return `${TOPIC_ROOT}/${a.store}/${a.gateway}`;
}

export const eventTopic = (a: GatewayAddress, type: string): string => {
  if (!isEventType(type)) throw new TypeError(`invalid event type: ${JSON.stringify(type)}`);
  return `${base(a)}/evt/${type}`;
};
export const statusTopic = (a: GatewayAddress): string => `${base(a)}/status`;
export const configTopic = (a: GatewayAddress): string => `${base(a)}/cfg`;
export const commandTopic = (a: GatewayAddress, name: string): string => {
  if (!isCommandName(name)) throw new TypeError(`invalid command name: ${JSON.stringify(name)}`);
  return `${base(a)}/cmd/${name}`;
};
/** HQ's ingest tells the gateway here which events it has stored (docs/sync.md, "End-to-end acknowledgement"). */
export const ackTopic = (a: GatewayAddress): string => `${base(a)}/ack`;
/** What a gateway subscribes to: its own config, commands and HQ's acknowledgements. */
export const downlinkFilters = (a: GatewayAddress): string[] => [configTopic(a), `${base(a)}/cmd/+`, ackTopic(a)];

/** Every store's events; HQ ingest subscribes to it inside a shared group. */
export const ALL_EVENTS_FILTER = `${TOPIC_ROOT}/+/+/evt/#`;
export const ALL_STATUS_FILTER = `${TOPIC_ROOT}/+/+/status`;
export const sharedFilter = (group: string, filter: string): string => `$share/${group}/${filter}`;

export type ParsedTopic =
  | ({ kind: 'evt'; type: string } & GatewayAddress)
  | ({ kind: 'status' } & GatewayAddress)
  | ({ kind: 'cfg' } & GatewayAddress)
  | ({ kind: 'ack' } & GatewayAddress)
  | ({ kind: 'cmd'; name: string } & GatewayAddress);

/** Parses a concrete topic; undefined for anything outside the layout. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts.length < 5 || parts[0] !== 'trouw' || parts[1] !== 'v1') return undefined;
  const [, , store, gateway, kind, rest, ...extra] = parts as [string, string, string, string, string, string | undefined, ...string[]];
  if (!isSegment(store) || !isSegment(gateway) || extra.length > 0) return undefined;
  if (kind === 'evt' && rest !== undefined && isEventType(rest)) return { kind, store, gateway, type: rest };
  if (kind === 'cmd' && rest !== undefined && isCommandName(rest)) return { kind, store, gateway, name: rest };
  if ((kind === 'status' || kind === 'cfg' || kind === 'ack') && rest === undefined) return { kind, store, gateway };
  return undefined;
}
