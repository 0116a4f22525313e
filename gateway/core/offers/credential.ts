/**
 * Member credentials for the phone offer stream (issue 8). HQ signs `{member, exp}` with its
 * Ed25519 key; the gateway verifies offline with HQ's public key from config and never holds
 * the private key. Format: `base64url(JSON payload) "." base64url(signature over the first part)`
 * (a compact JWS-like shape without a header: the algorithm is fixed, so nothing to confuse).
 * `exp` is Unix seconds. Verification is pure (the key and `now` are passed in).
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { err, ok, type Result } from '../result';

export interface MemberCredential {
  readonly member: string;
  /** Unix seconds. */
  readonly exp: number;
}

export type CredentialError = { readonly code: 'malformed' | 'bad-signature' | 'expired'; readonly message: string };

const MEMBER = /^[A-Za-z0-9-]{1,32}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** HQ's public key from config: PEM (SPKI) or base64 of the raw 32 bytes. Throws on anything else. */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  const key = t.startsWith('-----BEGIN')
    ? createPublicKey(t)
    : (() => {
        const raw = Buffer.from(t, 'base64');
        if (raw.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes (base64) or a PEM');
        return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
      })();
  if (key.asymmetricKeyType !== 'ed25519') throw new RangeError(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

/** HQ's side (and tests, simulators): a signed credential. */
export function signMemberCredential(c: MemberCredential, privateKey: KeyObject): string {
  const body = Buffer.from(JSON.stringify({ member: c.member, exp: c.exp })).toString('base64url');
  return `${body}.${sign(null, Buffer.from(body), privateKey).toString('base64url')}`;
}

export function verifyMemberCredential(token: string, publicKey: KeyObject, nowMs: number): Result<MemberCredential, CredentialError> {
  const malformed = (message: string) => err<CredentialError>({ code: 'malformed', message });
  if (token.length > 1024) return malformed('credential too long');
  const parts = token.split('.');
  if (parts.length !== 2 || !B64URL.test(parts[0]!) || !B64URL.test(parts[1]!)) return malformed('not a member credential');
  const sig = Buffer.from(parts[1]!, 'base64url');
  if (sig.length !== 64) return malformed('signature has the wrong length');
  let valid = false;
  try {
    valid = verify(null, Buffer.from(parts[0]!), publicKey, sig);
  } catch {
    valid = false;
  }
  if (!valid) return err({ code: 'bad-signature', message: 'credential not signed by HQ' });
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  } catch {
    return malformed('payload is not JSON');
  }
  const p = payload as { member?: unknown; exp?: unknown };
  if (typeof p.member !== 'string' || !MEMBER.test(p.member) || typeof p.exp !== 'number' || !Number.isFinite(p.exp))
    return malformed('payload needs member and exp');
  if (p.exp * 1000 <= nowMs) return err({ code: 'expired', message: 'credential expired' });
  return ok({ member: p.member, exp: p.exp });
}
