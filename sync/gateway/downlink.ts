/**
 * The downlink (issue 5): HQ's store config (`cfg`, retained, versioned) and commands
 * (`cmd/{name}`) for this gateway, and HQ's end-to-end acks (`ack`, handed to the publisher).
 *
 * Config: parsed, checked against `StoreConfig` and the injected cross-checks, and applied
 * only if its version is newer than the running one. Anything else is refused, the running
 * config kept, and `trouw.config.rejected.v1` sent up (once per message, not on every
 * reconnect's retained redelivery). The applied version and document are kept in
 * `sync_config_state`, so a restart knows what runs (`runningConfig()`): the sections of the
 * newest document over the sections older ones sent and it left out.
 *
 * Commands: the CloudEvents id is the command id. The handler, the record in
 * `sync_applied_commands` and the `trouw.command.applied.v1` event commit in one transaction,
 * so a redelivered or replayed command (same id) is acknowledged and not applied again.
 * Handlers are synchronous and write through the same database handle (better-sqlite3
 * nests their transactions as savepoints). A handler's expected refusal is a Result error
 * (recorded: a replay does nothing); a thrown fault rolls back, is reported as `failed`, and
 * is not recorded, so HQ may send the same command again.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Result } from '../../gateway/core/result';
import { systemClock, type Clock } from '../../gateway/ports/clock';
import { CloudEvent, HQ_SOURCE, ULID_PATTERN } from '../envelope/cloudevent';
import { configTopic, downlinkFilters, parseTopic, type GatewayAddress } from '../envelope/topics';
import { createHash } from 'node:crypto';
import { check, describeProblems, type SchemaProblem } from '../schemas/check';
import {
  CONFIG_EVENT_TYPE,
  parseStoreConfig,
  type StoreConfig,
  commandEventType,
  commandSchemas,
  isCommandName,
  type CommandArgs,
  type CommandName,
} from '../schemas/downlink';
import type { BrokerLink, InboundMessage } from './broker-link';
import { createOutboxWriter, type OutboxWriter } from './outbox-writer';
import { CommandApplied, CommandRejected, ConfigApplied, ConfigRejected, type CommandRejectedData } from '../schemas/command-events';
import type { EventDefinition } from '../schemas/catalogue';
import type { Static, TSchema } from '@sinclair/typebox';
import { ensureSyncTables } from './tables';

export interface CommandContext {
  commandId: string;
  name: CommandName;
  /** Epoch ms. */
  now: number;
  db: Database;
}

export interface CommandError {
  code: string;
  message: string;
}

/** `ok(detail)`: applied, detail reported to HQ (e.g. what was purged). `err`: refused. */
export type CommandHandler<N extends CommandName> = (args: CommandArgs<N>, ctx: CommandContext) => Result<Record<string, unknown>, CommandError>;

/** The first commands every gateway handles; later ones (settlement) are optional: a gateway without the handler refuses them. */
type CoreCommand = 'erase-member' | 'adjust-points';
export type CommandHandlers = { [N in CoreCommand]: CommandHandler<N> } & { [N in Exclude<CommandName, CoreCommand>]?: CommandHandler<N> };

export interface DownlinkOptions {
  db: Database;
  link: BrokerLink;
  address: GatewayAddress;
  /** Apply a validated, newer config; throw to refuse it (the running one is kept). */
  onConfig: (cfg: StoreConfig) => void | Promise<void>;
  /** Checks a schema cannot express (dates in order, unique ids); return the problems found. */
  checkConfig?: (cfg: StoreConfig) => SchemaProblem[];
  /** The document as kept in `sync_config_state` (e.g. secrets hashed); default as received. */
  storedForm?: (cfg: StoreConfig) => StoreConfig;
  commands: CommandHandlers;
  /** Called after an event was queued in the outbox (wire to publisher.notify). */
  onEventQueued?: () => void;
  /** HQ's end-to-end acks (`…/ack`) for this gateway's events (wire to publisher.acknowledge). */
  onAck?: (payload: Buffer) => void;
  clock?: Clock;
  logger?: Logger;
}

export interface DownlinkStats {
  configsApplied: number;
  configsRejected: number;
  commandsApplied: number;
  commandsRefused: number;
  commandsFailed: number;
  commandsReplayed: number;
  /** cmd messages that were not commands from HQ (reported as trouw.command.rejected.v1). */
  commandsRejected: number;
}

export interface Downlink {
  /** Creates the tables, takes over the link's message handler and subscribes. */
  start(): Promise<void>;
  /** The config HQ last had applied here (survives restarts), for the gateway to apply at boot. */
  runningConfig(): { version: number; config: StoreConfig } | undefined;
  /** Handles one message (the link calls this; exposed for tests). */
  handle(m: InboundMessage): Promise<void>;
  stats(): DownlinkStats;
}

type Rejection = { version: number | null; reason: 'malformed' | 'invalid' | 'older' | 'apply-failed'; problems: SchemaProblem[] };

