/**
 * The gateway's HQ sync (issue 5, docs/sync.md), assembled from its config: the MQTT link,
 * the outbox publisher and the downlink, with this gateway's command handlers. Off (returns
 * undefined) unless `sync.brokerUrl` is set. Start it after the database is open and the till
 * service exists (the outbox is the ledger's); stop it before the database closes.
 *
 * HQ's store config (`cfg`): a valid, newer document is checked here (checkHqConfig, with the
 * store's presence config for `zones`), applied by the gateway through `applyHqConfig`
 * (loyalty, tokens, zones and staff all apply live) and kept by the downlink
 * (`sync_config_state`, staff tokens hashed: hqConfigStoredForm), which the gateway applies
 * again at start (docs/sync.md, "HQ config at the gateway").
 */
import type { Logger } from 'pino';
import type { Db } from '../../adapters/sqlite/open-database';
import type { GatewayConfig } from '../../config/schema';
import type { Clock } from '../../ports/clock';
import { startSyncAgent, type SyncAgent } from '../../../sync/gateway/sync-agent';
import type { StoreConfig } from '../../../sync/schemas/downlink';
import type { SchemaProblem } from '../../../sync/schemas/check';
import { createSyncCommands } from './sync-commands';
import { check } from '../../../sync/schemas/check';
import { PresenceZoneConfig, withZoneOverrides, zoneIds, zoneParams, type PresenceConfig } from '../../config/presence-schema';
import { HASHED_TOKEN_PREFIX, hashedStaffToken } from '../members/staff-sessions';

export type { SyncAgent };

export interface GatewaySyncDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** In-memory holders of a member (presence, offers) to forget on `erase-member`. */
  forgetMember?: (memberNumber: string) => void;
  /**
   * Sections of a validated, newer HQ config the running gateway can apply at once; returns
   * the names of the sections it applied. Called for each new document, and by the gateway at
   * start with the stored one.
   */
  applyHqConfig?: (cfg: StoreConfig) => string[];
}

/** Sections of HQ's config document. */
const SECTIONS = ['loyalty', 'zones', 'tokens', 'staff'] as const;

/**
 * HQ's zone entries checked against this store's presence config: each entry against the
 * presence zone schema (`id`, `label`, the per-zone parameter overrides; strict, so a typo is
 * an error), every id a zone of this store, and each merged zone's levels in order.
 */
export function checkHqZones(zones: readonly unknown[], presence: Readonly<PresenceConfig>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const known = new Set(zoneIds(presence));
  const valid: PresenceZoneConfig[] = [];
  for (const [i, z] of zones.entries()) {
    const r = check(PresenceZoneConfig, z);
    if (!r.ok) {
      for (const p of r.problems) problems.push({ path: `/data/zones/${i}${p.path === '/' ? '' : p.path}`, message: p.message });
    } else if (!known.has(r.value.id)) {
      problems.push({ path: `/data/zones/${i}/id`, message: `unknown zone ${r.value.id}: not a zone of this store's presence config` });
    } else valid.push(r.value);
    if (problems.length >= 20) return problems;
  }
  if (problems.length) return problems;
  const merged = withZoneOverrides(presence, valid);
  for (const [i, z] of valid.entries()) {
    const zp = zoneParams(merged, z.id);
    if (zp.exitLevelDbm > zp.enterLevelDbm) {
      problems.push({ path: `/data/zones/${i}`, message: `zone ${z.id}: exitLevelDbm (${zp.exitLevelDbm}) above enterLevelDbm (${zp.enterLevelDbm})` });
    }
  }
  return problems;
}

/**
 * Cross-checks a schema cannot express; a config refused here is reported to HQ. With the
 * store's presence config, HQ's zones are checked against it (checkHqZones).
 */
export function checkHqConfig(cfg: StoreConfig, presence?: Readonly<PresenceConfig>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const zones = new Set<string>();
  for (const [i, z] of (cfg.zones ?? []).entries()) {
    if (zones.has(z.id)) problems.push({ path: `/data/zones/${i}/id`, message: `duplicate zone id ${z.id}` });
    zones.add(z.id);
  }
  if (cfg.zones && presence) problems.push(...checkHqZones(cfg.zones, presence));
  for (const [i, s] of (cfg.staff ?? []).entries()) {
    // The stored form of a staff token (sync_config_state keeps only its hash).
    if (s.token.startsWith(HASHED_TOKEN_PREFIX))
      problems.push({ path: `/data/staff/${i}/token`, message: `a staff token may not begin with ${HASHED_TOKEN_PREFIX}` });
  }
  for (const [i, e] of (cfg.tokens?.epochs ?? []).entries()) {
    const seen = new Set<number>();
    for (const [j, t] of e.entries.entries()) {
      if (seen.has(t.token)) problems.push({ path: `/data/tokens/epochs/${i}/entries/${j}/token`, message: `duplicate token in epoch ${e.epoch}` });
      seen.add(t.token);
      if (problems.length >= 20) return problems;
    }
  }
  return problems.slice(0, 20);
}

/** HQ's config as the gateway keeps it: staff tokens replaced by their SHA-256 (never stored in clear). */
export function hqConfigStoredForm(cfg: StoreConfig): StoreConfig {
  if (!cfg.staff) return cfg;
  return { ...cfg, staff: cfg.staff.map((s) => ({ ...s, token: s.token.startsWith(HASHED_TOKEN_PREFIX) ? s.token : hashedStaffToken(s.token) })) };
}

export async function startGatewaySync(config: Readonly<GatewayConfig>, deps: GatewaySyncDeps): Promise<SyncAgent | undefined> {
  if (!config.sync.brokerUrl) return undefined;
  const log = deps.logger.child({ subsystem: 'sync' });
  const commands = createSyncCommands({
    db: deps.db,
    clock: deps.clock,
    timeZone: config.store.timeZone,
    expiryMonths: config.loyalty.expiryMonths,
    program: config.program,
    ...(deps.forgetMember ? { forgetMember: deps.forgetMember } : {}),
  });
  const agent = await startSyncAgent({
    config: config.sync,
    address: { store: config.store.id, gateway: config.store.gateway },
    db: deps.db,
    logger: deps.logger,
    clock: deps.clock,
    checkConfig: (cfg) => checkHqConfig(cfg, config.presence),
    storedForm: hqConfigStoredForm,
    onConfig: (cfg) => {
      const applied = deps.applyHqConfig?.(cfg) ?? [];
      const pending = SECTIONS.filter((s) => cfg[s] !== undefined && !applied.includes(s));
      log.info({ version: cfg.version, applied }, 'sync: HQ config applied');
      if (pending.length) log.warn({ version: cfg.version, sections: pending }, 'sync: HQ config sections stored but not applied by this gateway version');
    },
    commands,
  });
  if (agent) {
    const running = agent.downlink.runningConfig();
    log.info({ broker: redactUrl(config.sync.brokerUrl), hqConfigVersion: running?.version ?? null }, 'sync started');
  }
  return agent;
}

/** The broker URL without credentials, for the log. */
function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '(unparseable)';
  }
}
