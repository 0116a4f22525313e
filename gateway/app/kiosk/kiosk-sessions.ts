/**
 * Kiosk sessions (issue 7, DESIGN.md §9): the kiosk screen sees only the member of the
 * current tap. A tap at a kiosk opens one short-lived session, bound to that kiosk and to
 * what the tap identified; the screen gets an unguessable token for it. There is no way to
 * name a member from the kiosk API: every read goes through a session made by a tap.
 *
 * - One session per kiosk: a new tap there ends the previous one.
 * - A session ends after `idleMs` without use, after `maxMs` in all, or when the screen ends it.
 * - A token presented with another kiosk's id is refused (and does not extend the session).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../ports/clock';

export type KioskSessionSubject =
  | { kind: 'member'; memberId: string }
  /** An unlinked card: the session may enrol a member and link exactly this card. */
  | { kind: 'join'; cardToken: string; cardKind: string }
  | { kind: 'staff'; role: string; label?: string };

export interface KioskSession {
  readonly token: string;
  readonly kiosk: string;
  readonly createdAt: number;
  lastUsedAt: number;
  subject: KioskSessionSubject;
  /** While set and in the future, the next tap at this kiosk is linked to the member. */
  linkUntil?: number;
}

export interface KioskSessionOptions {
  clock: Clock;
  /** Idle lifetime (default 90 s): a little longer than the screen's own idle timeout. */
  idleMs?: number;
  /** Hard lifetime (default 10 min). */
  maxMs?: number;
}

export function createKioskSessions(o: KioskSessionOptions) {
  const idleMs = o.idleMs ?? 90_000;
  const maxMs = o.maxMs ?? 10 * 60_000;
  const byToken = new Map<string, KioskSession>();
  const byKiosk = new Map<string, KioskSession>();

  const alive = (s: KioskSession, now: number) => now - s.lastUsedAt <= idleMs && now - s.createdAt <= maxMs;
  const drop = (s: KioskSession) => {
    byToken.delete(s.token);
    if (byKiosk.get(s.kiosk) === s) byKiosk.delete(s.kiosk);
  };

  return {
    idleMs,
    /** Opens a session for a tap at `kiosk`, ending the kiosk's previous session. */
    open(kiosk: string, subject: KioskSessionSubject): KioskSession {
      const previous = byKiosk.get(kiosk);
      if (previous) drop(previous);
      const now = o.clock.now();
      const s: KioskSession = { token: randomBytes(32).toString('base64url'), kiosk, createdAt: now, lastUsedAt: now, subject };
      byToken.set(s.token, s);
      byKiosk.set(kiosk, s);
      return s;
    },
    /** The live session for this token at this kiosk (and marks it used), else undefined. */
    use(token: string | undefined, kiosk: string): KioskSession | undefined {
      if (!token) return undefined;
      const s = byToken.get(token);
      if (!s || s.kiosk !== kiosk) return undefined;
      const now = o.clock.now();
      if (!alive(s, now)) {
        drop(s);
        return undefined;
      }
      s.lastUsedAt = now;
      return s;
    },
    /** The kiosk's live session, without marking it used (tap routing). */
    current(kiosk: string): KioskSession | undefined {
      const s = byKiosk.get(kiosk);
      if (!s) return undefined;
      if (!alive(s, o.clock.now())) {
        drop(s);
        return undefined;
      }
      return s;
    },
    end(token: string | undefined, kiosk: string): boolean {
      const s = token ? byToken.get(token) : undefined;
      if (!s || s.kiosk !== kiosk) return false;
      drop(s);
      return true;
    },
    /** Drops expired sessions (called on a timer by the routes). */
    sweep(): number {
      const now = o.clock.now();
      let n = 0;
      for (const s of [...byToken.values()])
        if (!alive(s, now)) {
          drop(s);
          n++;
        }
      return n;
    },
    size: () => byToken.size,
  };
}
export type KioskSessions = ReturnType<typeof createKioskSessions>;
