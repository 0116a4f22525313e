/**
 * Renders docs/asyncapi.yaml (AsyncAPI 3.0) from the event registry and the downlink schemas,
 * so the document cannot drift from what the code validates:
 *   tsx sync/schemas/asyncapi.ts > docs/asyncapi.yaml
 * test/integration/sync-asyncapi.test.ts checks the committed file equals this output and
 * that @asyncapi/parser accepts it.
 */
import { stringify } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import { CloudEvent, HQ_SOURCE, STORE_SOURCE_PATTERN } from '../envelope/cloudevent';
import { eventDefinition, eventTypes } from './catalogue';
import { CONFIG_EVENT_TYPE, StoreConfig, commandEventType, commandSchemas } from './downlink';
import { EventAck } from './ack';

/** Plain JSON Schema: TypeBox's symbols dropped, `$id`s removed. */
const plain = (s: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(s)) as Record<string, unknown>;

function envelopeFor(type: string, data: TSchema, source: { pattern?: string; const?: string }, description: string) {
  const base = plain(CloudEvent) as { properties: Record<string, unknown>; required: string[] };
  return {
    type: 'object',
    description,
    additionalProperties: true,
    required: [...new Set([...base.required, 'data'])],
    properties: {
      ...base.properties,
      source: { type: 'string', ...source },
      type: { type: 'string', const: type },
      data: plain(data),
    },
  };
}

const key = (type: string) =>
  type
    .replace(/^trouw\./, '')
    .replace(/\.v(\d+)$/, 'V$1')
    .replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase());

const params = {
  store: { description: "Store id (`^[a-z0-9][a-z0-9-]*$`); the broker ACL ties a store's credentials to it." },
  gateway: { description: 'Gateway id within the store.' },
};

