/**
 * HQ's settlement service (docs/loyalty.md, "Settlement at HQ"): reads a member's points
 * events from the HQ store (every store, every gateway), settles them (./settlement.ts),
 * records the outcome on the member's HQ account — `hq_member_accounts` (balance, debt, as of)
 * and `hq_settlement_lines` (one row per event counted, so no entry is silently dropped) —
 * and sends `settle-member` to every gateway that reported an event of the member.
 *
 * The account tables live in a SQLite database of their own (or HQ's SQLite file, another
 * connection): the HqStore port is not changed by this service.
 */
import type Database from 'better-sqlite3';
import { ulid } from 'ulid';
import type { BrokerLink } from '../gateway/broker-link';
import type { GatewayAddress } from '../envelope/topics';
import { eventDefinition } from '../schemas/catalogue';
import { sendCommand } from './control';
import type { HqStore, StoredEvent } from './store';
import { settle, type PointsEvent, type Settlement } from './settlement';

export const SETTLEMENT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS hq_member_accounts (
    member      TEXT PRIMARY KEY,
    balance     INTEGER NOT NULL,
    debt        INTEGER NOT NULL,
    as_of       INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    settled_at  INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS hq_settlement_lines (
    member      TEXT NOT NULL,
    source      TEXT NOT NULL,
    id          TEXT NOT NULL,
    store       TEXT NOT NULL,
    type        TEXT NOT NULL,
    time_ms     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    delta       INTEGER NOT NULL,
    applied     INTEGER NOT NULL,
    debt_delta  INTEGER NOT NULL,
    balance     INTEGER NOT NULL,
    debt        INTEGER NOT NULL,
    PRIMARY KEY (member, source, id)
  );
  CREATE TABLE IF NOT EXISTS hq_settlement_commands (
    command_id  TEXT PRIMARY KEY,
    member      TEXT NOT NULL,
    store       TEXT NOT NULL,
    gateway     TEXT NOT NULL,
    balance     INTEGER NOT NULL,
    debt        INTEGER NOT NULL,
    as_of       INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL
  );`;

/** The signed points change of a stored event, as the event registry defines it (null: not a points event). */
export function pointsDeltaOf(e: Pick<StoredEvent, 'type' | 'data'>): number | null {
  const def = eventDefinition(e.type);
  if (!def?.pointsDelta) return null;
  const d = def.pointsDelta(e.data as never);
  return Number.isSafeInteger(d) ? d : null;
}

export interface MemberAccount {
  member: string;
  balance: number;
  debt: number;
  asOf: number;
  events: number;
  settledAt: number;
}

export interface SettleOutcome {
  settlement: Settlement;
  /** The commands sent, one per gateway. */
  sent: { to: GatewayAddress; commandId: string }[];
  /** Gateways the command could not be sent to (validation or broker), with why. */
  failed: { to: GatewayAddress; error: string }[];
}

export function createSettlementService(o: { store: HqStore; db: Database.Database; link?: BrokerLink; clock?: () => number }) {
  const { db } = o;
  const now = o.clock ?? Date.now;
  db.exec(SETTLEMENT_SCHEMA);
  const upsertAccount = db.prepare(
    `INSERT INTO hq_member_accounts (member, balance, debt, as_of, events, settled_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (member) DO UPDATE SET balance = excluded.balance, debt = excluded.debt, as_of = excluded.as_of, events = excluded.events, settled_at = excluded.settled_at`,
  );
  const clearLines = db.prepare('DELETE FROM hq_settlement_lines WHERE member = ?');
  const insertLine = db.prepare(
    `INSERT INTO hq_settlement_lines (member, source, id, store, type, time_ms, kind, delta, applied, debt_delta, balance, debt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const recordCommand = db.prepare(
    'INSERT INTO hq_settlement_commands (command_id, member, store, gateway, balance, debt, as_of, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const record = db.transaction((member: string, s: Settlement, at: number) => {
    upsertAccount.run(member, s.balance, s.debt, s.asOf, s.lines.length, at);
    clearLines.run(member);
    for (const l of s.lines) insertLine.run(member, l.source, l.id, l.store, l.type, l.timeMs, l.kind, l.delta, l.applied, l.debtDelta, l.balance, l.debt);
  });

  /** Every stored event of the member, in event order (keyset paged). */
  async function memberEvents(member: string): Promise<StoredEvent[]> {
    const all: StoredEvent[] = [];
    let after: { timeMs: number; source: string; id: string } | undefined;
    for (;;) {
      const page = await o.store.queryEvents({ member, limit: 1000, ...(after ? { after } : {}) });
      all.push(...page);
      if (page.length < 1000) return all;
      const last = page[page.length - 1]!;
      after = { timeMs: last.timeMs, source: last.source, id: last.id };
    }
  }

  /** Settles and records the member's account; no command is sent. */
  async function compute(member: string): Promise<{ settlement: Settlement; gateways: GatewayAddress[] }> {
    const events = await memberEvents(member);
    const points: PointsEvent[] = [];
    const gateways = new Map<string, GatewayAddress>();
    for (const e of events) {
      gateways.set(`${e.store}/${e.gateway}`, { store: e.store, gateway: e.gateway });
      const delta = pointsDeltaOf(e);
      if (delta === null) continue;
      points.push({ source: e.source, id: e.id, store: e.store, type: e.type, timeMs: e.timeMs, delta });
    }
    const settlement = settle(points);
    record(member, settlement, now());
    return { settlement, gateways: [...gateways.values()] };
  }

  /**
   * Settles the member and tells every gateway that reported an event of theirs (`to`
   * overrides): `settle-member {member, balance, debt, asOf}`. Each command has its own id,
   * recorded here; the gateway applies a command id once.
   */
  async function settleMember(member: string, opts: { to?: GatewayAddress[] } = {}): Promise<SettleOutcome> {
    const { settlement, gateways } = await compute(member);
    const out: SettleOutcome = { settlement, sent: [], failed: [] };
    if (!o.link) return out;
    const args = { member, balance: settlement.balance, debt: settlement.debt, asOf: settlement.asOf };
    for (const to of opts.to ?? gateways) {
      const at = now();
      const id = ulid(at);
      try {
        const r = await sendCommand(o.link, to, 'settle-member', args, { id, now: at });
        if (!r.ok) {
          out.failed.push({ to, error: r.error });
          continue;
        }
        recordCommand.run(id, member, to.store, to.gateway, args.balance, args.debt, args.asOf, at);
        out.sent.push({ to, commandId: id });
      } catch (e) {
        out.failed.push({ to, error: (e as Error).message });
      }
    }
    return out;
  }

  /** HQ's confirmed balance down to one gateway where the member is active (`member-snapshot`). */
  async function sendSnapshot(member: string, to: GatewayAddress): Promise<{ ok: true; commandId: string } | { ok: false; error: string }> {
    if (!o.link) return { ok: false, error: 'no broker link' };
    const { settlement } = await compute(member);
    const r = await sendCommand(o.link, to, 'member-snapshot', { member, balance: settlement.balance, asOf: settlement.asOf });
    return r.ok ? { ok: true, commandId: r.value.id } : { ok: false, error: r.error };
  }

  function account(member: string): MemberAccount | undefined {
    const r = db
      .prepare('SELECT member, balance, debt, as_of AS asOf, events, settled_at AS settledAt FROM hq_member_accounts WHERE member = ?')
      .get(member) as MemberAccount | undefined;
    return r;
  }

  function lines(member: string) {
    return db
      .prepare(
        'SELECT source, id, store, type, time_ms AS timeMs, kind, delta, applied, debt_delta AS debtDelta, balance, debt FROM hq_settlement_lines WHERE member = ? ORDER BY time_ms, source, id',
      )
      .all(member) as Settlement['lines'];
  }

  return { compute, settleMember, sendSnapshot, account, lines };
}
export type SettlementService = ReturnType<typeof createSettlementService>;
