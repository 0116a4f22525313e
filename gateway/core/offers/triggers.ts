/**
 * Presence events → offer triggers. Presence reports zone entries and, for dwell, only the
 * confirmed exit (DESIGN.md §4); an offer for lingering at the coffee shelf must arrive
 * while the member is still there, so dwell is timed here from the entry: `due(now)` fires
 * "dwell ≥ N s" for members still in the zone N s after they entered. Sequences fire when
 * the visit's path of entered zones first contains the sequence (in order, gaps allowed),
 * on the entry that completes it. Tags are not people: ignored.
 */
import type { PresenceEvent } from '../presence/events';
import type { OfferDefinition, TriggerEvent } from './types';

interface MemberState {
  visitId: string;
  zone: string | undefined;
  enteredAt: number;
  path: string[];
  dwellFired: Set<number>;
  sequencesFired: Set<string>;
}

/** Whether `seq` occurs in `path` in order (not necessarily adjacent). */
export function containsInOrder(path: readonly string[], seq: readonly string[]): boolean {
  let i = 0;
  for (const z of path) if (z === seq[i]) i++;
  return i >= seq.length;
}

export class TriggerTracker {
  private readonly members = new Map<string, MemberState>();
  private dwellByZone = new Map<string, number[]>();
  private sequences: (readonly string[])[] = [];

  constructor(offers: readonly OfferDefinition[]) {
    this.setOffers(offers);
  }

  /** The thresholds and sequences to watch (offers replaced by HQ or config). */
  setOffers(offers: readonly OfferDefinition[]): void {
    const dwell = new Map<string, Set<number>>();
    const seqs = new Map<string, readonly string[]>();
    for (const o of offers) {
      if (o.trigger.kind === 'dwell') {
        const s = dwell.get(o.trigger.zone) ?? new Set<number>();
        s.add(o.trigger.seconds);
        dwell.set(o.trigger.zone, s);
      } else if (o.trigger.kind === 'sequence') seqs.set(o.trigger.zones.join('\u0000'), o.trigger.zones);
    }
    this.dwellByZone = new Map([...dwell].map(([z, s]) => [z, [...s].sort((a, b) => a - b)]));
    this.sequences = [...seqs.values()];
  }

  get tracked(): number {
    return this.members.size;
  }

  /** Feeds presence events in order; returns the triggers they cause at once. */
  observe(events: readonly PresenceEvent[]): TriggerEvent[] {
    const out: TriggerEvent[] = [];
    for (const e of events) {
      if (e.subject.kind !== 'member') continue;
      const member = e.subject.id;
      switch (e.type) {
        case 'visit-started':
          this.members.set(member, { visitId: e.visitId, zone: undefined, enteredAt: e.at, path: [], dwellFired: new Set(), sequencesFired: new Set() });
          out.push({ kind: 'visit-started', member, visitId: e.visitId, at: e.at });
          break;
        case 'zone-entered': {
          let s = this.members.get(member);
          if (!s || s.visitId !== e.visitId) {
            s = { visitId: e.visitId, zone: undefined, enteredAt: e.at, path: [], dwellFired: new Set(), sequencesFired: new Set() };
            this.members.set(member, s);
          }
          s.zone = e.zone;
          s.enteredAt = e.at;
          s.dwellFired = new Set();
          if (s.path.length < 200) s.path.push(e.zone);
          out.push({ kind: 'zone-entered', member, visitId: e.visitId, zone: e.zone, at: e.at });
          for (const seq of this.sequences) {
            const key = seq.join('\u0000');
            if (seq[seq.length - 1] === e.zone && !s.sequencesFired.has(key) && containsInOrder(s.path, seq)) {
              s.sequencesFired.add(key);
              out.push({ kind: 'sequence', member, visitId: e.visitId, zone: e.zone, zones: seq, at: e.at });
            }
          }
          break;
        }
        case 'zone-left': {
          const s = this.members.get(member);
          if (s && s.zone === e.zone) s.zone = undefined;
          break;
        }
        case 'visit-ended':
          if (this.members.get(member)?.visitId === e.visitId) this.members.delete(member);
          break;
      }
    }
    return out;
  }

  /** Dwell thresholds reached by `now` by members still in the zone (each once per stay). */
  due(now: number): TriggerEvent[] {
    const out: TriggerEvent[] = [];
    for (const [member, s] of this.members) {
      if (s.zone === undefined) continue;
      const thresholds = this.dwellByZone.get(s.zone);
      if (!thresholds) continue;
      for (const sec of thresholds) {
        if (now - s.enteredAt < sec * 1000) break;
        if (s.dwellFired.has(sec)) continue;
        s.dwellFired.add(sec);
        out.push({ kind: 'dwell', member, visitId: s.visitId, zone: s.zone, seconds: sec, at: now });
      }
    }
    return out;
  }

  /** Erasure or consent withdrawn: forget the member now. */
  forget(member: string): void {
    this.members.delete(member);
  }
}
