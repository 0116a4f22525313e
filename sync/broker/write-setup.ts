/**
 * Writes the broker setup to a folder (the `broker-setup` command of sync/hq/cli.ts):
 *   {out}/mosquitto.conf              run with `mosquitto -c {out}/mosquitto.conf`
 *   {out}/dynamic-security.json       identities and ACLs (mosquitto rewrites it on admin changes)
 *   {out}/credentials/{username}      one password per identity (mode 0600), handed to that
 *                                     gateway (`sync.username`, `sync.passwordFile`) or HQ process
 *   {out}/data/                       mosquitto's persistence
 * A password file that exists is kept, so running the command again for a new store does not
 * rotate everyone else's. Delete a file to rotate that identity's password.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { check, describeProblems } from '../schemas/check';
import {
  buildDynsec,
  buildMosquittoConf,
  checkSetup,
  gatewayClientId,
  gatewayUsername,
  ingestClientId,
  DEFAULT_INGEST_CONNECTIONS,
  usernamesOf,
  type BrokerSetupInput,
  type ListenerOptions,
} from './mosquitto-setup';

/** The input file (YAML or JSON). */
export const BrokerSetupFile = Type.Object(
  {
    gateways: Type.Array(Type.Object({ store: Type.String(), gateway: Type.String() }, { additionalProperties: false }), { minItems: 1 }),
    ingest: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    control: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    groups: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    ingestConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  },
  { additionalProperties: false },
);

export interface WrittenSetup {
  dir: string;
  conf: string;
  gateways: { store: string; gateway: string; username: string; clientId: string; passwordFile: string }[];
  /** An ingest identity's connections log in as `{username}`, `{username}.c1`, ... with client ids `{clientId}`, `{clientId}-c1`, ... (ingest `--bound-identity`). */
  hq: { role: 'ingest' | 'control'; username: string; passwordFile: string; clientId?: string; connections?: number }[];
}

export function parseSetupFile(doc: unknown): BrokerSetupInput {
  const r = check(BrokerSetupFile, doc, 10);
  if (!r.ok) throw new Error(`broker setup file: ${describeProblems(r.problems)}`);
  const problems = checkSetup(r.value);
  if (problems.length) throw new Error(`broker setup file: ${problems.join('; ')}`);
  return r.value;
}

export function writeBrokerSetup(input: BrokerSetupInput, o: { out: string; listener: ListenerOptions; pluginPath?: string; runAs?: string }): WrittenSetup {
  const dir = resolve(o.out);
  const creds = join(dir, 'credentials');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(creds, { recursive: true, mode: 0o700 });
  const names = usernamesOf(input);
  const passwords: Record<string, string> = {};
  for (const u of [...names.gateways, ...names.ingest, ...names.control]) {
    const f = join(creds, u);
    if (!existsSync(f)) writeFileSync(f, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
    chmodSync(f, 0o600);
    passwords[u] = readFileSync(f, 'utf8').trim();
  }
  const dynsecFile = join(dir, 'dynamic-security.json');
  writeFileSync(dynsecFile, JSON.stringify(buildDynsec(input, passwords), null, 2), { mode: 0o600 });
  const conf = join(dir, 'mosquitto.conf');
  // `user`: started as root, mosquitto drops to this user (default `mosquitto`), who must own the folder.
  const extra = o.runAs ? [`user ${o.runAs}`] : [];
  writeFileSync(
    conf,
    buildMosquittoConf({ listener: o.listener, persistenceDir: join(dir, 'data'), dynsecFile, extra, ...(o.pluginPath ? { pluginPath: o.pluginPath } : {}) }),
  );
  return {
    dir,
    conf,
    gateways: input.gateways.map((g) => ({ ...g, username: gatewayUsername(g), clientId: gatewayClientId(g), passwordFile: join(creds, gatewayUsername(g)) })),
    hq: [
      ...names.ingest.map((u) => ({
        role: 'ingest' as const,
        username: u,
        passwordFile: join(creds, u),
        clientId: ingestClientId(u),
        connections: input.ingestConnections ?? DEFAULT_INGEST_CONNECTIONS,
      })),
      ...names.control.map((u) => ({ role: 'control' as const, username: u, passwordFile: join(creds, u) })),
    ],
  };
}
