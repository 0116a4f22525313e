/**
 * Store-IT authority. Two ways in: the configured admin token (`http.adminToken`, for scripts
 * and the HQ-managed setup), or a staff pass tapped at a reader, which opens a short session
 * with the pass's role (e.g. `supervisor`) from the staff list. Sessions live in memory only:
 * a restart signs everyone out, which is the safe direction.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock';
import type { CardTap as ReaderTap } from '../ports/card-reader';

export interface Principal {
  role: string;
  /** `admin` or the staff pass's label. */
  who: string;
}

export function createStaffSessions(deps: { clock: Clock; adminToken?: string; ttlMs?: number }) {
  const ttl = deps.ttlMs ?? 10 * 60_000;
  const sessions = new Map<string, Principal & { expires: number }>();
  const admin = deps.adminToken ? Buffer.from(deps.adminToken) : undefined;

  return {
    /** Opens a session from a staff tap; undefined when the tap is not a staff pass. */
    open(tap: ReaderTap | undefined): { token: string; role: string; expiresAt: number } | undefined {
      if (!tap || tap.outcome !== 'identified' || !tap.staff) return undefined;
      const token = randomBytes(24).toString('base64url');
      const expires = deps.clock.now() + ttl;
      sessions.set(token, { role: tap.staff.role, who: tap.staff.label ?? tap.staff.role, expires });
      return { token, role: tap.staff.role, expiresAt: expires };
    },
    /** Resolves an `Authorization` header value. */
    verify(header: string | undefined): Principal | undefined {
      const m = /^Bearer (.+)$/.exec(header ?? '');
      if (!m) return undefined;
      const given = Buffer.from(m[1]!);
      if (admin && given.length === admin.length && timingSafeEqual(given, admin)) return { role: 'admin', who: 'admin' };
      const s = sessions.get(m[1]!);
      if (!s) return undefined;
      if (s.expires < deps.clock.now()) {
        sessions.delete(m[1]!);
        return undefined;
      }
      return { role: s.role, who: s.who };
    },
    close(token: string) {
      sessions.delete(token);
    },
  };
}
export type StaffSessions = ReturnType<typeof createStaffSessions>;
