/**
 * Store-IT authority. Two ways in: the configured admin token (`http.adminToken`, for scripts
 * and the HQ-managed setup), or a staff pass tapped at a reader, which opens a short session
 * with the pass's role (e.g. `supervisor`) from the staff list. Sessions live in memory only:
 * a restart signs everyone out, which is the safe direction.
 *
 * A third: HQ's staff list (sync `cfg` `staff`, `{token, role}`), replaced live by
 * `setHqStaff`; a token HQ removes is refused from the next request. Only SHA-256 hashes of
 * those tokens are held (and stored, by the sync downlink); a token is never logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../ports/clock';
import type { CardTap as ReaderTap } from '../../ports/card-reader';

export interface Principal {
  role: string;
  /** `admin` or the staff pass's label. */
  who: string;
}

/** How a hashed staff token is written in the stored HQ config: `sha256:` + 64 hex digits. */
export const HASHED_TOKEN_PREFIX = 'sha256:';
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
export const hashedStaffToken = (token: string): string => HASHED_TOKEN_PREFIX + sha256(token);
const HASHED = /^sha256:[0-9a-f]{64}$/;

export function createStaffSessions(deps: { clock: Clock; adminToken?: string; ttlMs?: number }) {
  const ttl = deps.ttlMs ?? 10 * 60_000;
  const sessions = new Map<string, Principal & { expires: number }>();
  const admin = deps.adminToken ? Buffer.from(deps.adminToken) : undefined;
  /** HQ's staff tokens: SHA-256 (hex) → role. */
  let hqStaff = new Map<string, string>();

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
      const hq = hqStaff.size ? hqStaff.get(sha256(m[1]!)) : undefined;
      if (hq !== undefined) return { role: hq, who: 'hq-staff' };
      const s = sessions.get(m[1]!);
      if (!s) return undefined;
      if (s.expires < deps.clock.now()) {
        sessions.delete(m[1]!);
        return undefined;
      }
      return { role: s.role, who: s.who };
    },
    /**
     * Replaces HQ's staff list. A token is taken in clear (HQ's message) or in its stored form
     * (`sha256:` + hex, the stored config re-applied at start); only the hash is kept.
     */
    setHqStaff(entries: ReadonlyArray<{ token: string; role: string }>): void {
      hqStaff = new Map(entries.map((e) => [HASHED.test(e.token) ? e.token.slice(HASHED_TOKEN_PREFIX.length) : sha256(e.token), e.role]));
    },
    close(token: string) {
      sessions.delete(token);
    },
  };
}
export type StaffSessions = ReturnType<typeof createStaffSessions>;
