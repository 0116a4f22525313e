/**
 * From `presence:` config to what the engine and the scanners take (plain values; the core
 * never reads config).
 */
import { Value } from '@sinclair/typebox/value';
import { PresenceConfig, presenceCrossChecks, zoneIds, zoneParams } from '../../config/presence-schema';
import { firstProblem, formatProblem } from '../../config/explain';
import type { EngineParams, FingerprintParams } from '../../core/presence/params';
import type { TokenEntry } from '../../core/presence/token';
import { IBEACON_PREFIX, uuidBytes } from '../../core/presence/ibeacon';
import type { ScannerSpec } from '../../ports/ble-scanner';

/** `fingerprint`: the radio map `presence.radioMap` names, read by config/radio-map-file.ts. */
export function engineParams(p: PresenceConfig, fingerprint?: FingerprintParams): EngineParams {
  return {
    programUuid: p.programUuid,
    zones: zoneIds(p).map((id) => ({ id, params: zoneParams(p, id) })),
    scanners: p.scanners.map((s) => ({ name: s.name, zone: s.zone, offsetDb: s.offsetDb })),
    tags: p.tags.map((t) => ({ id: t.id, uuid: t.uuid ?? p.programUuid, major: t.major, minor: t.minor })),
    combine: p.combine,
    visitEndMs: p.visitEndMs,
    maxTracked: p.maxTracked,
    maxAnonymous: p.maxAnonymous,
    anonymousWindowMs: p.anonymousWindowMs,
    maxSamples: 48,
    motion: { ...p.motion },
    ...(fingerprint && { fingerprint }),
  };
}

export function tokenEntries(p: PresenceConfig): TokenEntry[] {
  return p.tokens.map((t) => ({ member: t.member, epoch: t.epoch, token: parseInt(t.token, 16) >>> 0 }));
}

export function scannerSpecs(p: PresenceConfig): ScannerSpec[] {
  return p.scanners.map((s) => ({
    name: s.name,
    zone: s.zone,
    transport: s.port !== undefined ? { kind: 'uart', path: s.port, baudRate: s.baudRate } : { kind: 'hci', deviceId: s.hciDevice ?? 0 },
  }));
}

/**
 * Manufacturer-data prefixes the scanner workers pass on: iBeacons with the program UUID or
 * a tag's UUID. Everything else is dropped in the worker, before it reaches this process.
 */
export function acceptPrefixes(p: PresenceConfig): string[] {
  const uuids = new Set([p.programUuid, ...p.tags.map((t) => t.uuid ?? p.programUuid)].map((u) => u.replace(/-/g, '').toLowerCase()));
  const head = Buffer.from(IBEACON_PREFIX).toString('hex');
  return [...uuids].map((u) => head + Buffer.from(uuidBytes(u)).toString('hex'));
}

/**
 * A presence config from a partial one: defaults filled, validated, cross-checked. For
 * tests, benchmarks and the demo; the gateway gets its config from config/load.ts.
 */
export function presenceConfigFrom(raw: unknown): PresenceConfig {
  const withDefaults = Value.Default(PresenceConfig, structuredClone(raw ?? {})) as PresenceConfig;
  const problem = firstProblem(PresenceConfig, withDefaults) ?? presenceCrossChecks(withDefaults);
  if (problem) throw new Error(formatProblem(problem));
  return withDefaults;
}
