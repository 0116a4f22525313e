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
  /**
   * Where the pass was tapped (`lane:ID` / `kiosk:ID`) for a session opened by a tap: the
   * session acts for that place only (card linking there; a kiosk's one needs its screen key).
   */
  place?: string;
}

export interface StaffSession {
  token: string;
  role: string;
  place: string;
  expiresAt: number;
}

/** How a hashed staff token is written in the stored HQ config: `sha256:` + 64 hex digits. */
export const HASHED_TOKEN_PREFIX = 'sha256:';
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
export const hashedStaffToken = (token: string): string => HASHED_TOKEN_PREFIX + sha256(token);
const HASHED = /^sha256:[0-9a-f]{64}$/;

export function createStaffSessions(deps: { clock: Clock; adminToken?: string; ttlMs?: number }) {
  const ttl = deps.ttlMs ?? 10 * 60_000;
  // Keyed by the token's SHA-256: a lookup does not compare the token itself byte by byte.
  const sessions = new Map<string, Principal & { expires: number }>();
  const admin = deps.adminToken ? Buffer.from(deps.adminToken) : undefined;
  /** HQ's staff tokens: SHA-256 (hex) → role. */
  let hqStaff = new Map<string, string>();

  return {
    /**
     * Opens a session from a staff tap at `place`; undefined when the tap is not a staff pass.
     * The caller has the proof (issue 14): the lane's own till over the link, store IT, or the
     * kiosk's own screen; never an unauthenticated request naming a place.
     */
    open(tap: ReaderTap | undefined, place: string): StaffSession | undefined {
      if (!tap || tap.outcome !== 'identified' || !tap.staff) return undefined;
      return this.openFor(tap.staff, place);
    },
    /** Opens a session for a staff pass already identified (a kiosk's staff session). */
    openFor(staff: { role: string; label?: string }, place: string): StaffSession {
      const token = randomBytes(24).toString('base64url');
      const expires = deps.clock.now() + ttl;
      sessions.set(sha256(token), { role: staff.role, who: staff.label ?? staff.role, place, expires });
      return { token, role: staff.role, place, expiresAt: expires };
    },
    /** Resolves an `Authorization` header value. */
    verify(header: string | undefined): Principal | undefined {
      const m = /^Bearer (.+)$/.exec(header ?? '');
      if (!m) return undefined;
      const given = Buffer.from(m[1]!);
      if (admin && given.length === admin.length && timingSafeEqual(given, admin)) return { role: 'admin', who: 'admin' };
      const hq = hqStaff.size ? hqStaff.get(sha256(m[1]!)) : undefined;
      if (hq !== undefined) return { role: hq, who: 'hq-staff' };
      const key = sha256(m[1]!);
      const s = sessions.get(key);
      if (!s) return undefined;
      if (s.expires <= deps.clock.now()) {
        sessions.delete(key);
        return undefined;
      }
      return { role: s.role, who: s.who, ...(s.place !== undefined && { place: s.place }) };
    },
    /**
     * Replaces HQ's staff list. A token is taken in clear (HQ's message) or in its stored form
     * (`sha256:` + hex, the stored config re-applied at start); only the hash is kept.
     */
    setHqStaff(entries: ReadonlyArray<{ token: string; role: string }>): void {
      hqStaff = new Map(entries.map((e) => [HASHED.test(e.token) ? e.token.slice(HASHED_TOKEN_PREFIX.length) : sha256(e.token), e.role]));
    },
    close(token: string) {
      sessions.delete(sha256(token));
    },
  };
}
export type StaffSessions = ReturnType<typeof createStaffSessions>;
