/**
 * Offers, assembled (issue 8): presence events → triggers → decision → stored send + outbox
 * event (one transaction) → the member's phone streams. Dwell triggers are checked every
 * `offers.tickMs`. Consent lives in `offer_members` (config seeds it; the phone or HQ change
 * it); withdrawing withdraws every offer the member holds at once and tells their phones.
 * Nothing here logs a member number.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createMembersRepo } from '../../adapters/sqlite/members-repo';
import { createOffersRepo, type OfferSendRow } from '../../adapters/sqlite/offers-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import { offersProblems, type OffersConfig } from '../../config/offers-schema';
import { TriggerTracker, decide, factCategories, type MemberFacts, type NoOfferReason, type OfferDefinition, type TriggerEvent } from '../../core/offers';
import type { PresenceEvent } from '../../core/presence/events';
import { localDate } from '../../core/time/local-date';
import type { Clock } from '../../ports/clock';
import type { PresenceEventSource } from '../../ports/presence-events';
import { createIdFactory } from '../shared/ids';
import { isoTime as iso } from '../shared/iso-time';
import { OfferEvents, OfferHeldBack, type OfferEventKind } from '../../../sync/schemas/offer-events';
import { createProgramContext } from '../loyalty/program-context';

/** What a phone receives. */
export type PhoneMessage = { type: 'offer'; offer: PhoneOffer } | { type: 'withdrawn'; id: string };

export interface PhoneOffer {
  id: string;
  offerId: string;
  code: string;
  title: { nl: string; en: string };
  body?: { nl: string; en: string };
  reward: unknown;
  sentAt: string;
  validUntil: string;
  state: string;
}

export type Decided = { trigger: TriggerEvent; sent: PhoneOffer } | { trigger: TriggerEvent; reason: NoOfferReason | 'unknown-member' | 'held-back' };

export interface OffersServiceDeps {
  config: Readonly<OffersConfig>;
  db: Db;
  clock: Clock;
  timeZone: string;
  program?: ProgramConfig | undefined;
  logger?: Logger;
  /** Run the dwell timer (default true); tests call `tick()`. */
  timers?: boolean;
  /** Each decision's result: `sent` or why not (the metrics count deliveries and caps). */
  onDecided?: (result: string) => void;
}

export function definitionsFrom(cfg: OffersConfig): OfferDefinition[] {
  return cfg.definitions.map((d) => ({ ...d, campaign: d.campaign ?? d.id }) as OfferDefinition);
}

const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const newCode = (): string => [...randomBytes(8)].map((b) => CODE_ALPHABET[b & 31]).join('');
const DAY_MS = 86_400_000;

