/**
 * Byte helpers for card data. Card numbers, track 2 and raw APDU responses live only in
 * Uint8Arrays that are wiped after use (DESIGN.md §5): never turn them into strings, which
 * cannot be wiped and linger in the heap until collected.
 */

/** Overwrites the bytes with zeros. Accepts several buffers; undefined is skipped. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

/** Hex of non-secret bytes only (ATRs, status words, commands we built ourselves). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses hex (spaces allowed); throws on odd length or a non-hex character (test and config data). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error('invalid hex');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
