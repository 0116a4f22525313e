/**
 * `presence:` in the gateway config (issue 4, DESIGN.md §3–§4). Every field has a default;
 * presence is off while no scanner is configured (health shows it `disabled`).
 *
 * Zone parameters are set once under `defaults` and may be overridden per zone under
 * `zones[]`. A scanner's zone need not be listed in `zones` (it then takes the defaults).
 * `tokens` is the table HQ will push (tokens of consenting members for epochs e−1…e+1);
 * until it does, it comes from here. Member keys are never configured on a gateway.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ConfigProblem } from './explain';
import { DEFAULT_FINGERPRINT, DEFAULT_FINGERPRINT_WINDOW_MS, DEFAULT_LEVEL_PER_MISFIT_DB } from '../core/presence/radio-map';
import { DEFAULT_MOTION } from '../core/presence/params';

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$', description: 'a UUID' });
const U16 = Type.Integer({ minimum: 0, maximum: 65535 });
/**
 * The per-zone parameters (DESIGN.md §4; defaults tuned with bench:presence-accuracy). Built
 * twice: with defaults for `defaults`, without for a zone's overrides (a default there would
 * override `defaults` with the built-in value).
 */
function zoneParamFields(withDefaults: boolean) {
  const d = (def: number) => (withDefaults ? { default: def } : {});
  const dbm = (def: number, description: string) => Type.Number({ minimum: -127, maximum: 20, ...d(def), description });
  const ms = (def: number, min: number, max: number, description: string) => Type.Integer({ minimum: min, maximum: max, ...d(def), description });
  return {
    windowMs: ms(5000, 500, 60_000, 'RSSI window per (device, scanner)'),
    fenceK: Type.Number({ minimum: 0, maximum: 10, ...d(1.5), description: 'Tukey fence factor of the robust mean' }),
    minSamples: Type.Integer({ minimum: 1, maximum: 100, ...d(2), description: 'samples a scanner needs in the window to count' }),
    enterLevelDbm: dbm(-90, 'a zone is entered only at or above this combined level'),
    enterTimeMs: ms(2000, 0, 600_000, 'held this long when entering from no zone'),
    switchMarginDb: Type.Number({
      minimum: 0,
      maximum: 60,
      ...d(4),
      description: 'a rival zone must lead the current one by more than this (dB) to take over',
    }),
    switchTimeMs: ms(3000, 0, 600_000, 'a rival leading by 1.5 margins takes over after this long; a bigger lead sooner'),
    exitLevelDbm: dbm(-95, 'below this (or not heard) the zone is left…'),
    exitTimeMs: ms(15_000, 0, 3_600_000, '…after this long'),
    absenceTimeoutMs: ms(30_000, 1000, 3_600_000, 'a device not heard at all this long has left its zone'),
  };
}
const PARAM_KEYS = Object.keys(zoneParamFields(true)) as Array<keyof ZoneParamValues>;
const Ms = (def: number, min: number, max: number, description: string) => Type.Integer({ minimum: min, maximum: max, default: def, description });

export const ZoneDefaultsConfig = Type.Object(zoneParamFields(true), { additionalProperties: false, default: {} });
export type ZoneDefaultsConfig = Static<typeof ZoneDefaultsConfig>;

export const PresenceZoneConfig = Type.Object(
  {
    id: Name,
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    ...Type.Partial(Type.Object(zoneParamFields(false))).properties,
  },
  { additionalProperties: false },
);
export type PresenceZoneConfig = Static<typeof PresenceZoneConfig>;

