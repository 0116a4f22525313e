/**
 * Member snapshots flow down when a member is active in a store (issue 6): follows HQ's
 * stored events (keyset cursor over event order) and, for each event naming a member (a card
 * tapped, a sale, a spend…), sends that gateway `member-snapshot` with HQ's settled balance —
 * at most once per (member, gateway) per `minIntervalMs`. Events are read from the HQ store,
 * not the ingest, so it runs beside any number of ingest processes. `pump()` handles what is
 * new (tests call it directly); `start()` pumps every `pollMs`.
 */
import type { GatewayAddress } from '../envelope/topics';
import { eventDefinition } from '../schemas/catalogue';
import { CommandApplied, ConfigApplied, ConfigRejected, PointsAdjusted } from '../schemas/command-events';
import { PointsExpired, PointsExpiring } from '../schemas/loyalty-events';
import type { HqStore, StoredEvent } from './store';
import type { SettlementService } from './settlement-service';

/** Event types that are HQ's own bookkeeping, not a member being active in the store. */
const NOT_ACTIVITY = new Set([CommandApplied, ConfigApplied, ConfigRejected, PointsExpired, PointsExpiring, PointsAdjusted].map((d) => d.type));

export function memberOf(e: Pick<StoredEvent, 'type' | 'data'>): string | null {
  if (NOT_ACTIVITY.has(e.type)) return null;
  const m = eventDefinition(e.type)?.member?.(e.data as never);
  return typeof m === 'string' && m.length > 0 ? m : null;
}

export function createSnapshotFeeder(o: {
  store: HqStore;
  settlement: Pick<SettlementService, 'sendSnapshot'>;
  minIntervalMs?: number;
  clock?: () => number;
  /** Start after this event (default: from the first stored event). */
  after?: { timeMs: number; source: string; id: string };
}) {
  const now = o.clock ?? Date.now;
  const minInterval = o.minIntervalMs ?? 60_000;
  let cursor = o.after;
  const lastSent = new Map<string, number>();
  const stats = { seen: 0, sent: 0, skipped: 0, failed: 0 };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function pumpOnce(): Promise<number> {
    let sent = 0;
    for (;;) {
      const page = await o.store.queryEvents({ limit: 500, ...(cursor ? { after: cursor } : {}) });
      for (const e of page) {
        cursor = { timeMs: e.timeMs, source: e.source, id: e.id };
        stats.seen++;
        const member = memberOf(e);
        if (!member) continue;
        const to: GatewayAddress = { store: e.store, gateway: e.gateway };
        const k = `${member}\u0000${to.store}\u0000${to.gateway}`;
        const t = now();
        const last = lastSent.get(k);
        if (last !== undefined && t - last < minInterval) {
          stats.skipped++;
          continue;
        }
        const r = await o.settlement.sendSnapshot(member, to);
        if (r.ok) {
          lastSent.set(k, t);
          stats.sent++;
          sent++;
        } else stats.failed++;
      }
      if (page.length < 500) return sent;
    }
  }

  /** Handles the events stored since the last pump; resolves to the snapshots sent. */
  function pump(): Promise<number> {
    running ??= pumpOnce().finally(() => (running = undefined));
    return running;
  }

  return {
    pump,
    stats: () => ({ ...stats }),
    start(pollMs = 1000) {
      timer ??= setInterval(() => void pump().catch(() => stats.failed++), pollMs);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
