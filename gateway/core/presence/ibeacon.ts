/**
 * iBeacon in noble's `manufacturerData` (DESIGN.md §3): `4C 00 02 15 uuid[16] major(BE)
 * minor(BE) power(int8)`, 25 bytes. Anything else is not a beacon and is dropped.
 */

export interface IBeacon {
  /** Lower-case, dashed: `2f234454-cf6d-4a0f-adf2-f4911ba9ffa6`. */
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
  /** Calibrated RSSI at 1 m (dBm). */
  readonly measuredPower: number;
}

export const IBEACON_PREFIX = Uint8Array.of(0x4c, 0x00, 0x02, 0x15);
export const IBEACON_LENGTH = 25;

export function isIBeacon(md: Uint8Array): boolean {
  return md.length === IBEACON_LENGTH && md[0] === 0x4c && md[1] === 0x00 && md[2] === 0x02 && md[3] === 0x15;
}

export function parseIBeacon(md: Uint8Array): IBeacon | null {
  if (!isIBeacon(md)) return null;
  const hex = Array.from(md.subarray(4, 20), (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    uuid: formatUuid(hex),
    major: (md[20]! << 8) | md[21]!,
    minor: (md[22]! << 8) | md[23]!,
    measuredPower: (md[24]! << 24) >> 24,
  };
}

/** 32 hex digits → dashed lower case. */
export function formatUuid(hex: string): string {
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A UUID (dashed or not) as its 16 bytes. */
export function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** True when the iBeacon `md` carries `uuid` (16 bytes); no string is built. */
export function hasUuid(md: Uint8Array, uuid: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (md[4 + i] !== uuid[i]) return false;
  return true;
}

/** major‖minor as one unsigned 32-bit number (the rotating token's place). */
export const majorMinor = (md: Uint8Array): number => ((md[20]! << 24) | (md[21]! << 16) | (md[22]! << 8) | md[23]!) >>> 0;
