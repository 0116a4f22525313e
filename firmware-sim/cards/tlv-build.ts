/** BER-TLV encoding for the simulated cards (the gateway only parses; see core/identity/tlv.ts). */

export type Bytes = Uint8Array | number[];

function tagBytes(tag: number): number[] {
  const out: number[] = [];
  for (let t = tag; t > 0; t = Math.floor(t / 256)) out.unshift(t & 0xff);
  return out.length ? out : [0];
}

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >> 8, n & 0xff];
}

/** One TLV; several values are concatenated (children of a template). */
export function tlv(tag: number, ...values: Bytes[]): Uint8Array {
  const value = values.flatMap((v) => [...v]);
  return Uint8Array.from([...tagBytes(tag), ...lengthBytes(value.length), ...value]);
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'ascii'));
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** Digits as packed BCD, padded with F to whole bytes (5A, 5F24...). */
export function bcd(digits: string): Uint8Array {
  const s = digits.length % 2 ? `${digits}F` : digits;
  return hex(s);
}

export function cat(...parts: Bytes[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}