export function createOffersService(deps: OffersServiceDeps) {
  const problems = offersProblems(deps.config);
  if (problems.length > 0) throw new Error(`config: ${problems[0]!.key} = ${JSON.stringify(problems[0]!.value)}: expected ${problems[0]!.expected}`);
  const { db, clock } = deps;
  const log = deps.logger?.child({ component: 'offers' });
  const offers = definitionsFrom(deps.config);
  const ctx = { offers, caps: deps.config.caps, timeZone: deps.timeZone };
  const categories = factCategories(offers);
  const lookback = Math.max(0, ...offers.map((o) => o.audience.notBought?.days ?? 0));
  const tracker = new TriggerTracker(offers);
  const repo = createOffersRepo(db);
  const members = createMembersRepo(db);
  const ids = createIdFactory(clock);
  const outbox = createOutboxWriter(db, { newId: ids });
  const program = createProgramContext({ db, clock, program: deps.program }).program;
  const salesSince = db.prepare<[string, string], { lines: string; at: number }>(
    'SELECT lines, at FROM sales WHERE business_date >= ? AND member_id = ? AND voided_at IS NULL',
  );
  const streams = new Map<string, Set<(m: PhoneMessage) => void>>();
  // Control-group members already reported held back (campaign \0 member), so a member who
  // keeps triggering sends one event, not one per trigger. Per process: HQ dedupes the rest.
  const heldBackSent = new Set<string>();

  {
    const now = clock.now();
    db.transaction(() => {
      for (const m of deps.config.members) repo.seedMember(m.number, m.consent, m.segments, now);
    })();
  }

  const phoneOffer = (r: OfferSendRow): PhoneOffer => ({
    id: r.id,
    offerId: r.offerId,
    code: r.code,
    title: r.content.title,
    ...(r.content.body ? { body: r.content.body } : {}),
    reward: r.content.reward,
    sentAt: iso(r.sentAt),
    validUntil: iso(r.validUntil),
    state: r.state,
  });

  const event = (kind: OfferEventKind, r: OfferSendRow, now: number, extra: Record<string, unknown> = {}) =>
    outbox.append({
      event: OfferEvents[kind],
      subject: r.id,
      at: now,
      data: { sendId: r.id, offerId: r.offerId, campaign: r.campaign, memberNumber: r.memberNumber, trigger: r.trigger, at: iso(now), ...extra },
    });

  const push = (member: string, m: PhoneMessage) => {
    for (const l of streams.get(member) ?? []) {
      try {
        l(m);
      } catch (e) {
        log?.warn({ err: e }, 'phone stream write failed');
      }
    }
  };

  function facts(number: string, now: number): MemberFacts | undefined {
    const m = members.byNumber(number);
    if (!m) return undefined;
    const o = repo.member(number);
    const lastBought: Record<string, number | null> = {};
    if (categories.length > 0) {
      for (const c of categories) lastBought[c] = null;
      for (const s of salesSince.all(localDate(now - lookback * DAY_MS, deps.timeZone), m.id)) {
        for (const l of JSON.parse(s.lines) as { category: string }[]) {
          if (l.category in lastBought && (lastBought[l.category] ?? 0) < s.at) lastBought[l.category] = s.at;
        }
      }
    }
    return {
      number,
      consent: o?.consent ?? false,
      segments: o?.segments ?? [],
      joinedAt: m.createdAt,
      tier: program.status(m, localDate(now, deps.timeZone)).tier.id,
      lastBought,
    };
  }

  const sendOne = db.transaction((t: TriggerEvent, now: number): Decided => {
    const f = facts(t.member, now);
    if (!f) return { trigger: t, reason: 'unknown-member' };
    const d = decide(ctx, t, f, repo.history, now);
    const trigger = {
      kind: t.kind,
      visitId: t.visitId,
      ...(t.zone ? { zone: t.zone } : {}),
      ...(t.seconds ? { seconds: t.seconds } : {}),
      ...(t.zones ? { zones: t.zones } : {}),
      at: iso(t.at),
    };
    if (!d.send) {
      if (d.reason === 'held-back') {
        const key = `${d.offer.campaign}\u0000${t.member}`;
        if (!heldBackSent.has(key)) {
          outbox.append({
            event: OfferHeldBack,
            subject: null,
            at: now,
            data: { offerId: d.offer.id, campaign: d.offer.campaign, memberNumber: t.member, trigger, holdout: d.offer.holdout ?? 0, at: iso(now) },
          });
          heldBackSent.add(key);
        }
      }
      return { trigger: t, reason: d.reason };
    }
    const row: OfferSendRow = {
      id: ids(),
      offerId: d.offer.id,
      campaign: d.offer.campaign,
      memberNumber: t.member,
      code: newCode(),
      trigger,
      sentAt: now,
      validUntil: d.validUntil,
      state: 'sent',
      redeemedReceipt: null,
      content: { title: d.offer.title, ...(d.offer.body ? { body: d.offer.body } : {}), reward: d.offer.reward },
    };
    repo.insert(row);
    event('sent', row, now, { validUntil: iso(d.validUntil), triggerToSendMs: Math.max(0, now - t.at) });
    return { trigger: t, sent: phoneOffer(row) };
  });

  function handle(triggers: readonly TriggerEvent[], now: number): Decided[] {
    const out: Decided[] = [];
    for (const t of triggers) {
      try {
        const r = sendOne.immediate(t, now);
        out.push(r);
        deps.onDecided?.('sent' in r ? 'sent' : r.reason);
        if ('sent' in r) push(t.member, { type: 'offer', offer: r.sent });
      } catch (e) {
        log?.error({ err: e }, 'offer decision failed');
      }
    }
    return out;
  }

  let timer: NodeJS.Timeout | undefined;
  const tick = (now = clock.now()) => handle(tracker.due(now), now);

  return {
    offers,
    /** The presence listener: triggers caused by these events are decided now. */
    onPresence: (events: readonly PresenceEvent[]): Decided[] => handle(tracker.observe(events), clock.now()),
    /** Listens to a presence source; returns unsubscribe. */
    attach: (source: PresenceEventSource) => source.onEvents((events) => void handle(tracker.observe(events), clock.now())),
    /** Decides triggers directly (HQ/test drivers). */
    handle,
    tick,
    start() {
      if (deps.timers === false || timer) return;
      timer = setInterval(() => tick(), deps.config.tickMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    /** Offers the member holds now (replayed when a phone connects). */
    held: (member: string, now = clock.now()): PhoneOffer[] =>
      repo
        .held(member, now)
        .filter((r) => r.state !== 'dismissed')
        .map(phoneOffer),
    subscribe(member: string, listener: (m: PhoneMessage) => void): () => void {
      let set = streams.get(member);
      if (!set) streams.set(member, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && streams.get(member) === set) streams.delete(member);
      };
    },
    streamsOf: (member: string): number => streams.get(member)?.size ?? 0,
    /** A phone's report on one of its own offers; false when it is not theirs (or unknown). */
    report(member: string, id: string, what: 'shown' | 'opened' | 'dismissed', now = clock.now()): boolean {
      return db
        .transaction(() => {
          const r = repo.byId(id);
          if (!r || r.memberNumber !== member) return false;
          const order = ['sent', 'shown', 'opened', 'dismissed'];
          const moves = order.indexOf(r.state) >= 0 && order.indexOf(r.state) < order.indexOf(what);
          repo.mark(what, id, now);
          if (moves) event(what, r, now);
          return true;
        })
        .immediate();
    },
    /** Consent given or withdrawn (phone, HQ). Withdrawal takes effect at once. */
    setConsent(member: string, allowed: boolean, source: 'phone' | 'hq', now = clock.now()): { withdrawn: number } {
      const withdrawn = db
        .transaction(() => {
          repo.setConsent(member, allowed, now, source);
          if (allowed) return [] as string[];
          const idsOut = repo.withdrawAll(member, now);
          for (const id of idsOut) event('withdrawn', repo.byId(id)!, now, { reason: 'consent-withdrawn' });
          return idsOut;
        })
        .immediate();
      if (!allowed) {
        tracker.forget(member);
        for (const id of withdrawn) push(member, { type: 'withdrawn', id });
      }
      return { withdrawn: withdrawn.length };
    },
    consentOf: (member: string): boolean => repo.member(member)?.consent ?? false,
  };
}
export type OffersService = ReturnType<typeof createOffersService>;