export function buildAsyncApi(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const qos1 = { mqtt: { qos: 1, retain: false, bindingVersion: '0.2.0' } };

  for (const type of eventTypes()) {
    const def = eventDefinition(type)!;
    const k = key(type);
    messages[k] = {
      name: type,
      title: type,
      summary: def.summary,
      contentType: 'application/json',
      payload: envelopeFor(type, def.data, { pattern: STORE_SOURCE_PATTERN }, `CloudEvents 1.0 structured JSON; outbox priority ${def.priority}.`),
    };
    channels[k] = {
      address: `trouw/v1/{store}/{gateway}/evt/${type}`,
      title: type,
      description: 'Up: gateway → HQ, QoS 1, in order per gateway. HQ ingest subscribes to `$share/hq/trouw/v1/+/+/evt/#` and inserts by (source, id).',
      parameters: params,
      messages: { [k]: { $ref: `#/components/messages/${k}` } },
    };
    operations[`send_${k}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${k}` },
      summary: `The gateway's outbox publisher sends ${type}.`,
      bindings: qos1,
      messages: [{ $ref: `#/channels/${k}/messages/${k}` }],
    };
  }

  messages.status = {
    name: 'status',
    title: 'Gateway status',
    summary: 'Retained `online` on every connect; the will (retained) says `offline`.',
    contentType: 'text/plain',
    payload: { type: 'string', enum: ['online', 'offline'] },
  };
  channels.status = {
    address: 'trouw/v1/{store}/{gateway}/status',
    description: 'Up, retained.',
    parameters: params,
    messages: { status: { $ref: '#/components/messages/status' } },
  };
  operations.send_status = {
    action: 'send',
    channel: { $ref: '#/channels/status' },
    bindings: { mqtt: { qos: 1, retain: true, bindingVersion: '0.2.0' } },
    messages: [{ $ref: '#/channels/status/messages/status' }],
  };

  messages.configPublished = {
    name: CONFIG_EVENT_TYPE,
    title: 'Store config',
    summary:
      'Versioned store config from HQ. The gateway applies it only if valid and newer; else it keeps its running one and sends trouw.config.rejected.v1.',
    contentType: 'application/json',
    payload: envelopeFor(CONFIG_EVENT_TYPE, StoreConfig, { const: HQ_SOURCE }, 'CloudEvents 1.0 from HQ; data.version increases with every publish.'),
  };
  channels.config = {
    address: 'trouw/v1/{store}/{gateway}/cfg',
    description: 'Down, retained, QoS 1.',
    parameters: params,
    messages: { configPublished: { $ref: '#/components/messages/configPublished' } },
  };
  operations.receive_config = {
    action: 'receive',
    channel: { $ref: '#/channels/config' },
    bindings: { mqtt: { qos: 1, retain: true, bindingVersion: '0.2.0' } },
    messages: [{ $ref: '#/channels/config/messages/configPublished' }],
  };

  messages.eventAck = {
    name: 'ack',
    title: "HQ's end-to-end acknowledgement",
    summary:
      'Sent by the HQ ingest process that stored the events, after its commit: the ids it holds (new or copies) and those it refused for good (dead-lettered). Only this deletes an outbox row; a PUBACK only frees the in-flight window. Rows not acknowledged within hqAckTimeoutMs are sent again with the same id (docs/sync.md, "End-to-end acknowledgement").',
    contentType: 'application/json',
    payload: plain(EventAck),
  };
  channels.ack = {
    address: 'trouw/v1/{store}/{gateway}/ack',
    description: "Down, QoS 1, not retained; queued in the gateway's persistent session while it is offline. Only HQ ingest identities may publish here.",
    parameters: params,
    messages: { eventAck: { $ref: '#/components/messages/eventAck' } },
  };
  operations.receive_ack = {
    action: 'receive',
    channel: { $ref: '#/channels/ack' },
    bindings: qos1,
    messages: [{ $ref: '#/channels/ack/messages/eventAck' }],
  };

  for (const [name, schema] of Object.entries(commandSchemas)) {
    const k = `command${name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase())}`;
    messages[k] = {
      name: commandEventType(name),
      title: `Command ${name}`,
      summary: 'The CloudEvents id is the command id: a replay with the same id is applied once. The outcome comes back as trouw.command.applied.v1.',
      contentType: 'application/json',
      payload: envelopeFor(commandEventType(name), schema, { const: HQ_SOURCE }, `Command ${name} from HQ.`),
    };
    channels[k] = {
      address: `trouw/v1/{store}/{gateway}/cmd/${name}`,
      description: "Down, QoS 1; queued by the broker in the gateway's persistent session while the store is offline.",
      parameters: params,
      messages: { [k]: { $ref: `#/components/messages/${k}` } },
    };
    operations[`receive_${k}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${k}` },
      bindings: qos1,
      messages: [{ $ref: `#/channels/${k}/messages/${k}` }],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Trouw store gateway ↔ HQ sync',
      version: '1.0.0',
      description: [
        'MQTT topics between a store gateway and HQ (DESIGN.md §8, docs/sync.md). Written from the',
        "gateway's side: it sends events and its status, and receives config, commands and HQ's",
        'end-to-end acknowledgements (a row leaves the outbox only on those, never on a PUBACK).',
        'Generated from sync/schemas by `tsx sync/schemas/asyncapi.ts`; do not edit by hand.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      production: {
        host: 'broker.example.com:8883',
        protocol: 'secure-mqtt',
        protocolVersion: '5',
        description: 'A clustered broker (EMQX, HiveMQ, or mosquitto bridges) with shared subscriptions; TLS; per-store credentials and ACLs.',
        security: [{ $ref: '#/components/securitySchemes/storeCredentials' }],
        bindings: { mqtt: { cleanSession: false, keepAlive: 30, sessionExpiryInterval: 1_209_600, bindingVersion: '0.2.0' } },
      },
      demo: {
        host: '127.0.0.1:1883',
        protocol: 'mqtt',
        protocolVersion: '3.1.1',
        description: 'The embedded aedes broker of `npm start` (MQTT 3.1.1, no shared subscriptions).',
      },
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        storeCredentials: {
          type: 'userPassword',
          description:
            'One identity per gateway: username `{store}.{gateway}`, client id bound to `trouw-{store}-{gateway}`; it may publish only its own evt/# and status and subscribe only to its own cfg, cmd/+ and ack (sync/broker/mosquitto-setup.ts, docs/sync.md "Brokers").',
        },
      },
    },
  };
}

export const renderAsyncApi = (): string =>
  `# Generated by \`tsx sync/schemas/asyncapi.ts > docs/asyncapi.yaml\` from sync/schemas. Do not edit.\n${stringify(buildAsyncApi(), { lineWidth: 0, aliasDuplicateObjects: false })}`;

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(renderAsyncApi());
