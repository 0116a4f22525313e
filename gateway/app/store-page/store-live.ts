/**
 * The store page's live feed (issue 16): the view (store-view.ts) rebuilt every `intervalMs`
 * while at least one page is open, pushed when it changed (and every `keepMs` regardless, so
 * "last heard 12 s ago" keeps moving). Device state changes, sales (from the ledger, read
 * incrementally: nothing on the till path) and card taps become the last events. With no page
 * open nothing runs.
 */
import type { Clock } from '../../ports/clock';
import type { CardTap } from '../../ports/card-reader';
import type { LedgerTallies } from '../metrics/ledger-tallies';
import { buildStoreView, deviceChanges, type StoreEvent, type StoreView, type StoreViewInput } from './store-view';

export interface StoreLive {
  view(): StoreView;
  /** Each pushed view as JSON; returns unsubscribe. */
  subscribe(send: (json: string) => void): () => void;
  tap(tap: CardTap): void;
  readonly subscribers: number;
  stop(): void;
}

export function createStoreLive(o: {
  clock: Clock;
  input: () => Omit<StoreViewInput, 'events' | 'now'>;
  tallies: LedgerTallies;
  intervalMs?: number;
  keepMs?: number;
  maxEvents?: number;
}): StoreLive {
  const intervalMs = o.intervalMs ?? 500;
  const keepMs = o.keepMs ?? 5000;
  const maxEvents = o.maxEvents ?? 30;
  const events: StoreEvent[] = [];
  const add = (e: StoreEvent) => {
    events.unshift(e);
    if (events.length > maxEvents) events.length = maxEvents;
  };
  // Sales since the last look, per lane (the tallies are running totals).
  const seen = new Map<string, { sales: number; points: number }>();
  const salesEvents = (now: number) => {
    for (const [lane, t] of o.tallies.read()) {
      const was = seen.get(lane) ?? { sales: 0, points: 0 };
      if (t.sales > was.sales) add({ at: now, type: 'sales', lane, count: t.sales - was.sales, points: t.points - was.points });
      seen.set(lane, { sales: t.sales, points: t.points });
    }
  };
  let last: StoreView | undefined;
  const build = (): StoreView => {
    const now = o.clock.now();
    salesEvents(now);
    const v = buildStoreView({ ...o.input(), now, events: [] });
    for (const e of deviceChanges(last, v)) add(e);
    last = v;
    return { ...v, events: [...events] };
  };

  const subs = new Set<(json: string) => void>();
  let timer: NodeJS.Timeout | undefined;
  let lastBody = '';
  let lastSentAt = 0;
  const push = (force: boolean) => {
    const v = build();
    // Compared without `at`, which changes every time.
    const body = JSON.stringify({ ...v, at: 0 });
    const now = o.clock.now();
    if (!force && body === lastBody && now - lastSentAt < keepMs) return;
    lastBody = body;
    lastSentAt = now;
    const json = JSON.stringify(v);
    for (const s of subs) s(json);
  };
  return {
    view: build,
    subscribe(send) {
      subs.add(send);
      if (!timer) {
        timer = setInterval(() => push(false), intervalMs);
        timer.unref();
      }
      const v = build();
      lastBody = JSON.stringify({ ...v, at: 0 });
      send(JSON.stringify(v));
      return () => {
        subs.delete(send);
        if (subs.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    tap(tap) {
      const place = tap.place ? `${tap.place.type}:${tap.place.id}` : 'unbound';
      add({ at: tap.at, type: 'tap', place, outcome: tap.outcome === 'identified' ? (tap.staff ? 'staff' : 'identified') : tap.reason });
    },
    get subscribers() {
      return subs.size;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      subs.clear();
    },
  };
}
