/**
 * The broker setup Trouw ships (issue 13, DESIGN.md §8 revised): a mosquitto 2.0 config and
 * its dynamic-security file for a list of stores' gateways and HQ's identities, so the
 * security of the sync does not rest on a snippet copied from the docs.
 *
 * Why the dynamic-security plugin and not `acl_file`: mosquitto 2.0's acl_file grants every
 * SUBSCRIBE and filters only at delivery, so a store's credentials could join HQ's shared
 * group (`$share/hq/…`), take their round-robin share of every store's events and have the
 * broker drop it (issue 13, attack 2). The plugin checks subscriptions when they are made
 * (SUBACK 0x87) and binds a client id to a username, so one store cannot take over another
 * store's (or HQ's) persistent session with a chosen client id (attack 3).
 *
 * - Each gateway: its own username `{store}.{gateway}` and its client id bound to
 *   `trouw-{store}-{gateway}` (the gateway's default). It may publish only its own `evt/#`
 *   and `status`, subscribe to exactly its own `cfg`, `cmd/+` and `ack`, and receive nothing
 *   else. No gateway can subscribe to any `evt` topic or `$share/…` filter.
 * - HQ ingest identities: subscribe to the events (plain or in the named shared groups) and
 *   statuses, publish only acks. They cannot publish config or commands. An ingest process
 *   opens `ingestConnections` (8) connections, each with its own persistent session, and
 *   the plugin binds one client id per username: so each connection is its own username
 *   (`{name}`, `{name}.c1`, ...; one password for all of them) bound to its client id
 *   (`trouw-{name}`, `trouw-{name}-c1`, ...: the ingest's own naming, startIngest's
 *   `boundIdentity`). Without the binding HQ's control identity, or a second ingest with a
 *   stolen password, could connect with an ingest's client id and wipe its session (and
 *   with it the share of the events the broker queues for it).
 * - HQ control identities (publish-config, send-command, settlement): publish `cfg` and
 *   `cmd`, read back `cfg`; they cannot read events nor acknowledge them.
 * Everything not granted is denied (`defaultACLAccess` all false but unsubscribe).
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { isSegment } from '../envelope/topics';

export interface GatewayIdentity {
  store: string;
  gateway: string;
}

export interface BrokerSetupInput {
  gateways: GatewayIdentity[];
  /** HQ ingest usernames (default `hq-ingest`). */
  ingest?: string[];
  /** HQ control usernames: commands and config (default `hq-control`). */
  control?: string[];
  /** Shared subscription groups the ingest identities may join (default `hq`). */
  groups?: string[];
  /** MQTT connections of each ingest identity (the ingest's `--connections`, default 8). */
  ingestConnections?: number;
}

export const DEFAULT_INGEST_CONNECTIONS = 8;

export interface ListenerOptions {
  port: number;
  host?: string;
  /** PEM paths; with them the listener speaks TLS (mqtts). */
  tls?: { certFile: string; keyFile: string; caFile?: string; requireCertificate?: boolean };
}

export interface MosquittoConfOptions {
  listener: ListenerOptions;
  /** Where mosquitto keeps its persistence file. */
  persistenceDir: string;
  /** The dynamic-security file (mosquitto must be able to write it). */
  dynsecFile: string;
  pluginPath?: string;
  maxInflight?: number;
  maxQueued?: number;
  /** How often the in-memory state is written (default 60 s; it is written at a clean stop too). */
  autosaveSeconds?: number;
  /** Extra lines (log settings, `user`...). */
  extra?: string[];
}

export const DEFAULT_DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

export const gatewayUsername = (g: GatewayIdentity): string => `${g.store}.${g.gateway}`;
export const gatewayClientId = (g: GatewayIdentity): string => `trouw-${g.store}-${g.gateway}`;
/** Connection `i` of an HQ ingest identity: its username (the identity's password) and the client id bound to it. */
export const ingestUsername = (name: string, i: number): string => (i === 0 ? name : `${name}.c${i}`);
export const ingestClientId = (name: string, i = 0): string => (i === 0 ? `trouw-${name}` : `trouw-${name}-c${i}`);

