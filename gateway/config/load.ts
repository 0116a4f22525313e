/**
 * Loads, validates and freezes the gateway configuration.
 * Order: defaults ← config file (YAML or JSON) ← environment (TROUW_<SECTION>__<KEY>).
 * A value from the environment is parsed as JSON when it parses (numbers, booleans, arrays),
 * else taken as a string: TROUW_HTTP__PORT=8081, TROUW_LANES='[{"id":"l1",...}]'.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { GatewayConfig, SerialLaneConfig, TcpLaneConfig } from './schema';
import { firstProblem, formatProblem, type ConfigProblem } from './explain';
import { crossChecks } from './cross-checks';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  /** `message`: instead of the formatted problem (a problem inside a file the config names). */
  constructor(
    readonly problem: ConfigProblem | { key: string; value: unknown; expected: string },
    message?: string,
  ) {
    super(message ?? formatProblem(problem));
  }
}

const ENV_PREFIX = 'TROUW_';

export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError({ key: '(file)', value: path, expected: `a readable config file (${(e as NodeJS.ErrnoException).code})` });
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError({ key: '(file)', value: path, expected: `valid YAML or JSON: ${(e as Error).message.split('\n')[0]}` });
  }
}

function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function applyEnvOverrides(base: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = structuredClone(base);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || name === 'TROUW_CONFIG') continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__').map(camel);
    let node = out;
    for (const part of path.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = parseEnvValue(raw);
  }
  return out;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validates a raw config object; throws ConfigError naming the first bad key. */
export function validateConfig(raw: unknown): Readonly<GatewayConfig> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError({ key: '(root)', value: raw, expected: 'a mapping of sections (store, lanes, loyalty, ...)' });
  }
  const withDefaults = Value.Default(GatewayConfig, structuredClone(raw)) as Record<string, unknown>;
  // TypeBox does not fill defaults inside a union: fill each lane by its transport.
  if (Array.isArray(withDefaults.lanes)) {
    withDefaults.lanes = withDefaults.lanes.map((lane: { transport?: unknown }) =>
      lane?.transport === 'serial' ? Value.Default(SerialLaneConfig, lane) : lane?.transport === 'tcp' ? Value.Default(TcpLaneConfig, lane) : lane,
    );
  }
  const problem = firstProblem(GatewayConfig, withDefaults);
  if (problem) throw new ConfigError(problem);
  const config = withDefaults as GatewayConfig;
  const cross = crossChecks(config);
  if (cross) throw new ConfigError(cross);
  return deepFreeze(config);
}

/**
 * Paths written in the config file are relative to that file (the installer keeps the radio
 * map beside it); paths from the environment or `base` stay relative to the working directory.
 */
function resolveFilePaths(fromFile: Record<string, unknown>, file: string): Record<string, unknown> {
  const presence = fromFile.presence as { radioMap?: { file?: unknown } } | undefined;
  const mapFile = presence?.radioMap?.file;
  if (typeof mapFile !== 'string' || mapFile === '' || isAbsolute(mapFile)) return fromFile;
  const out = structuredClone(fromFile) as { presence: { radioMap: { file: string } } };
  out.presence.radioMap.file = resolve(dirname(resolve(file)), mapFile);
  return out;
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values under the file (the demo's embedded defaults). */
  base?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Readonly<GatewayConfig> {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.TROUW_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw new ConfigError({ key: '(file)', value: file, expected: 'a mapping at the top level' });
  }
  const merged = { ...(opts.base ?? {}), ...(file ? resolveFilePaths(fromFile as Record<string, unknown>, file) : (fromFile as Record<string, unknown>)) };
  return validateConfig(applyEnvOverrides(merged, env));
}
