/**
 * Content hash of a till request, for telling a resend from a different request under the
 * same id or receipt. Keys are sorted so a till that re-serialises the same request in
 * another key order still matches; the request `id` is left out, so the same sale sent
 * again under a new id (the till failed open and retried later) hashes the same.
 */
import { createHash } from 'node:crypto';

// Written out by hand (no map/filter/join chains): this runs on every request.
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonical(value[i]);
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonical(v);
    first = false;
  }
  return out + '}';
}

/** sha256 (base64url) of the request without its id, keys in sorted order. */
export function contentHash(request: { readonly id: string }): string {
  const { id: _id, ...content } = request;
  return createHash('sha256').update(canonical(content)).digest('base64url');
}
