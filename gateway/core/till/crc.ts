/**
 * CRC-16/KERMIT (DESIGN.md §6): poly 0x1021 reflected (0x8408), init 0, no final xor.
 * Check value: KERMIT("123456789") = 0x2189. Written out (a 256-entry table) rather than taken
 * from the `crc` package so the pure core has no dependency; the unit tests cross-check the two.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** Continue a KERMIT CRC over `bytes[start, end)`; start a fresh one with `crc = 0`. */
export function crc16kermitUpdate(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc & 0xffff;
  for (let i = start; i < end; i++) c = (c >>> 8) ^ TABLE[(c ^ bytes[i]!) & 0xff]!;
  return c;
}

export function crc16kermit(bytes: Uint8Array): number {
  return crc16kermitUpdate(0, bytes);
}