type Acl = {
  acltype: 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern' | 'unsubscribePattern';
  topic: string;
  allow: boolean;
  priority?: number;
};

const allow = (acltype: Acl['acltype'], topic: string): Acl => ({ acltype, topic, allow: true });

/** mosquitto's dynamic-security password: PBKDF2-SHA512, 101 iterations, base64 (as `mosquitto_ctrl` writes it). */
export function dynsecPassword(password: string, salt = randomBytes(12)) {
  return { password: pbkdf2Sync(password, salt, 101, 64, 'sha512').toString('base64'), salt: salt.toString('base64'), iterations: 101 };
}

export function usernamesOf(input: BrokerSetupInput): { gateways: string[]; ingest: string[]; control: string[] } {
  return { gateways: input.gateways.map(gatewayUsername), ingest: input.ingest ?? ['hq-ingest'], control: input.control ?? ['hq-control'] };
}

/** Problems with the input (bad ids, a username or client id twice); empty when fine. */
export function checkSetup(input: BrokerSetupInput): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const ids = new Set<string>();
  for (const g of input.gateways) {
    if (!isSegment(g.store) || !isSegment(g.gateway)) problems.push(`invalid store/gateway id ${JSON.stringify(g)}`);
    const u = gatewayUsername(g);
    const c = gatewayClientId(g);
    if (names.has(u)) problems.push(`gateway ${u} listed twice`);
    if (ids.has(c)) problems.push(`client id ${c} would be shared by two gateways (rename one)`);
    names.add(u);
    ids.add(c);
  }
  const u = usernamesOf(input);
  const connections = input.ingestConnections ?? DEFAULT_INGEST_CONNECTIONS;
  if (!Number.isInteger(connections) || connections < 1 || connections > 64) problems.push(`ingestConnections: expected 1–64, got ${connections}`);
  for (const n of [...u.ingest, ...u.control]) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(n)) problems.push(`invalid HQ username ${JSON.stringify(n)}`);
    if (names.has(n)) problems.push(`username ${n} used twice`);
    names.add(n);
  }
  for (const n of u.ingest) {
    for (let i = 1; i < connections; i++) {
      if (names.has(ingestUsername(n, i))) problems.push(`username ${ingestUsername(n, i)} used twice`);
      names.add(ingestUsername(n, i));
    }
    for (let i = 0; i < connections; i++) {
      if (ids.has(ingestClientId(n, i))) problems.push(`client id ${ingestClientId(n, i)} would be shared (rename an identity)`);
      ids.add(ingestClientId(n, i));
    }
  }
  for (const g of input.groups ?? ['hq']) if (!/^[A-Za-z0-9_-]{1,64}$/.test(g)) problems.push(`invalid group ${JSON.stringify(g)}`);
  return problems;
}

