/**
 * The demo's terminal view, redrawn once a second from the gateway's own state: lane health
 * and the ledger (read through a second, read-only SQLite connection, as store IT would).
 */
import Database from 'better-sqlite3';
import type { DeviceHealth } from '../../gateway/ports/health';
import type { LinkHealth } from '../../gateway/ports/pos-link';
import type { CardStats } from './card-taps';
import type { KioskVisit } from './kiosk-visitors';
import type { TillActivity } from './shopper-traffic';

export interface ViewInput {
  title: string;
  url: string | undefined;
  /** The member kiosk's page (open it in a browser) and the last taps at its reader. */
  kiosk?: { url: string; visits: readonly KioskVisit[] };
  lanes: LinkHealth[];
  activity: { lane: string; at: number; a: TillActivity }[];
  /** The till card readers (gateway health) and what the tills heard back about the taps. */
  cards?: { readers: DeviceHealth[]; stats: Readonly<CardStats> };
  /** HQ (sync/hq/demo.ts) and the gateway's link to it. */
  hq?: HqView & { link: string; outbox?: OutboxView };
  /** Zone occupancy as the gateway estimates it, and where the simulated shoppers really are. */
  presence?: {
    occupancy: { zone: string; label?: string; members: number; anonymous: number; tags: number }[];
    truth: { zone: string | null; member?: string }[];
  };
  startedAt: number;
  now: number;
}

/** The gateway's outbox as its publisher sees it: not sent yet, and sent but not yet acknowledged by HQ. */
export interface OutboxView {
  unsent: number;
  awaitingHq: number;
  awaitingHqOldestMs: number;
}

/** What HQ holds and how far behind it is (sync/hq/demo.ts `view()`). */
export interface HqView {
  events: number;
  deadLetters: number;
  /** The gateway's retained status at HQ (`online` / `offline`). */
  status: string | null;
  /** Receive time minus event time of the newest event HQ got from this gateway. */
  lagMs: number | null;
  silentForMs: number | null;
}