export const PresenceScannerConfig = Type.Object(
  {
    name: Name,
    zone: Name,
    /** H4 UART port of the controller (USB-CDC dongle, or a pty to the emulator). */
    port: Type.Optional(Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyACM0' })),
    baudRate: Type.Integer({ minimum: 9600, maximum: 4_000_000, default: 1_000_000 }),
    /** Kernel HCI device number (hciN) instead of a port, where the machine has Bluetooth. */
    hciDevice: Type.Optional(Type.Integer({ minimum: 0, maximum: 31 })),
    /** Calibration added to every RSSI this scanner reports (dB). */
    offsetDb: Type.Number({ minimum: -30, maximum: 30, default: 0 }),
  },
  { additionalProperties: false },
);
export type PresenceScannerConfig = Static<typeof PresenceScannerConfig>;

export const PresenceTagConfig = Type.Object(
  {
    id: Name,
    /** Default: the program UUID. */
    uuid: Type.Optional(Uuid),
    major: U16,
    minor: U16,
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const PresenceTokenConfig = Type.Object(
  {
    member: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9-]+$' }),
    epoch: Type.Integer({ minimum: 0 }),
    /** major‖minor as 8 hex digits. */
    token: Type.String({ pattern: '^[0-9a-fA-F]{8}$' }),
  },
  { additionalProperties: false },
);
export type PresenceTokenConfig = Static<typeof PresenceTokenConfig>;

/**
 * Zones by radio map (a calibration walk, docs/presence.md "Radio map") instead of by their
 * own scanners' levels. The file is read and checked against the scanners and zones at
 * start (config/radio-map-file.ts); a relative path is relative to the config file.
 */
export const PresenceRadioMapConfig = Type.Object(
  {
    file: Type.String({ minLength: 1, description: 'the path of a radio map JSON file (trouw-gateway radio-map)' }),
    /** A zone's misfit is the mean of its k best-fitting points. */
    k: Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_FINGERPRINT.k }),
    /** dB of zone level per dB (RMS) a zone fits worse than the best one. */
    levelPerMisfitDb: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: DEFAULT_LEVEL_PER_MISFIT_DB }),
    /** RSSI window while placing by the map (ms), instead of the zones' windowMs. */
    windowMs: Type.Integer({ minimum: 500, maximum: 60_000, default: DEFAULT_FINGERPRINT_WINDOW_MS }),
    /** Share of absolute loudness kept in the misfit (absent: DEFAULT_ABSOLUTE_WEIGHT, removed; 1: kept whole). */
    absoluteWeight: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export type PresenceRadioMapConfig = Static<typeof PresenceRadioMapConfig>;

/** Window and margin by how still a device stands (core/presence/params.ts MotionParams). */
export const PresenceMotionConfig = Type.Object(
  {
    stillWindowMs: Type.Integer({
      minimum: 0,
      maximum: 120_000,
      default: DEFAULT_MOTION.stillWindowMs,
      description: 'RSSI window once a device has stood still (ms); at or below windowMs: off',
    }),
    movingMarginFactor: Type.Number({
      minimum: 0,
      maximum: 1,
      default: DEFAULT_MOTION.movingMarginFactor,
      description: "share of a zone's switchMarginDb that applies while the device walks",
    }),
    settleMs: Type.Integer({ minimum: 100, maximum: 600_000, default: DEFAULT_MOTION.settleMs, description: 'stillness builds up over this long (ms)' }),
  },
  { additionalProperties: false, default: {} },
);
export type PresenceMotionConfig = Static<typeof PresenceMotionConfig>;

export const PresenceConfig = Type.Object(
  {
    /** Off: presence is not started even with scanners configured. */
    enabled: Type.Boolean({ default: true }),
    /** `noble`: real controllers (one worker process each); `simulated`: adverts pushed in-process (demo). */
    driver: Type.Union([Type.Literal('noble'), Type.Literal('simulated')], { default: 'noble' }),
    programUuid: Type.String({ ...Uuid, default: '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6' }),
    scanners: Type.Array(PresenceScannerConfig, { default: [] }),
    zones: Type.Array(PresenceZoneConfig, { default: [] }),
    defaults: ZoneDefaultsConfig,
    /** How a zone's scanners are combined: mean of their filtered levels, or the strongest. */
    combine: Type.Union([Type.Literal('mean'), Type.Literal('max')], { default: 'mean' }),
    /** Absent: each zone's level is its own scanners' (`combine`). */
    radioMap: Type.Optional(PresenceRadioMapConfig),
    motion: PresenceMotionConfig,
    visitEndMs: Ms(600_000, 10_000, 24 * 3_600_000, 'a visit ends after the member is unseen this long'),
    maxTracked: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 5000 }),
    maxAnonymous: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 5000 }),
    anonymousWindowMs: Ms(30_000, 1000, 3_600_000, 'an anonymous device counts this long after it was heard'),
    tags: Type.Array(PresenceTagConfig, { default: [] }),
    tokens: Type.Array(PresenceTokenConfig, { default: [] }),
    /** How often the zone state machines run. */
    evaluateIntervalMs: Ms(500, 50, 10_000, 'zone decisions are taken this often'),
    /** Presence detail (zone events, visits) older than this is deleted; daily aggregates stay. */
    retentionHours: Type.Number({ minimum: 0.01, maximum: 24 * 365, default: 24 }),
    purgeIntervalMs: Ms(600_000, 1000, 86_400_000, 'how often old presence detail is purged'),
    retryMinMs: Ms(1000, 10, 600_000, 'first retry of a scanner that is down'),
    retryMaxMs: Ms(30_000, 100, 3_600_000, 'longest wait between retries'),
    startTimeoutMs: Ms(15_000, 1000, 600_000, 'a controller that is not scanning this long after start is down'),
  },
  { additionalProperties: false, default: {} },
);
export type PresenceConfig = Static<typeof PresenceConfig>;