/** The dynamic-security document; `passwords` maps every username to its password. */
export function buildDynsec(input: BrokerSetupInput, passwords: Record<string, string>): Record<string, unknown> {
  const problems = checkSetup(input);
  if (problems.length) throw new Error(`broker setup: ${problems.join('; ')}`);
  const u = usernamesOf(input);
  const pw = (name: string) => {
    const p = passwords[name];
    if (!p) throw new Error(`broker setup: no password for ${name}`);
    return dynsecPassword(p);
  };
  const groups = input.groups ?? ['hq'];
  const roles: { rolename: string; acls: Acl[] }[] = [];
  const clients: Record<string, unknown>[] = [];

  for (const g of input.gateways) {
    const base = `trouw/v1/${g.store}/${g.gateway}`;
    const rolename = `gateway:${gatewayUsername(g)}`;
    roles.push({
      rolename,
      acls: [
        allow('publishClientSend', `${base}/evt/#`),
        allow('publishClientSend', `${base}/status`),
        allow('subscribeLiteral', `${base}/cfg`),
        allow('subscribeLiteral', `${base}/cmd/+`),
        allow('subscribeLiteral', `${base}/ack`),
        allow('publishClientReceive', `${base}/cfg`),
        allow('publishClientReceive', `${base}/cmd/#`),
        allow('publishClientReceive', `${base}/ack`),
      ],
    });
    clients.push({
      username: gatewayUsername(g),
      clientid: gatewayClientId(g),
      textName: `gateway ${g.gateway} of store ${g.store}`,
      ...pw(gatewayUsername(g)),
      roles: [{ rolename }],
    });
  }

  roles.push({
    rolename: 'hq-ingest',
    acls: [
      allow('subscribeLiteral', 'trouw/v1/+/+/evt/#'),
      ...groups.map((grp) => allow('subscribeLiteral', `$share/${grp}/trouw/v1/+/+/evt/#`)),
      allow('subscribeLiteral', 'trouw/v1/+/+/status'),
      allow('publishClientReceive', 'trouw/v1/+/+/evt/#'),
      allow('publishClientReceive', 'trouw/v1/+/+/status'),
      allow('publishClientSend', 'trouw/v1/+/+/ack'),
    ],
  });
  const connections = input.ingestConnections ?? DEFAULT_INGEST_CONNECTIONS;
  for (const n of u.ingest) {
    for (let i = 0; i < connections; i++) {
      clients.push({
        username: ingestUsername(n, i),
        clientid: ingestClientId(n, i),
        textName: `HQ ingest ${n}, connection ${i}`,
        ...pw(n),
        roles: [{ rolename: 'hq-ingest' }],
      });
    }
  }

  roles.push({
    rolename: 'hq-control',
    acls: [
      allow('publishClientSend', 'trouw/v1/+/+/cfg'),
      allow('publishClientSend', 'trouw/v1/+/+/cmd/#'),
      allow('subscribePattern', 'trouw/v1/+/+/cfg'),
      allow('publishClientReceive', 'trouw/v1/+/+/cfg'),
    ],
  });
  for (const n of u.control) clients.push({ username: n, textName: 'HQ control (config, commands)', ...pw(n), roles: [{ rolename: 'hq-control' }] });

  return {
    clients,
    roles,
    groups: [],
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
  };
}

export function buildMosquittoConf(o: MosquittoConfOptions): string {
  const l = o.listener;
  const lines = [
    '# Trouw MQTT broker (mosquitto 2.0), written by `tsx sync/hq/cli.ts broker-setup`. See docs/sync.md, "Brokers".',
    'per_listener_settings false',
    'allow_anonymous false',
    `plugin ${o.pluginPath ?? DEFAULT_DYNSEC_PLUGIN}`,
    `plugin_opt_config_file ${o.dynsecFile}`,
    `listener ${l.port}${l.host ? ` ${l.host}` : ''}`,
    ...(l.tls
      ? [
          `certfile ${l.tls.certFile}`,
          `keyfile ${l.tls.keyFile}`,
          ...(l.tls.caFile ? [`cafile ${l.tls.caFile}`] : []),
          ...(l.tls.requireCertificate ? ['require_certificate true'] : []),
        ]
      : []),
    // Persistent sessions and queued commands must survive a broker restart.
    'persistence true',
    `persistence_location ${o.persistenceDir.replace(/\/?$/, '/')}`,
    `autosave_interval ${o.autosaveSeconds ?? 60}`,
    // MQTT 3.1.1 clients have no session expiry of their own; MQTT 5 clients ask for theirs.
    'persistent_client_expiration 14d',
    `max_inflight_messages ${o.maxInflight ?? 100}`,
    // A store's events wait in its own outbox, not at the broker; this bounds what queues for an offline client.
    `max_queued_messages ${o.maxQueued ?? 100_000}`,
    ...(o.extra ?? []),
    '',
  ];
  return lines.join('\n');
}