const euro = (cents: number) => `€${(cents / 100).toFixed(2)}`;
const pad = (s: string | number, n: number) => String(s).padEnd(n).slice(0, n);
const C = { dim: '\x1b[2m', bold: '\x1b[1m', green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', reset: '\x1b[0m' };

export class LedgerReader {
  private readonly db: Database.Database;
  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }
  totals() {
    return this.db
      .prepare(
        `SELECT count(*) AS sales, coalesce(sum(points),0) AS points, coalesce(sum(total_cents),0) AS cents,
                       count(member_id) AS memberSales FROM sales`,
      )
      .get() as { sales: number; points: number; cents: number; memberSales: number };
  }
  returns() {
    return this.db.prepare(`SELECT count(*) AS n, coalesce(sum(points_reversed),0) AS points FROM returns`).get() as { n: number; points: number };
  }
  topBalances(n: number) {
    return this.db.prepare(`SELECT name, balance, deficit FROM members ORDER BY balance DESC, name LIMIT ?`).all(n) as {
      name: string;
      balance: number;
      deficit: number;
    }[];
  }
  outboxDepth() {
    return (this.db.prepare(`SELECT count(*) AS n FROM outbox`).get() as { n: number }).n;
  }
  close() {
    this.db.close();
  }
}

export function renderView(v: ViewInput, ledger: LedgerReader, colour: boolean): string {
  const c = colour ? C : { dim: '', bold: '', green: '', red: '', yellow: '', reset: '' };
  const t = ledger.totals();
  const r = ledger.returns();
  const up = Math.round((v.now - v.startedAt) / 1000);
  const out: string[] = [];
  out.push(`${c.bold}${v.title}${c.reset}  ${c.dim}up ${up}s · health ${v.url ? v.url + '/healthz' : '-'} · Ctrl-C to stop${c.reset}`);
  if (v.kiosk) {
    const last = v.kiosk.visits.at(-1);
    const when = last ? `${Math.round((v.now - last.at) / 1000)} s ago` : '';
    const who = last ? ` · last tap ${when}: ${last.member ?? 'a new shopper'} (${last.card})` : ' · first shopper on the way';
    out.push(`${c.bold}Kiosk${c.reset}   open ${c.green}${v.kiosk.url}${c.reset}${c.dim}${who}${c.reset}`);
  }
  out.push('');
  out.push(`${c.bold}Lanes${c.reset}`);
  for (const l of v.lanes) {
    const colourState = l.state === 'up' ? c.green : l.state === 'down' ? c.red : c.yellow;
    const k = l.counters;
    out.push(
      `  ${pad(l.lane, 8)} ${colourState}${pad(l.state, 10)}${c.reset} ${pad(l.endpoint, 22)} frames in ${k.framesIn} out ${k.framesOut} · NAKs sent ${k.naksSent} · dup ${k.duplicates} · garbage ${k.garbageBytes} B`,
    );
  }
  if (v.cards) {
    const { readers, stats: s } = v.cards;
    const up = readers.filter((d) => d.state === 'up').length;
    const readerState = `${up === readers.length ? c.green : c.red}${up}/${readers.length} up${c.reset}`;
    out.push('');
    out.push(
      `${c.bold}Card readers${c.reset} ${readerState} · taps ${s.taps} · members found by card ${c.green}${s.found}${c.reset} · unknown card ${s.unknown} · random id ${s.randomId} · unreadable ${s.unreadable}`,
    );
  }
  out.push('');
  if (v.presence) {
    // Estimated members per zone against the simulator's ground truth (members only).
    const truth = new Map<string, number>();
    for (const p of v.presence.truth) if (p.zone && p.member) truth.set(p.zone, (truth.get(p.zone) ?? 0) + 1);
    const zones = v.presence.occupancy.map((z) => `${z.label ?? z.zone} ${z.members}/${truth.get(z.zone) ?? 0}${z.anonymous ? ` +${z.anonymous} anon` : ''}`);
    out.push(`${c.bold}Zones${c.reset}   members seen/really there: ${zones.join(' · ') || 'none'}`);
    out.push('');
  }
  out.push(
    `${c.bold}Ledger${c.reset}  sales ${t.sales} (${t.memberSales} by members) · turnover ${euro(t.cents)} · points awarded ${t.points} · returns ${r.n} (-${r.points} pts) · outbox ${ledger.outboxDepth()}`,
  );
  if (v.hq) {
    const h = v.hq;
    const linkColour = h.link === 'up' ? c.green : h.link === 'connecting' ? c.yellow : c.red;
    const lag = h.lagMs === null ? '-' : `${h.lagMs} ms`;
    const seen = h.silentForMs === null ? 'never' : `${(h.silentForMs / 1000).toFixed(1)} s ago`;
    out.push(
      `${c.bold}HQ${c.reset}      events ${h.events} · dead letters ${h.deadLetters} · lag ${lag} · last heard ${seen} · store ${h.status ?? '-'} · broker link ${linkColour}${h.link}${c.reset}`,
    );
    if (h.outbox) {
      // A row leaves the outbox only on HQ's end-to-end ack: "waiting for HQ" is sent, not yet confirmed.
      const w = h.outbox.awaitingHq
        ? `${c.yellow}waiting for HQ ${h.outbox.awaitingHq} (oldest ${(h.outbox.awaitingHqOldestMs / 1000).toFixed(1)} s)${c.reset}`
        : 'waiting for HQ 0';
      out.push(`${c.bold}Outbox${c.reset}  not yet sent ${h.outbox.unsent} · ${w}`);
    }
  }
  out.push('');
  out.push(`${c.bold}Top balances${c.reset}`);
  for (const m of ledger.topBalances(6))
    out.push(`  ${pad(m.name, 20)} ${String(m.balance).padStart(6)} pts${m.deficit ? `  ${c.yellow}deficit ${m.deficit}${c.reset}` : ''}`);
  out.push('');
  out.push(`${c.bold}Recent till activity${c.reset}`);
  for (const { lane, at, a } of v.activity.slice(-12).reverse()) {
    const time = new Date(at).toLocaleTimeString('nl-NL', { hour12: false });
    out.push(`  ${c.dim}${time}${c.reset} ${pad(lane, 7)} ${pad(a.kind, 8)} ${pad(a.receipt ?? '', 12)} ${a.outcome}`);
  }
  return out.join('\n');
}