/** Rules the schema cannot say (call from config/cross-checks.ts). */
export function presenceCrossChecks(p: PresenceConfig, key = 'presence'): ConfigProblem | undefined {
  const names = new Set<string>();
  const ports = new Set<string>();
  for (const [i, s] of p.scanners.entries()) {
    if (names.has(s.name)) return { key: `${key}.scanners.${i}.name`, value: s.name, expected: 'a scanner name not used by another scanner' };
    names.add(s.name);
    if ((s.port === undefined) === (s.hciDevice === undefined)) {
      return { key: `${key}.scanners.${i}`, value: s.name, expected: 'exactly one of `port` (H4 UART) or `hciDevice` (kernel hciN)' };
    }
    const where = s.port ?? `hci${s.hciDevice}`;
    if (ports.has(where)) return { key: `${key}.scanners.${i}`, value: where, expected: 'a controller not used by another scanner' };
    ports.add(where);
  }
  const zones = new Set<string>();
  for (const [i, z] of p.zones.entries()) {
    if (zones.has(z.id)) return { key: `${key}.zones.${i}.id`, value: z.id, expected: 'a zone id not used twice' };
    zones.add(z.id);
  }
  for (const z of [...p.zones, { id: '(defaults)' }]) {
    const zp = zoneParams(p, z.id);
    if (zp.exitLevelDbm > zp.enterLevelDbm) {
      const where = z.id === '(defaults)' ? `${key}.defaults` : `${key}.zones.${p.zones.findIndex((x) => x.id === z.id)}`;
      return { key: `${where}.exitLevelDbm`, value: zp.exitLevelDbm, expected: `<= enterLevelDbm (${zp.enterLevelDbm})` };
    }
  }
  const tags = new Set<string>();
  for (const [i, t] of p.tags.entries()) {
    const k = `${(t.uuid ?? p.programUuid).replace(/-/g, '').toLowerCase()}:${t.major}:${t.minor}`;
    if (tags.has(k)) return { key: `${key}.tags.${i}`, value: t.id, expected: 'a uuid/major/minor not used by another tag' };
    tags.add(k);
  }
  if (p.retryMinMs > p.retryMaxMs) return { key: `${key}.retryMinMs`, value: p.retryMinMs, expected: `<= retryMaxMs (${p.retryMaxMs})` };
  return undefined;
}

export interface ZoneParamValues {
  windowMs: number;
  fenceK: number;
  minSamples: number;
  enterLevelDbm: number;
  enterTimeMs: number;
  switchMarginDb: number;
  switchTimeMs: number;
  exitLevelDbm: number;
  exitTimeMs: number;
  absenceTimeoutMs: number;
}

/** A zone's effective parameters: its overrides over `defaults`. */
export function zoneParams(p: PresenceConfig, zoneId: string): ZoneParamValues {
  const z = p.zones.find((x) => x.id === zoneId);
  const out = { ...p.defaults } as ZoneParamValues;
  if (z) for (const k of PARAM_KEYS) if (z[k] !== undefined) out[k] = z[k];
  return out;
}

/**
 * The presence config with HQ's zone entries (sync `cfg` `zones`) over its own: for each zone
 * HQ sends, the fields HQ sends win and the local entry gives the rest; other zones as
 * configured. Always over the local config (a newer HQ section replaces the older one, it does
 * not add to it). Ids HQ sends that are not zones here are the caller's to refuse first.
 */
export function withZoneOverrides(p: PresenceConfig, hq: readonly PresenceZoneConfig[]): PresenceConfig {
  const zones = p.zones.map((z) => ({ ...z }));
  for (const h of hq) {
    const i = zones.findIndex((z) => z.id === h.id);
    if (i >= 0) zones[i] = { ...zones[i]!, ...h };
    else zones.push({ ...h });
  }
  return { ...p, zones };
}

/** Zone ids: those listed, then those only named by scanners, in order. */
export function zoneIds(p: PresenceConfig): string[] {
  const ids = p.zones.map((z) => z.id);
  for (const s of p.scanners) if (!ids.includes(s.zone)) ids.push(s.zone);
  return ids;
}

/** Presence runs when it is enabled and has at least one scanner. */
export const presenceActive = (p: PresenceConfig): boolean => p.enabled && p.scanners.length > 0;