export function createDownlink(o: DownlinkOptions): Downlink {
  const { db, link, address } = o;
  const clock = o.clock ?? systemClock;
  const log = o.logger;
  ensureSyncTables(db);
  const outbox: OutboxWriter = createOutboxWriter(db);
  const cfgTopic = configTopic(address);
  const stats: DownlinkStats = {
    configsApplied: 0,
    configsRejected: 0,
    commandsApplied: 0,
    commandsRefused: 0,
    commandsFailed: 0,
    commandsReplayed: 0,
    commandsRejected: 0,
  };
  let lastRejected: string | undefined;

  const st = {
    running: db.prepare('SELECT version, event_id AS eventId, doc FROM sync_config_state WHERE k = 1'),
    saveConfig: db.prepare(
      `INSERT INTO sync_config_state (k, version, event_id, applied_at, doc) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT(k) DO UPDATE SET version = excluded.version, event_id = excluded.event_id, applied_at = excluded.applied_at, doc = excluded.doc`,
    ),
    applied: db.prepare('SELECT outcome, digest FROM sync_applied_commands WHERE id = ?'),
    record: db.prepare('INSERT INTO sync_applied_commands (id, name, outcome, applied_at, detail, digest) VALUES (?, ?, ?, ?, ?, ?)'),
  };

  const running = () => st.running.get() as { version: number; eventId: string; doc: string } | undefined;

  function queue<S extends TSchema>(event: EventDefinition<S>, data: Static<S> & Record<string, unknown>) {
    outbox.append({ event, data, at: clock.now() });
  }

  function reject(r: Rejection, key: string) {
    if (key === lastRejected) return; // the same retained message again (reconnect): said once already
    lastRejected = key;
    stats.configsRejected++;
    const runningVersion = running()?.version ?? null;
    log?.warn({ version: r.version, runningVersion, reason: r.reason, problems: r.problems.slice(0, 3) }, 'sync: config rejected; running config kept');
    queue(ConfigRejected, { version: r.version, runningVersion, reason: r.reason, problems: r.problems.slice(0, 20).map(clip) });
    o.onEventQueued?.();
  }

  async function handleConfig(payload: Buffer) {
    if (payload.length === 0) return; // retained config cleared at HQ: keep running
    const key = payload.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(key);
    } catch (e) {
      return reject({ version: null, reason: 'malformed', problems: [{ path: '/', message: (e as Error).message }] }, key);
    }
    const env = check(CloudEvent, json);
    if (!env.ok) return reject({ version: versionOf(json), reason: 'malformed', problems: env.problems }, key);
    const ev = env.value;
    if (ev.source !== HQ_SOURCE || ev.type !== CONFIG_EVENT_TYPE) {
      return reject(
        { version: versionOf(json), reason: 'malformed', problems: [{ path: '/type', message: `expected ${CONFIG_EVENT_TYPE} from ${HQ_SOURCE}` }] },
        key,
      );
    }
    const current = running();
    if (current?.eventId === ev.id) return; // the running config, redelivered
    const c = parseStoreConfig(ev.data);
    if (!c.ok) return reject({ version: versionOf(json), reason: 'invalid', problems: c.problems }, key);
    const cfg = c.value;
    if (current && cfg.version <= current.version) {
      return reject(
        { version: cfg.version, reason: 'older', problems: [{ path: '/data/version', message: `not newer than running version ${current.version}` }] },
        key,
      );
    }
    const extra = o.checkConfig?.(cfg) ?? [];
    if (extra.length) return reject({ version: cfg.version, reason: 'invalid', problems: extra }, key);
    try {
      await o.onConfig(cfg);
    } catch (e) {
      return reject({ version: cfg.version, reason: 'apply-failed', problems: [{ path: '/', message: (e as Error).message }] }, key);
    }
    // Kept: the sections this document sends over those it leaves out (which keep their
    // running value), so the gateway re-applies every section in force at start.
    const previous = current ? (JSON.parse(current.doc) as Partial<StoreConfig>) : {};
    const stored: StoreConfig = { ...previous, ...(o.storedForm ? o.storedForm(cfg) : cfg) };
    if (cfg.issuedAt === undefined) delete stored.issuedAt;
    db.transaction(() => {
      st.saveConfig.run(cfg.version, ev.id, clock.now(), JSON.stringify(stored));
      queue(ConfigApplied, { version: cfg.version, previousVersion: current?.version ?? null });
    })();
    stats.configsApplied++;
    log?.info({ version: cfg.version, previousVersion: current?.version ?? null }, 'sync: config applied');
    o.onEventQueued?.();
  }

  /** A cmd message that is not a command from HQ: HQ hears why (trouw.command.rejected.v1), not only our log. */
  function rejectMessage(name: string, reason: CommandRejectedData['reason'], detail: string, json?: unknown) {
    const id = (json as { id?: unknown } | null | undefined)?.id;
    const commandId = typeof id === 'string' && ULID.test(id) ? id : null;
    stats.commandsRejected++;
    log?.warn({ name, reason, commandId }, 'sync: cmd message rejected; HQ is told');
    queue(CommandRejected, { reason, commandId, name: name.slice(0, 64), detail: detail.slice(0, 500) });
    o.onEventQueued?.();
  }

  function handleCommand(name: string, payload: Buffer) {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch (e) {
      return rejectMessage(name, 'not-json', (e as Error).message);
    }
    const env = check(CloudEvent, json);
    if (!env.ok) return rejectMessage(name, 'bad-envelope', describeProblems(env.problems), json);
    if (env.value.source !== HQ_SOURCE) return rejectMessage(name, 'not-from-hq', `source ${env.value.source.slice(0, 200)}`, json);
    const ev = env.value;
    const commandId = ev.id;
    const digest = commandDigest(ev.type, ev.data);
    const seen = st.applied.get(commandId) as { outcome: string; digest: string | null } | undefined;
    if (seen) {
      // Recorded before digests were kept (null): cannot tell, taken for a replay.
      if (seen.digest !== null && seen.digest !== digest)
        return rejectMessage(name, 'id-reused', `command id ${commandId} was handled with other content`, json);
      stats.commandsReplayed++;
      log?.info({ commandId, name }, 'sync: command already handled; replay ignored');
      return;
    }
    const now = clock.now();
    const refuse = (error: { code: string; message: string }) => {
      db.transaction(() => {
        st.record.run(commandId, name, 'rejected', now, JSON.stringify({ error }), digest);
        queue(CommandApplied, { commandId, name, outcome: 'rejected', error: clip(error) });
      })();
      stats.commandsRefused++;
      log?.warn({ commandId, name, code: error.code }, 'sync: command refused');
      o.onEventQueued?.();
    };
    if (!isCommandName(name)) return refuse({ code: 'unknown-command', message: `no command ${name}` });
    if (ev.type !== commandEventType(name)) return refuse({ code: 'bad-request', message: `type ${ev.type} on cmd/${name}` });
    const args = check(commandSchemas[name], ev.data);
    if (!args.ok) return refuse({ code: 'bad-request', message: args.problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
    const handler = o.commands[name] as CommandHandler<CommandName> | undefined;
    if (!handler) return refuse({ code: 'unknown-command', message: `command ${name} is not handled by this gateway` });
    try {
      const outcome = db.transaction(() => {
        const r = handler(args.value as CommandArgs<CommandName>, { commandId, name, now, db });
        if (r.ok) {
          st.record.run(commandId, name, 'applied', now, JSON.stringify(r.value), digest);
          queue(CommandApplied, { commandId, name, outcome: 'applied', detail: r.value });
        } else {
          st.record.run(commandId, name, 'rejected', now, JSON.stringify({ error: r.error }), digest);
          queue(CommandApplied, { commandId, name, outcome: 'rejected', error: clip(r.error) });
        }
        return r;
      })();
      if (outcome.ok) stats.commandsApplied++;
      else stats.commandsRefused++;
      log?.info({ commandId, name, outcome: outcome.ok ? 'applied' : outcome.error.code }, 'sync: command handled');
    } catch (e) {
      // A fault: nothing was applied or recorded; report it, HQ may retry with the same id.
      stats.commandsFailed++;
      log?.error({ commandId, name, err: e }, 'sync: command failed');
      queue(CommandApplied, { commandId, name, outcome: 'failed', error: { code: 'internal', message: String((e as Error)?.message ?? e).slice(0, 500) } });
    }
    o.onEventQueued?.();
  }

  const handle = async (m: InboundMessage) => {
    const t = parseTopic(m.topic);
    if (!t || t.store !== address.store || t.gateway !== address.gateway) {
      log?.warn({ topic: m.topic }, 'sync: message on an unexpected topic; ignored');
      return;
    }
    if (t.kind === 'cfg' && m.topic === cfgTopic) return handleConfig(m.payload);
    if (t.kind === 'cmd') return handleCommand(t.name, m.payload);
    if (t.kind === 'ack') return o.onAck?.(m.payload);
  };

  return {
    async start() {
      link.setHandler(handle);
      await link.subscribe(downlinkFilters(address));
    },
    runningConfig() {
      const r = running();
      return r ? { version: r.version, config: JSON.parse(r.doc) as StoreConfig } : undefined;
    },
    handle,
    stats: () => ({ ...stats }),
  };
}

function versionOf(json: unknown): number | null {
  const v = (json as { data?: { version?: unknown } } | null)?.data?.version;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}

const clip = <T extends { message: string }>(p: T): T => ({
  ...p,
  message: p.message.slice(0, 500),
  ...('path' in p ? { path: String(p.path).slice(0, 200) } : {}),
});

const ULID = new RegExp(ULID_PATTERN);

/** SHA-256 of a command's type and data, keys sorted: the same command resent by HQ gives the same digest. */
function commandDigest(type: string, data: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(`${type}\n${JSON.stringify(canonical(data) ?? null)}`)
    .digest('hex');
}
