/**
 * The gateway's HQ sync (issue 5, docs/sync.md), assembled from its config: the MQTT link,
 * the outbox publisher and the downlink, with this gateway's command handlers. Off (returns
 * undefined) unless `sync.brokerUrl` is set. Start it after the database is open and the till
 * service exists (the outbox is the ledger's); stop it before the database closes.
 *
 * HQ's store config (`cfg`): the gateway config is validated once at start and frozen
 * (STYLE.md §6) and the till compiles its earning rules once, so nothing in HQ's document is
 * swapped into the running process. A valid, newer document is accepted and kept by the
 * downlink (`sync_config_state`, reported to HQ as `trouw.config.applied.v1`, i.e. received
 * and stored); the log says which sections wait for a restart. Using the stored document at
 * boot is not wired yet (docs/sync.md, "HQ config at the gateway").
 */
import type { Logger } from 'pino';
import type { Db } from '../adapters/sqlite/open-database';
import type { GatewayConfig } from '../config/schema';
import type { Clock } from '../ports/clock';
import { startSyncAgent, type SyncAgent } from '../../sync/gateway/sync-agent';
import type { StoreConfig } from '../../sync/schemas/downlink';
import type { SchemaProblem } from '../../sync/schemas/check';
import { createSyncCommands } from './sync-commands';

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

/** Sections of HQ's config document; none can be applied to a running gateway today. */
const SECTIONS = ['loyalty', 'zones', 'tokens', 'staff'] as const;

/** Cross-checks a schema cannot express; a config refused here is reported to HQ. */
export function checkHqConfig(cfg: StoreConfig): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const zones = new Set<string>();
  for (const [i, z] of (cfg.zones ?? []).entries()) {
    if (zones.has(z.id)) problems.push({ path: `/data/zones/${i}/id`, message: `duplicate zone id ${z.id}` });
    zones.add(z.id);
  }
  for (const [i, e] of (cfg.tokens?.epochs ?? []).entries()) {
    const seen = new Set<number>();
    for (const [j, t] of e.entries.entries()) {
      if (seen.has(t.token)) problems.push({ path: `/data/tokens/epochs/${i}/entries/${j}/token`, message: `duplicate token in epoch ${e.epoch}` });
      seen.add(t.token);
      if (problems.length >= 20) return problems;
    }
  }
  return problems;
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
    checkConfig: checkHqConfig,
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
